/**
 * `npm run backup`: which manager to back up, or why not, and the command line; pure. Backing up
 * stops that manager's engine for a few seconds (Docker's docs: copy the swarm state with dockerd
 * stopped), so the manager is chosen for the swarm to keep its Raft quorum meanwhile.
 */
import { UsageError } from "./cli";
import type { DockerNode } from "./swarmState";

export const BACKUP_USAGE = "usage: npm run backup [-- --accept-outage] [--out DIR]   (DIR: default backups/)";

export interface BackupArgs {
  acceptOutage: boolean;
  /** As given (relative to where npm was run); absent: the project's backups/. */
  out?: string;
}

export function parseBackupArgs(argv: readonly string[]): BackupArgs | { help: true } {
  const words = argv[0] === "--" ? argv.slice(1) : [...argv];
  const args: BackupArgs = { acceptOutage: false };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === "-h" || w === "--help") return { help: true };
    if (w === "--accept-outage") args.acceptOutage = true;
    else if (w === "--out" || w === "-o") {
      const dir = words[++i];
      if (!dir) throw new UsageError(`${w} needs a directory\n${BACKUP_USAGE}`);
      args.out = dir;
    } else if (w.startsWith("--out=") && w.length > "--out=".length) args.out = w.slice("--out=".length);
    else throw new UsageError(`unknown argument ${JSON.stringify(w)}\n${BACKUP_USAGE}`);
  }
  return args;
}

/** A manager as the swarm lists it (`docker node ls` read through a manager). */
export interface SwarmManager {
  name: string;
  /** Ready and Reachable (or the leader): it counts towards the quorum now. */
  reachable: boolean;
  leader: boolean;
}

export function swarmManagers(nodes: DockerNode[]): SwarmManager[] {
  return nodes
    .filter((n) => n.Spec.Role === "manager")
    .map((n) => ({
      name: n.Description.Hostname,
      reachable: n.Status.State === "ready" && (n.ManagerStatus?.Reachability === "reachable" || n.ManagerStatus?.Leader === true),
      leader: n.ManagerStatus?.Leader === true,
    }));
}

/** The manager to back up; `outage` says what stops meanwhile when that was accepted. */
export type BackupPlan = { node: string; outage?: string } | { refuse: string };

const CONTROL_PLANE_STOPS = "the swarm's control plane stops for a few seconds (running services keep running; the tasks on the manager backed up restart with its engine)";

/**
 * `configured`: the stack's managers in configured order (only those can be reached over SSH).
 * With 3 or more managers: a reachable one that is not the leader, whose stop leaves the quorum
 * (floor(n/2)+1) reachable; the last configured first. Otherwise, and with 1 or 2 managers (either
 * stop loses the quorum), only with `acceptOutage`.
 */
export function planBackup(managers: SwarmManager[], configured: readonly string[], o: { acceptOutage: boolean }): BackupPlan {
  const n = managers.length;
  if (!n) return { refuse: "the swarm lists no managers" };
  const byName = new Map(managers.map((m) => [m.name, m]));
  // last configured first, non-leaders first
  const ours = [...configured].reverse().flatMap((name) => byName.get(name) ?? []);
  const usable = ours.filter((m) => m.reachable);
  const pick = [...usable.filter((m) => !m.leader), ...usable.filter((m) => m.leader)][0];
  if (!pick) {
    return { refuse: `no manager of the swarm that this stack configures is reachable (swarm managers: ${managers.map((m) => `${m.name}${m.reachable ? "" : " (unreachable)"}`).join(", ")}): run npm run status, bring them back (npm run up), then back up again` };
  }
  const quorum = Math.floor(n / 2) + 1;
  const reachable = managers.filter((m) => m.reachable).length;
  let why: string;
  if (n >= 3) {
    const safe = usable.find((m) => !m.leader);
    if (safe && reachable - 1 >= quorum) return { node: safe.name };
    why =
      reachable - 1 < quorum
        ? `only ${reachable} of the ${n} managers are reachable: stopping one for the backup leaves fewer than the ${quorum} that the Raft quorum needs, so ${CONTROL_PLANE_STOPS}. Bring the missing managers back (npm run status; npm run up) and back up again`
        : `no reachable manager other than the leader ${pick.name} is configured in this stack: backing up the leader forces an election, and ${CONTROL_PLANE_STOPS}`;
  } else if (n === 2) {
    why = `the swarm has 2 managers: stopping either for the backup loses the Raft quorum (2 of 2 needed), so ${CONTROL_PLANE_STOPS}`;
  } else {
    why = `the swarm has a single manager: backing it up means ${CONTROL_PLANE_STOPS}`;
  }
  return o.acceptOutage ? { node: pick.name, outage: why } : { refuse: `${why}; pass --accept-outage to back up anyway (npm run backup -- --accept-outage)` };
}

/** `2026-12-05T06:32:07.123Z` -> `20261205T063207Z`. */
export function utcStamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** `<cluster>-<UTC yyyymmddThhmmssZ>-<node>.tar.gz` (anything but letters, digits, `.`, `_`, `-` as `_`). */
export function backupFileName(cluster: string, node: string, at: Date): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
  return `${safe(cluster)}-${utcStamp(at)}-${safe(node)}.tar.gz`;
}

/** `83466` -> `82 KiB`. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * One `docker node ls` line, `hostname|status|manager status`, of the manager backed up: back when
 * Ready and Reachable (or the leader again).
 */
export function managerIsBack(nodeLs: string, name: string): boolean {
  return nodeLs
    .split("\n")
    .map((l) => l.trim().split("|"))
    .some(([host, status, manager]) => host === name && status === "Ready" && (manager === "Reachable" || manager === "Leader"));
}

export const NODE_LS_SCRIPT = "docker node ls --format '{{.Hostname}}|{{.Status}}|{{.ManagerStatus}}'";

/** What a backup of an autolocked swarm needs to be restored. */
export const AUTOLOCK_NOTE =
  "restoring needs the swarm's unlock key: pulumi stack output unlockKey --show-secrets (keep it apart from the backup); npm run restore reads it from SWARMLAB_UNLOCK_KEY";
