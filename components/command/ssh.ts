/**
 * Pure helpers that turn a command description into the argv of `bash` or `ssh`.
 * Kept free of I/O so they are unit-tested without a network.
 */

/** Where a remote command runs. The private key is the only secret. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  /** `ssh-ed25519 AAAA...`: when set, the host key is verified; otherwise any key is accepted (lab). */
  hostKey?: string;
  /** A bastion reached first, with the same key. */
  jump?: { host: string; port: number; user: string };
  /**
   * A lab node: a container of a Docker engine this machine drives (`dockerHost`, when not the
   * default). Every command goes through `docker exec` there, not SSH (run.ts): an SSH handshake
   * costs about 0.2 s per command on a small machine. The SSH fields stay for npm run ssh/status.
   */
  container?: { name: string; dockerHost?: string };
}

/**
 * Whether two targets (or lists of targets, or of managers that hold them) reach the same hosts the
 * same way: `container` (how commands get there) is left out, like a retry budget, so a lab made
 * before it shows no change for it.
 */
export function sameReach(a: unknown, b: unknown): boolean {
  const text = (v: unknown) => JSON.stringify(v ?? null, (k: string, x: unknown) => (k === "container" ? undefined : x));
  return text(a) === text(b);
}

/** Quotes a string for a POSIX shell: safe for any content, including quotes and newlines. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `export K='v'` lines that prefix a script so the environment reaches remote hosts too. */
export function envPrelude(env: Record<string, string> | undefined): string {
  return envNames(env)
    .map((k) => `export ${k}=${shellQuote((env ?? {})[k])}\n`)
    .join("");
}

/** The names of an environment, sorted; a name a shell cannot export is refused. */
export function envNames(env: Record<string, string> | undefined): string[] {
  return Object.keys(env ?? {})
    .sort()
    .map((k) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
      return k;
    });
}

/**
 * Printed to stderr by the remote shell before anything else: an ssh failure (exit 255) whose stderr
 * lacks it happened before the command started, so running it again is safe; one that has it may
 * have done part of its work.
 */
export const STARTED_MARKER = "[swarmlab:started]";

/**
 * The remote command line: bash with strict mode running the script, stdin left free for data;
 * with `marked`, the start marker first (see STARTED_MARKER).
 */
export function remoteCommand(script: string, env?: Record<string, string>, o: { marked?: boolean } = {}): string {
  const marker = o.marked ? `echo ${shellQuote(STARTED_MARKER)} >&2\n` : "";
  return `bash -c ${shellQuote(`${marker}set -euo pipefail\n${envPrelude(env)}${script}`)}`;
}

/** stderr without the start marker (see STARTED_MARKER). */
export function withoutMarker(stderr: string): string {
  return stderr.split(`${STARTED_MARKER}\n`).join("").split(STARTED_MARKER).join("");
}

/** ssh's own exit code when it could not connect, authenticate, or lost the connection. */
export const SSH_FAILED = 255;

/**
 * What one run's result means for a retry: `ok`; `unreachable` (ssh failed before the remote
 * command started: safe to try again); `dropped` (the connection broke after it started: never
 * re-run blindly); `wrong-key` (the host answered with another host key: not a passing fault);
 * `failed` (the command itself failed).
 */
export type Outcome = "ok" | "unreachable" | "dropped" | "wrong-key" | "failed";

export function outcomeOf(code: number, rawStderr: string, overSsh: boolean): Outcome {
  if (code === 0) return "ok";
  if (!overSsh || code !== SSH_FAILED) return "failed";
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(rawStderr)) return "wrong-key";
  return rawStderr.includes(STARTED_MARKER) ? "dropped" : "unreachable";
}

/** Seconds to wait before retry number `attempt` (1, 2, ...): 1, 2, 4, 8, then 10 s each. */
export function backoffSeconds(attempt: number): number {
  return Math.min(10, 2 ** Math.max(0, attempt - 1));
}

export const SSH_COMMON_OPTIONS = [
  "BatchMode=yes",
  "IdentitiesOnly=yes",
  "ConnectTimeout=5",
  "ConnectionAttempts=1",
  "ServerAliveInterval=15",
  "ServerAliveCountMax=4",
  "LogLevel=ERROR",
];

/** `ssh` argv for a target, given the paths where the key and known_hosts were written. */
export function sshArgs(target: SshTarget, files: { key: string; knownHosts?: string }, command: string): string[] {
  const opts = [...SSH_COMMON_OPTIONS];
  if (target.hostKey && files.knownHosts) {
    opts.push("StrictHostKeyChecking=yes", `UserKnownHostsFile=${files.knownHosts}`);
  } else {
    opts.push("StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null");
  }
  const args = ["-i", files.key, "-p", String(target.port)];
  for (const o of opts) args.push("-o", o);
  if (target.jump) {
    const j = target.jump;
    const inner = ["ssh", "-i", files.key, "-p", String(j.port), ...SSH_COMMON_OPTIONS.flatMap((o) => ["-o", o]), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-W", "%h:%p", `${j.user}@${j.host}`];
    args.push("-o", `ProxyCommand=${inner.join(" ")}`);
  }
  args.push(`${target.user}@${target.host}`, command);
  return args;
}

/** A private key as a key file must hold it: ssh refuses one whose last line has no newline. */
export function keyFileText(privateKey: string): string {
  return privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`;
}

/** known_hosts line for a verified host key (`[host]:port key` when the port is not 22). */
export function knownHostsLine(target: SshTarget): string {
  const who = target.port === 22 ? target.host : `[${target.host}]:${target.port}`;
  return `${who} ${target.hostKey}\n`;
}

/** Replaces every secret value (and anything that looks like a swarm join token) in text shown to users. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/SWMTKN-1-[0-9a-z]+-[0-9a-z]+/g, "SWMTKN-1-[secret]");
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[secret]");
  return out;
}
