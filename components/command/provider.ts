import * as cp from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { keyFileText, knownHostsLine, redact, remoteCommand, sshArgs, type SshTarget } from "./ssh";

/**
 * swarmlab's command resource: what @pulumi/command's local.Command and remote.Command do,
 * as a Pulumi dynamic provider. It needs no provider plugin (the command provider cannot be
 * built offline), runs `bash` locally or over the system `ssh` client, and retries SSH dials
 * so that it doubles as a readiness gate.
 */
export interface CommandInputs {
  /** Shown in errors: "worker2: join the swarm". */
  label: string;
  /** `true` runs nothing, not even an SSH connection: a resource that only acts on delete. */
  create: string;
  /** Runs when create/stdin/environment change; without it such a change replaces the resource. */
  update?: string;
  delete?: string;
  stdin?: string;
  environment?: Record<string, string>;
  connection?: SshTarget;
  /** Any change here replaces the resource (runs delete then create). */
  triggers?: unknown[];
  /** Keep dialling an SSH target that does not answer yet, up to this many seconds. */
  dialTimeoutSeconds?: number;
  /** Give up a command after this many seconds. */
  timeoutSeconds?: number;
  /** A delete whose host no longer answers is a success: the host is gone, and so is what ran on it. */
  ignoreUnreachableOnDelete?: boolean;
  /** Values never shown in error messages. */
  redact?: string[];
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

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** ssh's own exit code when it could not connect or authenticate. */
const SSH_UNREACHABLE = 255;

async function spawnCollect(file: string, args: string[], stdin: string | undefined, timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = cp.spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], env: env ?? process.env });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      stderr += `\n[swarmlab] timed out after ${Math.round(timeoutMs / 1000)} s`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.on("error", () => undefined); // the command may exit before reading its input
    child.stdin.end(stdin ?? "");
  });
}

