import * as pulumi from "@pulumi/pulumi";
import { describeTarget, isRunFailure, parseEnvLines, runOnce, runPlanned, type RunPlan, type RunResult } from "./run";
import { redact, sameReach, type SshTarget } from "./ssh";
import { lineStreamer, type Logging, logLine } from "./logging";
import { providerStub } from "./stub";

/**
 * swarmlab's command resource: what @pulumi/command's local.Command and remote.Command do,
 * as a Pulumi dynamic provider. It needs no provider plugin (the command provider cannot be
 * built offline), runs `bash` locally or over the system `ssh` client, retries SSH failures that
 * happen before the command starts, and can run on whichever manager of the swarm answers.
 */
export interface CommandInputs {
  /** Shown in errors: "worker2: join the swarm". */
  label: string;
  /** `true` runs nothing, not even an SSH connection: a resource that only acts on delete. */
  create: string;
  /**
   * Runs when create/stdin/environment change (or the check finds drift); without it create runs
   * again, as in @pulumi/command. Update and delete see the last stdout as $PULUMI_COMMAND_STDOUT.
   */
  update?: string;
  delete?: string;
  /**
   * What cannot change in place (an overlay network's settings): a change of create, stdin or
   * environment, or a check that reads something else, replaces the resource instead of updating it.
   */
  replaceOnChanges?: boolean;
  stdin?: string;
  environment?: Record<string, string>;
  connection?: SshTarget;
  /**
   * Manager-side work: run on the first of these managers (configured order) that answers and has
   * control of the swarm; the others are skipped. Which one answered is not recorded: a failover
   * is not a change. Instead of `connection`.
   */
  managers?: SshTarget[];
  /**
   * Run first on the first manager with control (`managers`); its `KEY=value` output lines are
   * added to the environment of create/update, and never stored (a join token read at that moment).
   */
  managerLookup?: string;
  /** How long SSH failures before the command starts are retried, with backoff (default 60 s). */
  sshRetrySeconds?: number;
  /** Any change here replaces the resource (runs delete then create). */
  triggers?: unknown[];
  /** Keep dialling an SSH target that does not answer yet, up to this many seconds. */
  dialTimeoutSeconds?: number;
  /** Give up a command after this many seconds. */
  timeoutSeconds?: number;
  /** A delete whose host no longer answers is a success: the host is gone, and so is what ran on it. */
  ignoreUnreachableOnDelete?: boolean;
  /** Values never shown in error messages (nor in streamed output). */
  redact?: string[];
  /**
   * Which output streams to the Pulumi log while the command runs, as in @pulumi/command (default
   * none: a command whose output may hold a secret that `redact` does not list stays quiet).
   */
  logging?: Logging;
  /**
   * Reads the real state at every preview/up: it must print what create/update printed. Another
   * output re-runs update (or replaces without one); a non-zero exit means the thing is gone and
   * replaces the resource. An unreachable host is not a verdict: the commands themselves fail later.
   */
  check?: string;
  /**
   * Runs (where the resource was made) when a plan would replace it: a non-zero exit refuses the
   * plan with the script's message, before anything is deleted. The plan is only checked once every
   * input is known: a replacement caused by its host being replaced is never refused. (A delete that
   * fails during `pulumi up --continue-on-error` hangs the engine, pulumi/pulumi#16373: refusing at
   * plan time also keeps clear of that.)
   */
  replaceGuard?: string;
}

export interface CommandOutputs extends CommandInputs {
  stdout: string;
  stderr: string;
}

/** How the command runs: on its connection, on a manager, or here. */
function plan(inputs: CommandInputs, o: Partial<RunPlan> = {}): RunPlan {
  const onManager = !!inputs.managers?.length && !inputs.connection;
  return {
    targets: onManager ? (inputs.managers as SshTarget[]) : [inputs.connection],
    onManager,
    retrySeconds: inputs.sshRetrySeconds ?? 60,
    dialSeconds: inputs.dialTimeoutSeconds,
    ...o,
  };
}

