/**
 * Which swarm the cluster is, decided from every configured manager's own state, never from which
 * node came first: the swarm a live manager holds is kept (a new or lost manager, the first one
 * included, joins it); only a cluster where no manager holds a swarm is initialised; managers in
 * different swarms stop the run; a swarm that lost its Raft quorum is only forced into a new
 * cluster (keeping its services, secrets and configs) on explicit request. Pure: the survey
 * script, its parsing, the decision and the script that acts on it (bootstrap.ts runs them).
 */
import { shellQuote as q } from "../command/ssh";
import { parseKeyValues, waitUntil } from "../command/shell";
import { readUnlockKeyScript } from "./settings";

/** What one manager said of itself (`reached: false`: no SSH or no dockerd answer). */
export interface ManagerReport {
  name: string;
  reached: boolean;
  /** LocalNodeState: inactive | pending | active | error | locked. */
  state?: string;
  /** A manager (ControlAvailable). */
  control?: boolean;
  node?: string;
  /** The swarm's ID, readable only where the control plane has a Raft leader. */
  cluster?: string;
  /** Why it could not be read, or docker's swarm error. */
  error?: string;
  /** The cluster's spec as JSON (with `cluster`). */
  spec?: string;
}

export type Decision =
  | { action: "use"; on: string; cluster: string }
  | { action: "init"; on: string }
  /** `others`: the other survivors, stale copies once `on` forced a new cluster: they leave and join again. */
  | { action: "force"; on: string; others: string[] }
  /** Undecided while managers that may hold the swarm do not answer: ask again, then refuse with `message`. */
  | { action: "wait"; message: string }
  | { action: "refuse"; message: string };

/** Run on each manager: its swarm state as key=value lines (waits a little for a dockerd that is starting). */
export function surveyScript(waitSeconds = 60): string {
  // one call (each may wait on a control plane without a leader, and the survey is the swarm's
  // drift check at every preview), repeated only while dockerd does not answer; the cluster ID
  // needs the control plane, so only a manager of a swarm with a leader prints it
  const read = `docker info --format 'state={{.Swarm.LocalNodeState}}{{"\\n"}}control={{.Swarm.ControlAvailable}}{{"\\n"}}node={{.Swarm.NodeID}}{{"\\n"}}error={{.Swarm.Error}}{{"\\n"}}{{if .Swarm.Cluster}}cluster={{.Swarm.Cluster.ID}}{{"\\n"}}spec={{json .Swarm.Cluster.Spec}}{{end}}'`;
  return [
    'out=""; ok=""',
    waitUntil(`out=$(${read} 2>/dev/null) && ok=yes`, waitSeconds),
    `[ -n "$ok" ] || { echo "dockerd does not answer on $(hostname)" >&2; exit 1; }`,
    `printf '%s\\n' "$out"`,
  ].join("\n");
}

export function parseSurvey(name: string, res: { code: number; stdout: string; stderr: string }): ManagerReport {
  if (res.code !== 0) return { name, reached: false, error: res.stderr.trim().split("\n").pop() || `exit ${res.code}` };
  const kv = parseKeyValues(res.stdout);
  return { name, reached: true, state: kv.state, control: kv.control === "true", node: kv.node || undefined, cluster: kv.cluster || undefined, error: kv.error || undefined, spec: kv.spec || undefined };
}