async function runOnce(inputs: CommandInputs, script: string, timeoutMs: number): Promise<RunResult> {
  if (!inputs.connection) {
    return spawnCollect("bash", ["--noprofile", "--norc", "-c", `set -euo pipefail\n${script}`], inputs.stdin, timeoutMs, { ...process.env, ...inputs.environment });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-ssh-"));
  try {
    const key = path.join(dir, "id");
    fs.writeFileSync(key, keyFileText(inputs.connection.privateKey), { mode: 0o600 });
    let knownHosts: string | undefined;
    if (inputs.connection.hostKey) {
      knownHosts = path.join(dir, "known_hosts");
      fs.writeFileSync(knownHosts, knownHostsLine(inputs.connection));
    }
    return await spawnCollect("ssh", sshArgs(inputs.connection, { key, knownHosts }, remoteCommand(script, inputs.environment)), inputs.stdin, timeoutMs);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function where(inputs: CommandInputs): string {
  const c = inputs.connection;
  return c ? ` on ${c.user}@${c.host}:${c.port}` : "";
}

function tail(text: string, lines = 15): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

/** Runs a script, retrying while SSH cannot connect (up to dialTimeoutSeconds), and fails with a readable error. */
async function run(inputs: CommandInputs, script: string, phase: string, opts: { tolerateUnreachable?: boolean } = {}): Promise<RunResult> {
  const timeoutMs = (inputs.timeoutSeconds ?? 600) * 1000;
  const dialDeadline = Date.now() + (inputs.dialTimeoutSeconds ?? 0) * 1000;
  for (;;) {
    const res = await runOnce(inputs, script, timeoutMs);
    if (res.code === 0) return res;
    // 255 is ssh's own failure: unreachable (retried), unless the host answered with the wrong key.
    const wrongKey = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(res.stderr);
    const unreachable = !!inputs.connection && res.code === SSH_UNREACHABLE && !wrongKey;
    if (unreachable && opts.tolerateUnreachable) return res;
    if (unreachable && Date.now() < dialDeadline) {
      await new Promise((r) => setTimeout(r, 250)); // a node's sshd comes up within seconds: ask often
      continue;
    }
    const reason = unreachable
      ? "cannot reach the host over SSH"
      : wrongKey
        ? "the host's SSH key is not the configured hostKey (a different machine, or a man in the middle)"
        : `command exited with code ${res.code}`;
    const detail = tail(`${res.stderr}\n${res.stdout}`);
    throw new Error(redact(`${inputs.label}: ${phase} failed${where(inputs)}: ${reason}${detail ? `\n${detail}` : ""}`, inputs.redact));
  }
}

type Drift = "same" | "changed" | "gone";

/** How the engine marks a value not known yet (@pulumi/pulumi runtime/rpc unknownValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Runs the check script against what the resource recorded (see CommandInputs.check). */
async function drift(inputs: CommandInputs, recorded: string | undefined): Promise<Drift> {
  if (typeof inputs.check !== "string") return "same";
  const res = await runOnce(inputs, inputs.check, 60_000);
  if (inputs.connection && res.code === SSH_UNREACHABLE) return "same";
  if (res.code !== 0) return "gone";
  return res.stdout.trim() === (recorded ?? "").trim() ? "same" : "changed";
}

/** Runs a replace guard where the resource was made; an unreachable host is not a verdict. */
async function guardReplacement(olds: CommandInputs, guard: string): Promise<void> {
  const res = await runOnce(olds, guard, 60_000);
  if (res.code === 0 || (olds.connection && res.code === SSH_UNREACHABLE)) return;
  const why = tail(`${res.stderr}\n${res.stdout}`) || `exit code ${res.code}`;
  throw new Error(redact(`${olds.label}: cannot be replaced now${where(olds)}: ${why}`, olds.redact));
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export const provider: pulumi.dynamic.ResourceProvider<CommandInputs, CommandOutputs> = {
  async create(inputs) {
    const res = inputs.create === "true" ? { code: 0, stdout: "", stderr: "" } : await run(inputs, inputs.create, "create");
    return { id: `${inputs.label}-${Date.now().toString(36)}`, outs: { ...inputs, stdout: res.stdout, stderr: res.stderr } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = [];
    const changed = (k: keyof CommandInputs) => !same(olds[k], news[k]);
    if (changed("triggers")) replaces.push("triggers");
    for (const k of ["create", "stdin", "environment"] as const) {
      if (changed(k) && !news.update) replaces.push(k);
    }
    const keys: (keyof CommandInputs)[] = ["label", "create", "update", "delete", "stdin", "environment", "connection", "dialTimeoutSeconds", "timeoutSeconds", "ignoreUnreachableOnDelete", "redact", "triggers", "check", "replaceGuard"];
    let changes = keys.some(changed);
    // During a preview (or before a dependency is replaced) some inputs are still unknown: no check then.
    // (The serialized provider, `__provider`, contains this very marker: it is left out of the test.)
    const known = !JSON.stringify({ ...news, __provider: undefined }).includes(UNKNOWN);
    if (replaces.length === 0 && known) {
      const real = await drift(news, olds.stdout);
      if (real === "gone" || (real === "changed" && !news.update)) replaces.push("check");
      if (real !== "same") changes = true;
    }
    if (replaces.length > 0 && known && news.replaceGuard) await guardReplacement(olds, news.replaceGuard);
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async update(_id, olds, news) {
    const edited = !same(olds.create, news.create) || !same(olds.stdin, news.stdin) || !same(olds.environment, news.environment);
    const rerun = news.update && (edited || (await drift(news, olds.stdout)) !== "same");
    if (!rerun) return { outs: { ...news, stdout: olds.stdout, stderr: olds.stderr } };
    const res = await run(news, news.update as string, "update");
    return { outs: { ...news, stdout: res.stdout, stderr: res.stderr } };
  },

  async delete(_id, props) {
    if (!props.delete) return;
    await run(props, props.delete, "delete", { tolerateUnreachable: props.ignoreUnreachableOnDelete });
  },
};

export type CommandArgs = { [K in keyof CommandInputs]: pulumi.Input<CommandInputs[K]> };

/** A command run on create (and update/delete), locally or on a host over SSH. */
export class Command extends pulumi.dynamic.Resource {
  declare readonly stdout: pulumi.Output<string>;
  declare readonly stderr: pulumi.Output<string>;

  constructor(name: string, args: CommandArgs, opts: pulumi.CustomResourceOptions = {}) {
    // The connection holds the private key and `redact` lists secrets: both stay encrypted in state.
    const secretOutputs = ["connection", "redact", ...(opts.additionalSecretOutputs ?? [])];
    super(provider, name, { ...args, stdout: undefined, stderr: undefined }, { ...opts, additionalSecretOutputs: secretOutputs }, "swarmlab", "Command");
  }
}