/** Runs a phase's script as planned; a failure becomes one readable error with the label, secrets redacted. */
async function run(inputs: CommandInputs, script: string, phase: string, o: Partial<RunPlan> = {}): Promise<RunResult | undefined> {
  const secrets = inputs.redact;
  try {
    let environment = inputs.environment;
    if (inputs.managerLookup && phase !== "delete") {
      if (!inputs.managers?.length) throw new Error(`${inputs.label}: managerLookup needs managers to run on`);
      const found = await runPlanned(plan({ ...inputs, connection: undefined }, { dialSeconds: 0 }), inputs.managerLookup, (t, sc) => runOnce(t, sc));
      environment = { ...environment, ...parseEnvLines(found?.stdout ?? "") };
    }
    const stream = lineStreamer(inputs.label, inputs.logging, secrets, logLine);
    const spec = { stdin: inputs.stdin, environment, timeoutSeconds: inputs.timeoutSeconds, onOutput: stream.onOutput };
    try {
      return await runPlanned(plan(inputs, o), script, (t, sc) => runOnce(t, sc, spec));
    } finally {
      stream.flush();
    }
  } catch (e) {
    if (!isRunFailure(e)) throw e;
    throw new Error(redact(`${inputs.label}: ${phase} failed${e.message}`, secrets));
  }
}

/** A run whose result only informs (drift checks, replace guards): once, on the host or the first manager that answers; no answer is undefined. */
async function probe(inputs: CommandInputs, script: string): Promise<RunResult | undefined> {
  try {
    // a minute at most, and never longer than the command itself may take
    const seconds = Math.min(60, inputs.timeoutSeconds ?? 60);
    return await runPlanned(plan({ ...inputs, timeoutSeconds: seconds }, { retrySeconds: 0, dialSeconds: 0, tolerateUnreachable: true }), script, (t, sc) => runOnce(t, sc, { environment: inputs.environment, timeoutSeconds: seconds }));
  } catch (e) {
    // a command that ran and failed is a verdict; a host that answered with another key is not,
    // nor a check cut off at its timeout (a dockerd that hangs): "gone" would replace on a guess
    if (isRunFailure(e)) return e.attempt.outcome === "failed" && !e.attempt.timedOut ? e.attempt : undefined;
    throw e;
  }
}

type Drift = "same" | "changed" | "gone";

/** How the engine marks a value not known yet (@pulumi/pulumi runtime/rpc unknownValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Runs the check script against what the resource recorded (see CommandInputs.check). */
async function drift(inputs: CommandInputs, recorded: string | undefined): Promise<Drift> {
  if (typeof inputs.check !== "string") return "same";
  const res = await probe(inputs, inputs.check);
  if (!res) return "same"; // no answer is no verdict: the commands themselves fail later
  if (res.code !== 0) return "gone";
  return res.stdout.trim() === (recorded ?? "").trim() ? "same" : "changed";
}

