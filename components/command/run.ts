/**
 * Running one script, locally or over SSH, the way every swarmlab command runs: on one host, or on
 * the first manager that answers with control of the swarm (failover, in configured order), with
 * failures that happen before the remote command starts retried with backoff within a budget.
 * The decisions (what an exit means, when to try the next host, when to stop) are in `runPlanned`,
 * which takes the executor as an argument so it is unit-tested without a network.
 */
import * as cp from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { backoffSeconds, envNames, keyFileText, knownHostsLine, outcomeOf, remoteCommand, SSH_FAILED, sshArgs, STARTED_MARKER, withoutMarker, type Outcome, type SshTarget } from "./ssh";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Cut off at its timeout: what it would have printed is unknown (a check then has no verdict). */
  timedOut?: boolean;
  /** Where it ran (the manager that answered, with `onManager`). */
  target?: SshTarget;
}

/** Exit code of the manager guard: this host is not a manager with control of the swarm. */
export const NOT_MANAGER = 75;
/** What the guard says of a manager whose Raft has no leader: an election, or quorum lost. */
const NO_LEADER = "a manager without a Raft leader";

/**
 * Prefixed to manager-side scripts: the host must be a manager whose control plane answers (it
 * has a Raft leader), or the next manager is tried. Nothing of the script has run when it fails.
 */
export const MANAGER_GUARD = [
  // Only a manager whose Raft has a leader answers `node inspect self`: one docker call when it
  // does (this runs before every manager-side script); `docker info` then says what else it is.
  `if ! docker node inspect self --format '{{.ID}}' >/dev/null 2>&1; then`,
  `  __s=$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null || echo 'no-answer false')`,
  `  case "$__s" in "active false") __w="a worker";; *" true") __w="${NO_LEADER}";; *) __w="\${__s% *}";; esac`,
  `  echo "not a manager with control of the swarm ($(hostname): $__w)" >&2; exit ${NOT_MANAGER}; fi`,
].join("\n");

export interface RunSpec {
  stdin?: string;
  environment?: Record<string, string>;
  timeoutSeconds?: number;
  /** Called with the output as it comes, chunk by chunk (besides collecting it). */
  onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
}

async function spawnCollect(file: string, args: string[], stdin: string | undefined, timeoutMs: number, env?: NodeJS.ProcessEnv, onOutput?: RunSpec["onOutput"]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = cp.spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], env: env ?? process.env });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const finish = (code: number | null) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, ...(timedOut ? { timedOut } : {}) });
    };
    const timer = setTimeout(() => {
      stderr += `\n[swarmlab] timed out after ${Math.round(timeoutMs / 1000)} s`;
      timedOut = true;
      child.kill("SIGKILL");
      // a process the script started may hold its output open after it is killed (a hung
      // `docker` call in a local script): the run ends now all the same
      child.stdout.destroy();
      child.stderr.destroy();
      setTimeout(() => finish(null), 1000).unref();
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      onOutput?.("stdout", d.toString());
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      onOutput?.("stderr", d.toString());
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", finish);
    child.stdin.on("error", () => undefined); // the command may exit before reading its input
    child.stdin.end(stdin ?? "");
  });
}

/**
 * One run of a script: with bash locally (no target), in a lab node's container (`docker exec`:
 * the container is on this machine's engine, an SSH handshake would only add ~0.2 s to every
 * command), or over the system ssh client. stderr keeps the start marker.
 */