function list(names: string[]): string {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function whyMissing(r: ManagerReport): string {
  if (!r.reached) return `${r.name} does not answer (${r.error})`;
  if (r.state === "inactive") return `${r.name} is in no swarm (a new or reinstalled machine)`;
  return `${r.name} is ${r.state}${r.error ? ` (${r.error})` : ""}`;
}

/**
 * The decision, from every configured manager's report (in configured order). Pure: the rules of
 * DESIGN.md's failure section, unit-tested case by case.
 */
export function decideSwarm(reports: ManagerReport[], o: { forceNewCluster: boolean; recorded?: string }): Decision {
  const live = reports.filter((r) => r.reached && r.state === "active" && r.control && r.cluster);
  const clusters = [...new Set(live.map((r) => r.cluster as string))];
  if (clusters.length > 1) {
    const each = clusters.map((c) => `${list(live.filter((r) => r.cluster === c).map((r) => r.name))} in swarm ${c}`);
    return {
      action: "refuse",
      message:
        `the managers are in different swarms (split brain): ${each.join("; ")}. swarmlab changed nothing. ` +
        `Choose the swarm to keep; on each manager of the other, run docker swarm leave --force (what only that swarm holds is lost with it), then pulumi up again: they join the kept one`,
    };
  }
  if (live.length > 0) {
    if (o.forceNewCluster) {
      return {
        action: "refuse",
        message:
          `swarmlab:swarm.forceNewCluster is set, but the swarm has its quorum (${list(live.map((r) => r.name))} answer with control): ` +
          `forcing a new cluster now would drop the other managers for nothing; remove the setting`,
      };
    }
    const silent = reports.filter((r) => !r.reached);
    if (o.recorded && clusters[0] !== o.recorded && silent.length > 0) {
      return {
        action: "wait",
        message:
          `the managers that answer hold swarm ${clusters[0]}, not swarm ${o.recorded} that this stack made, and ${silent.map(whyMissing).join("; ")}: ` +
          `swarmlab takes another swarm for the cluster only when every manager answers; bring them back, then pulumi up`,
      };
    }
    return { action: "use", on: live[0].name, cluster: clusters[0] };
  }
  const headless = reports.filter((r) => r.reached && r.state === "active" && r.control);
  const others = reports.filter((r) => !headless.includes(r));
  if (headless.length > 0) {
    if (o.forceNewCluster) return { action: "force", on: headless[0].name, others: headless.slice(1).map((r) => r.name) };
    const n = reports.length;
    return {
      action: "refuse",
      message:
        `the swarm has lost its Raft quorum: ${list(headless.map((r) => r.name))} still hold${headless.length === 1 ? "s" : ""} it but no leader can be elected, ` +
        `since ${n} managers need ${Math.floor(n / 2) + 1} to agree and ${others.map(whyMissing).join("; ")}. swarmlab changed nothing. ` +
        `If the missing managers can come back, start them: the swarm recovers by itself, then run pulumi up. ` +
        `If they are lost for good, set swarmlab:swarm.forceNewCluster to true and run pulumi up: docker swarm init --force-new-cluster on ${headless[0].name} ` +
        `keeps the swarm's services, secrets and configs, and the other nodes join it again; then remove the setting`,
    };
  }
  const locked = reports.filter((r) => r.reached && r.state === "locked");
  if (locked.length > 0) {
    return {
      action: "refuse",
      message:
        `${list(locked.map((r) => r.name))} hold${locked.length === 1 ? "s" : ""} a locked swarm (autolock) and swarmlab has no unlock key for it: ` +
        `set SWARMLAB_UNLOCK_KEY to the key (the unlockKey output of the stack that locked it) and run pulumi up, or run docker swarm unlock there`,
    };
  }
  // pending and error are also what a member shows while its engine restarts: it may hold the swarm
  const unsettled = reports.filter((r) => r.reached && (r.state === "pending" || r.state === "error"));
  if (unsettled.length > 0) {
    return {
      action: "wait",
      message:
        `${unsettled.map((r) => `${r.name} is ${r.state}${r.error ? ` (${r.error})` : ""}`).join("; ")}: its swarm state is settling, and it may hold the swarm. ` +
        `swarmlab does not initialise a new swarm beside it: wait for it (docker info on it), or, if it was only an interrupted join, run docker swarm leave --force there; then pulumi up`,
    };
  }
  const workers = reports.filter((r) => r.reached && r.state === "active");
  if (workers.length > 0) {
    return {
      action: "refuse",
      message:
        `${list(workers.map((r) => r.name))} ${workers.length === 1 ? "is a worker" : "are workers"} of a swarm whose managers are not among the configured managers or do not answer: ` +
        `swarmlab will not start another swarm beside it; list one of that swarm's managers in swarmlab:nodes, or run docker swarm leave --force on ${list(workers.map((r) => r.name))}`,
    };
  }
  const unreached = reports.filter((r) => !r.reached);
  if (unreached.length > 0) {
    return {
      action: "wait",
      message:
        `cannot tell whether the swarm still exists: ${unreached.map(whyMissing).join("; ")}, and no manager that answers holds it. ` +
        `swarmlab does not initialise a new swarm while a manager that may hold the old one is silent: bring it back (or remove it from swarmlab:nodes), then pulumi up`,
    };
  }
  if (o.forceNewCluster) {
    return { action: "refuse", message: "swarmlab:swarm.forceNewCluster is set, but no manager holds a swarm to recover: remove the setting (pulumi up then initialises a new swarm)" };
  }
  const strange = reports.filter((r) => r.state !== "inactive");
  if (strange.length > 0) return { action: "refuse", message: `${strange.map((r) => `${r.name} is ${r.state}`).join("; ")}: swarmlab initialises a swarm only when every manager is in none` };
  return { action: "init", on: reports[0].name };
}

export interface InitOptions {
  advertiseAddress: string;
  defaultAddrPool?: string;
  dataPathPort?: number;
  /** Force a new cluster that keeps autolock (a restored backup of a locked swarm: without it, init turns autolock off and drops the key). */
  autolock?: boolean;
}

/**
 * Run on the chosen manager: init (or force a new cluster from its state), then `then` (the day-2
 * settings and rotations), then print the swarm's ID, join tokens and unlock key.
 */
export function actScript(d: Decision & { action: "use" | "init" | "force" }, o: InitOptions, then: string[] = [], autolock = false): string {
  const flags = [`--advertise-addr ${q(o.advertiseAddress)}`];
  if (o.defaultAddrPool) flags.push(`--default-addr-pool ${q(o.defaultAddrPool)}`);
  if (o.dataPathPort) flags.push(`--data-path-port ${o.dataPathPort}`);
  // init only where the survey found no swarm at all (every manager inactive): it never leaves one
  const act =
    d.action === "init"
      ? [`docker swarm init ${flags.join(" ")} >/dev/null`]
      : d.action === "force"
        ? [`docker swarm init --force-new-cluster${o.autolock ? " --autolock" : ""} --advertise-addr ${q(o.advertiseAddress)} >/dev/null`]
        : [];
  return [
    ...act,
    waitUntil(`docker node inspect self >/dev/null 2>&1`, 60),
    ...then,
    // each value read on its own line, so that strict mode stops on a failed read instead of printing nothing
    "cluster=$(docker info --format '{{.Swarm.Cluster.ID}}')",
    "worker=$(docker swarm join-token -q worker)",
    "manager=$(docker swarm join-token -q manager)",
    '[ -n "$cluster" ] && [ -n "$worker" ] && [ -n "$manager" ] || { echo "$(hostname) did not tell the swarm ID and join tokens" >&2; exit 1; }',
    'printf "cluster=%s\\nworker=%s\\nmanager=%s\\n" "$cluster" "$worker" "$manager"',
    readUnlockKeyScript(autolock),
  ].join("\n");
}