/** Runs a replace guard where the resource was made; an unreachable host is not a verdict. */
async function guardReplacement(olds: CommandInputs, guard: string): Promise<void> {
  const res = await probe(olds, guard);
  if (!res || res.code === 0) return;
  const why = `${res.stderr}\n${res.stdout}`.trim().split("\n").slice(-15).join("\n") || `exit code ${res.code}`;
  const where = res.target ? ` on ${describeTarget(res.target)}` : "";
  throw new Error(redact(`${olds.label}: cannot be replaced now${where}: ${why}`, olds.redact));
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** What an update runs: its own script, else create again (@pulumi/command). */
function updateScript(inputs: CommandInputs): string {
  return inputs.update ?? inputs.create;
}

/** The environment of an update or delete: the last stdout as $PULUMI_COMMAND_STDOUT (@pulumi/command's name). */
function withLastStdout(inputs: CommandInputs, stdout: string | undefined): CommandInputs {
  return { ...inputs, environment: { ...inputs.environment, PULUMI_COMMAND_STDOUT: stdout ?? "" } };
}

export const provider: pulumi.dynamic.ResourceProvider<CommandInputs, CommandOutputs> = {
  async create(inputs) {
    const res = inputs.create === "true" ? { code: 0, stdout: "", stderr: "" } : await run(inputs, inputs.create, "create");
    return { id: `${inputs.label}-${Date.now().toString(36)}`, outs: { ...inputs, stdout: res?.stdout ?? "", stderr: res?.stderr ?? "" } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = [];
    const changed = (k: keyof CommandInputs) => (k === "connection" || k === "managers" ? !sameReach(olds[k], news[k]) : !same(olds[k], news[k]));
    // Triggers that go away altogether ask for no replacement (a resource that no longer depends on them).
    if (changed("triggers") && (news.triggers?.length ?? 0) > 0) replaces.push("triggers");
    for (const k of ["create", "stdin", "environment"] as const) {
      if (changed(k) && news.replaceOnChanges) replaces.push(k);
    }
    const keys: (keyof CommandInputs)[] = ["label", "create", "delete", "stdin", "environment", "connection", "managers", "managerLookup", "dialTimeoutSeconds", "timeoutSeconds", "ignoreUnreachableOnDelete", "redact", "triggers", "check", "replaceGuard"];
    // (sshRetrySeconds, replaceOnChanges and logging are left out, and so is `readOnly` that
    // resources made before kept: how patiently or loudly a command runs, or how a future change
    // is applied, is no change to what it does; an update equal to create is no update)
    let changes = keys.some(changed) || !same(updateScript(olds), updateScript(news));
    // During a preview (or before a dependency is replaced) some inputs are still unknown: no check then.
    // (The serialized provider, `__provider`, contains this very marker: it is left out of the test.)
    const known = !JSON.stringify({ ...news, __provider: undefined }).includes(UNKNOWN);
    if (replaces.length === 0 && known) {
      const real = await drift(news, olds.stdout);
      if (real === "gone" || (real === "changed" && news.replaceOnChanges)) replaces.push("check");
      if (real !== "same") changes = true;
    }
    if (replaces.length > 0 && known && news.replaceGuard) await guardReplacement(olds, news.replaceGuard);
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async update(_id, olds, news) {
    const edited = !same(olds.create, news.create) || !same(olds.stdin, news.stdin) || !same(olds.environment, news.environment);
    const script = updateScript(news);
    const rerun = script !== "true" && (edited || (await drift(news, olds.stdout)) !== "same");
    if (!rerun) return { outs: { ...news, stdout: olds.stdout, stderr: olds.stderr } };
    const res = await run(withLastStdout(news, olds.stdout), script, "update");
    return { outs: { ...news, stdout: res?.stdout ?? "", stderr: res?.stderr ?? "" } };
  },

  async delete(_id, props) {
    if (!props.delete) return;
    await run(withLastStdout(props, props.stdout), props.delete, "delete", { tolerateUnreachable: props.ignoreUnreachableOnDelete });
  },
};

export type CommandArgs = { [K in keyof CommandInputs]: pulumi.Input<CommandInputs[K]> };

/** A command run on create (and update/delete), locally or on a host over SSH. */
export class Command extends pulumi.dynamic.Resource {
  declare readonly stdout: pulumi.Output<string>;
  declare readonly stderr: pulumi.Output<string>;

  constructor(name: string, args: CommandArgs, opts: pulumi.CustomResourceOptions = {}) {
    // The connection holds the private key and `redact` lists secrets: both stay encrypted in state.
    const secretOutputs = ["connection", "managers", "redact", ...(opts.additionalSecretOutputs ?? [])];
    // The state keeps a stub that loads this file's provider at each run (stub.ts), not the provider itself.
    super(providerStub(provider, "components/command/provider.ts", "provider"), name, { ...args, stdout: undefined, stderr: undefined }, { ...opts, additionalSecretOutputs: secretOutputs }, "swarmlab", "Command");
  }
}