export async function runOnce(target: SshTarget | undefined, script: string, spec: RunSpec = {}): Promise<RunResult> {
  const timeoutMs = (spec.timeoutSeconds ?? 600) * 1000;
  if (!target) {
    return spawnCollect("bash", ["--noprofile", "--norc", "-c", `set -euo pipefail\n${script}`], spec.stdin, timeoutMs, { ...process.env, ...spec.environment }, spec.onOutput);
  }
  if (target.container) return execOnce(target.container, remoteCommand(script, undefined, { marked: true }), spec, timeoutMs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-ssh-"));
  try {
    const key = path.join(dir, "id");
    fs.writeFileSync(key, keyFileText(target.privateKey), { mode: 0o600 });
    let knownHosts: string | undefined;
    if (target.hostKey) {
      knownHosts = path.join(dir, "known_hosts");
      fs.writeFileSync(knownHosts, knownHostsLine(target));
    }
    return await spawnCollect("ssh", sshArgs(target, { key, knownHosts }, remoteCommand(script, spec.environment, { marked: true })), spec.stdin, timeoutMs, undefined, spec.onOutput);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `docker exec` argv that runs a remote command line in a lab node's container. The environment
 * goes by name only (`-e NAME`: docker reads the value from its own environment): a value in the
 * command line would be in `ps` here and in the engine's events (`exec_create: sh -c ...`).
 */
export function execArgs(container: string, command: string, envNames: string[] = []): string[] {
  return ["exec", "-i", ...envNames.flatMap((n) => ["-e", n]), container, "sh", "-c", command];
}

/**
 * A run in a lab node's container, reported as ssh would: a run that never started the command
 * (the container is gone, stopped or paused, or its engine does not answer: no start marker) is a
 * host that does not answer; one that started and failed while the container stopped under it, or
 * stopped and started again (`--restart unless-stopped`), is a connection that broke after the
 * start. Either way ssh's own failure code: no verdict on what was read, and the work goes to
 * another manager when it can.
 */
async function execOnce(container: NonNullable<SshTarget["container"]>, command: string, spec: RunSpec, timeoutMs: number): Promise<RunResult> {
  const env = container.dockerHost ? { ...process.env, DOCKER_HOST: container.dockerHost } : process.env;
  const began = Date.now();
  const res = await spawnCollect("docker", execArgs(container.name, command, envNames(spec.environment)), spec.stdin, timeoutMs, { ...env, ...spec.environment }, spec.onOutput);
  if (res.code === 0) return res;
  if (!res.stderr.includes(STARTED_MARKER)) return { ...res, code: SSH_FAILED };
  const same = async () => {
    const state = await spawnCollect("docker", ["inspect", "-f", "{{.State.Running}} {{.State.Paused}} {{.State.StartedAt}}", container.name], undefined, 30_000, env);
    const [running, paused, startedAt] = state.stdout.trim().split(" ");
    return state.code === 0 && running === "true" && paused === "false" && !(Date.parse(startedAt) > began);
  };
  // A command killed by a signal (exit 128+n: `docker stop` kills what runs in the container) can
  // be reported before the engine lists the container as stopped: it is asked again for a moment
  // then. Taking that kill for the command's own failure would be a verdict (a drift check's
  // "gone" replaces a swarm join).
  let unchanged = await same();
  for (const end = Date.now() + SETTLE_MS; unchanged && res.code > 128 && Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 250));
    unchanged = await same();
  }
  return unchanged ? res : { ...res, code: SSH_FAILED, stderr: `${res.stderr}\n[swarmlab] the node's container stopped during the command` };
}

/** How long a container whose command was killed by a signal is watched for stopping (execOnce). */
const SETTLE_MS = 3000;

/** Where and how patiently to run. */
export interface RunPlan {
  /** One host, `[undefined]` for this machine, or the managers in configured order when `onManager`. */
  targets: (SshTarget | undefined)[];
  /** Run on the first target that is a manager with control (MANAGER_GUARD); the others are skipped. */
  onManager?: boolean;
  /** How long failures before the command starts (no SSH answer, no manager with control) are retried, with backoff. */
  retrySeconds: number;
  /** Poll every 0.25 s for this long instead: a host that is still booting (the readiness gate). */
  dialSeconds?: number;
  /** No target answering is a success (undefined): a delete on a host that is gone. */
  tolerateUnreachable?: boolean;
}

export type Exec = (target: SshTarget | undefined, script: string) => Promise<RunResult>;

/** A target's result and what it means. */
export interface Attempt extends RunResult {
  target?: SshTarget;
  /** not-manager: no swarm there, or a worker; no-leader: a manager waiting for a Raft leader. */
  outcome: Outcome | "not-manager" | "no-leader";
}

/** Why a run failed, for the error message (the caller adds the label and the phase). */
export type RunFailure = Error & { attempt: Attempt };

// A plain Error with a property, not a class: resources made before the provider stub (stub.ts)
// still carry a serialised copy of this code, where `instanceof` could compare two copies of a class.
function runFailure(message: string, attempt: Attempt): RunFailure {
  return Object.assign(new Error(message), { attempt });
}

export function isRunFailure(e: unknown): e is RunFailure {
  return e instanceof Error && "attempt" in e;
}

export function describeTarget(t: SshTarget | undefined): string {
  return t ? `${t.user}@${t.host}:${t.port}` : "this machine";
}

function tail(text: string, lines = 15): string {
  return text.trim().split("\n").slice(-lines).join("\n");
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).pop() ?? "";
}

function classify(res: RunResult, target: SshTarget | undefined, onManager: boolean): Attempt {
  const notManager = onManager && res.code === NOT_MANAGER && /not a manager with control of the swarm/.test(res.stderr);
  const outcome = notManager ? (res.stderr.includes(NO_LEADER) ? "no-leader" : "not-manager") : outcomeOf(res.code, res.stderr, !!target);
  return { ...res, stderr: withoutMarker(res.stderr), target, outcome };
}

