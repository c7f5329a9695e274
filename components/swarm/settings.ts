/**
 * The swarm-wide settings and rotations of day 2 (`docker swarm update`, `unlock-key`, `join-token
 * --rotate`, `ca --rotate`), as pure functions: what the cluster's spec says now, what differs from
 * the configuration, and the shell text that applies it on a manager with control. The swarm
 * resource (bootstrap.ts) runs them after it has decided which swarm the cluster is.
 */
import { waitUntil } from "../command/shell";
import { shellQuote as q } from "../command/ssh";
import { parseGoDuration } from "../config/dockerRules";

/** The settings a user sets; unset ones are left as the swarm has them. */
export interface SwarmSettings {
  autolock: boolean;
  certExpiry?: string;
  dispatcherHeartbeat?: string;
  taskHistoryLimit?: number;
  snapshotInterval?: number;
  maxSnapshots?: number;
}

/** Rotation triggers: a changed value rotates (the values themselves mean nothing). */
export interface Rotations {
  unlockKey?: string;
  joinTokens?: string;
  ca?: string;
}

/** The same settings as the cluster's spec holds them (`docker info`'s Swarm.Cluster.Spec). */
export interface LiveSettings {
  autolock: boolean;
  /** Nanoseconds. */
  certExpiry?: number;
  dispatcherHeartbeat?: number;
  taskHistoryLimit?: number;
  snapshotInterval?: number;
  maxSnapshots?: number;
}

/** `docker info`'s `{{json .Swarm.Cluster.Spec}}` -> the settings swarmlab manages (undefined: not readable). */
export function parseSpec(json: string | undefined): LiveSettings | undefined {
  if (!json) return undefined;
  let spec: {
    EncryptionConfig?: { AutoLockManagers?: boolean };
    CAConfig?: { NodeCertExpiry?: number };
    Dispatcher?: { HeartbeatPeriod?: number };
    Orchestration?: { TaskHistoryRetentionLimit?: number };
    Raft?: { SnapshotInterval?: number; KeepOldSnapshots?: number };
  };
  try {
    spec = JSON.parse(json);
  } catch {
    return undefined;
  }
  return {
    autolock: spec.EncryptionConfig?.AutoLockManagers === true,
    certExpiry: spec.CAConfig?.NodeCertExpiry,
    dispatcherHeartbeat: spec.Dispatcher?.HeartbeatPeriod,
    taskHistoryLimit: spec.Orchestration?.TaskHistoryRetentionLimit,
    snapshotInterval: spec.Raft?.SnapshotInterval,
    maxSnapshots: spec.Raft?.KeepOldSnapshots ?? 0,
  };
}

/**
 * The `docker swarm update` flags for what differs between the configuration and the live spec
 * (all the set ones when the spec is unknown): empty when nothing does.
 */
export function updateFlags(want: SwarmSettings, live: LiveSettings | undefined): string[] {
  const flags: string[] = [];
  if (!live || live.autolock !== want.autolock) flags.push(`--autolock=${want.autolock}`);
  const duration = (flag: string, text: string | undefined, now: number | undefined) => {
    if (text !== undefined && (!live || parseGoDuration(text) !== now)) flags.push(`${flag} ${q(text)}`);
  };
  const count = (flag: string, value: number | undefined, now: number | undefined) => {
    if (value !== undefined && (!live || value !== now)) flags.push(`${flag} ${value}`);
  };
  duration("--cert-expiry", want.certExpiry, live?.certExpiry);
  duration("--dispatcher-heartbeat", want.dispatcherHeartbeat, live?.dispatcherHeartbeat);
  count("--task-history-limit", want.taskHistoryLimit, live?.taskHistoryLimit);
  count("--snapshot-interval", want.snapshotInterval, live?.snapshotInterval);
  count("--max-snapshots", want.maxSnapshots, live?.maxSnapshots);
  return flags;
}

/** Which rotations a change of triggers asks for (a trigger set for the first time rotates too). */
export function rotationsDue(before: Rotations | undefined, now: Rotations | undefined): (keyof Rotations)[] {
  return (["unlockKey", "joinTokens", "ca"] as const).filter((k) => now?.[k] !== undefined && now[k] !== before?.[k]);
}

/**
 * Run on the manager with control after the swarm was decided: settings, then rotations, in the
 * order that keeps the printed tokens valid (a CA rotation changes the tokens' CA digest).
 * `waitSeconds`: how long a CA rotation may take to reach every node.
 */
export function applyScript(flags: string[], due: (keyof Rotations)[], o: { autolock: boolean; waitSeconds: number }): string[] {
  const lines: string[] = [];
  if (flags.length) lines.push(`docker swarm update ${flags.join(" ")} >/dev/null`);
  if (due.includes("unlockKey") && o.autolock) lines.push("docker swarm unlock-key --rotate -q >/dev/null");
  if (due.includes("joinTokens")) lines.push("docker swarm join-token --rotate -q worker >/dev/null", "docker swarm join-token --rotate -q manager >/dev/null");
  if (due.includes("ca")) {
    // detached, then watched: a node that is down would hold a foreground rotation forever; it
    // gets its new certificate when it comes back
    lines.push(
      "docker swarm ca --rotate --detach -q >/dev/null",
      waitUntil(`[ "$(docker info --format '{{.Swarm.Cluster.RootRotationInProgress}}')" = false ]`, o.waitSeconds),
      `[ "$(docker info --format '{{.Swarm.Cluster.RootRotationInProgress}}')" = false ] || echo "the CA rotation goes on in the background after ${o.waitSeconds} s (nodes that are down get their certificate when they are back): docker swarm ca shows it" >&2`,
    );
  }
  return lines;
}

/** Prints `unlock=<key>` (empty when autolock is off): read after any rotation. */
export function readUnlockKeyScript(autolock: boolean): string {
  return autolock ? `unlock=$(docker swarm unlock-key -q); printf 'unlock=%s\\n' "$unlock"` : "printf 'unlock=\\n'";
}

/** Run on each manager: unlocks a swarm that restarted locked, with the key on stdin (never in argv). */
export function unlockScript(): string {
  return [
    `state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true)`,
    `[ "$state" = locked ] || { echo "state=$state"; exit 0; }`,
    `out=$(docker swarm unlock 2>&1) || { echo "docker swarm unlock on $(hostname) failed: \${out//$'\\n'/ }" >&2; exit 1; }`,
    waitUntil(`[ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = active ]`, 60),
    `echo "state=$(docker info --format '{{.Swarm.LocalNodeState}}') unlocked=yes"`,
  ].join("\n");
}