const defaultSleep = (s: number) => new Promise<void>((r) => setTimeout(r, s * 1000));

/**
 * Runs `script` as planned. A failure before the command started (ssh could not connect, or the
 * host is not a manager with control) moves on to the next target; when every target missed, the
 * round is tried again after a backoff, until the budget is spent. A command that started and
 * failed, or whose connection broke after it started, is never re-run: that is the error.
 * Returns undefined only with `tolerateUnreachable` when no target answered.
 */
export async function runPlanned(plan: RunPlan, script: string, exec: Exec, sleep: (s: number) => Promise<void> = defaultSleep): Promise<RunResult | undefined> {
  const started = Date.now();
  const budget = Math.max(plan.retrySeconds, plan.dialSeconds ?? 0);
  const body = plan.onManager ? `${MANAGER_GUARD}\n${script}` : script;
  for (let round = 1; ; round++) {
    const misses: Attempt[] = [];
    for (const target of plan.targets) {
      const a = classify(await exec(target, body), target, !!plan.onManager);
      if (a.outcome === "ok") return { code: 0, stdout: a.stdout, stderr: a.stderr, target };
      // Manager-side scripts are idempotent by contract, and the swarm's Raft log decides what
      // happened: when the manager went away mid-command (its connection broke), another may finish it.
      const managerLost = plan.onManager && a.outcome === "dropped";
      if (a.outcome === "unreachable" || a.outcome === "not-manager" || a.outcome === "no-leader" || managerLost) {
        misses.push(a);
        continue;
      }
      throw runFailure(failureText(a), a);
    }
    // Nothing left to act on (the hosts are gone, or hold no swarm): a delete is done. A manager
    // waiting for a leader, or one lost mid-command, is a passing state: the round is tried again.
    if (plan.tolerateUnreachable && misses.every((m) => m.outcome === "unreachable" || m.outcome === "not-manager")) return undefined;
    const elapsed = (Date.now() - started) / 1000;
    const wait = elapsed < (plan.dialSeconds ?? 0) ? 0.25 : backoffSeconds(round);
    if (elapsed + wait > budget) throw runFailure(exhaustedText(misses, round, elapsed, !!plan.onManager), misses[misses.length - 1]);
    await sleep(wait);
  }
}

/** Why a target did not answer, by the way it is reached. */
function unreachable(t: SshTarget | undefined): string {
  return t?.container ? `cannot reach the node's container ${t.container.name} (docker exec)` : "cannot reach the host over SSH";
}

function failureText(a: Attempt): string {
  const where = a.target ? ` on ${describeTarget(a.target)}` : "";
  const detail = tail(`${a.stderr}\n${a.stdout}`);
  const reason =
    a.outcome === "wrong-key"
      ? "the host's SSH key is not the configured hostKey (a different machine, or a man in the middle)"
      : a.outcome === "dropped"
        ? `${a.target?.container ? "the node's container stopped during the command" : "the SSH connection broke after the command started"}: it is not run again blindly (the next pulumi up runs it again; every step is idempotent)`
        : `command exited with code ${a.code}`;
  return `${where}: ${reason}${detail ? `\n${detail}` : ""}`;
}

function exhaustedText(misses: Attempt[], rounds: number, elapsed: number, onManager: boolean): string {
  const tries = `${rounds} attempt${rounds > 1 ? "s" : ""} in ${Math.round(elapsed)} s`;
  if (!onManager && misses.length === 1) {
    const a = misses[0];
    return ` on ${describeTarget(a.target)}: ${unreachable(a.target)} (${tries}; swarmlab:swarm.sshRetrySeconds sets the budget)\n${tail(a.stderr, 3)}`;
  }
  const why = (a: Attempt) =>
    a.outcome === "not-manager" || a.outcome === "no-leader" ? lastLine(a.stderr) : a.outcome === "dropped" ? (a.target?.container ? "its container stopped during the command" : "the connection broke during the command") : `${unreachable(a.target)} (${lastLine(a.stderr) || `exit ${a.code}`})`;
  const each = misses.map((a) => `  ${describeTarget(a.target)}: ${why(a)}`);
  return `: no manager answered with control of the swarm (${tries}; swarmlab:swarm.sshRetrySeconds sets the budget):\n${each.join("\n")}`;
}

/** `KEY=value` lines (a manager lookup's output) as an environment; other lines are ignored. */
export function parseEnvLines(stdout: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = line.match(/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return env;
}
