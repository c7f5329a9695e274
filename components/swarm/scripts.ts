/**
 * The shell text swarmlab runs on hosts. Pure functions: each one is unit-tested for what it does
 * in every swarm state (LocalNodeState: inactive | pending | active | error | locked).
 */
import { shellQuote as q } from "../command/ssh";
import type { Availability, Role } from "../config/cluster";

/**
 * Shell: polls `cond` (a command list) every 0.2 s until it holds or `seconds` have passed. A
 * deadline rather than a count, since each poll takes time too; fine-grained because every wait
 * sits on the path from nothing to a Ready swarm.
 */
export function waitUntil(cond: string, seconds: number): string {
  return `end=$((SECONDS + ${seconds})); until ${cond}; do [ $SECONDS -ge $end ] && break; sleep 0.2; done`;
}

/**
 * Waits for dockerd and reports `engine=<version>` and `ipvs=yes|no`: the per-host readiness gate
 * (SSH dial retries are the caller's). Without IPVS in the kernel the routing mesh and virtual IPs
 * silently do not work, so the cluster falls back to host publishing and DNS round robin.
 */
export function readyScript(timeoutSeconds: number): string {
  return [
    waitUntil("docker info >/dev/null 2>&1", timeoutSeconds),
    `docker info >/dev/null 2>&1 || { echo "dockerd does not answer on $(hostname) after ${timeoutSeconds} s" >&2; exit 1; }`,
    "echo \"engine=$(docker version --format '{{.Server.Version}}')\"",
    "if [ -e /proc/net/ip_vs ] || { modprobe ip_vs 2>/dev/null && [ -e /proc/net/ip_vs ]; }; then echo ipvs=yes; else echo ipvs=no; fi",
  ].join("\n");
}

export interface NetworkModes {
  publishMode: "ingress" | "host";
  endpointMode: "vip" | "dnsrr";
  warnings: string[];
}

/** Turns `auto` into what the kernels can do: the normal swarm defaults wherever IPVS exists. */
export function resolveNetworkModes(cfg: { publishMode: "auto" | "ingress" | "host"; endpointMode: "auto" | "vip" | "dnsrr" }, nodesWithoutIpvs: string[]): NetworkModes {
  const ipvs = nodesWithoutIpvs.length === 0;
  const publishMode = cfg.publishMode === "auto" ? (ipvs ? "ingress" : "host") : cfg.publishMode;
  const endpointMode = cfg.endpointMode === "auto" ? (ipvs ? "vip" : "dnsrr") : cfg.endpointMode;
  const warnings: string[] = [];
  if (!ipvs) {
    const n = nodesWithoutIpvs.length;
    const who = n > 4 ? `${nodesWithoutIpvs.slice(0, 3).join(", ")} and ${n - 3} other nodes` : nodesWithoutIpvs.join(", ");
    if (cfg.publishMode === "auto" || cfg.endpointMode === "auto") {
      warnings.push(`no IPVS in the kernel of ${who}: the routing mesh and virtual IPs would not work, so services publish ports in host mode and use DNS round robin (set swarmlab:swarm.publishMode / endpointMode to force)`);
    }
    if (publishMode === "ingress" || endpointMode === "vip") {
      warnings.push(`no IPVS in the kernel of ${who}, but the configuration forces ${publishMode === "ingress" ? "ingress publishing" : "virtual IPs"}: published ports and service VIPs will not answer`);
    }
  }
  return { publishMode, endpointMode, warnings };
}

export interface InitOptions {
  advertiseAddress: string;
  defaultAddrPool?: string;
  dataPathPort?: number;
}

const stateCheck = [
  "state=$(docker info --format '{{.Swarm.LocalNodeState}}')",
  'case "$state" in inactive|active) ;; locked) echo "the swarm on $(hostname) is locked: run docker swarm unlock there first" >&2; exit 1;;',
  '  *) echo "swarm state on $(hostname) is $state; expected inactive or active (see README, Troubleshooting)" >&2; exit 1;; esac',
];

/** `docker swarm init` on the first manager unless it is already in a swarm; prints the join tokens. */
export function initScript(o: InitOptions): string {
  const flags = [`--advertise-addr ${q(o.advertiseAddress)}`];
  if (o.defaultAddrPool) flags.push(`--default-addr-pool ${q(o.defaultAddrPool)}`);
  if (o.dataPathPort) flags.push(`--data-path-port ${o.dataPathPort}`);
  return [
    ...stateCheck,
    `if [ "$state" = inactive ]; then docker swarm init ${flags.join(" ")} >/dev/null; fi`,
    'if [ "$(docker info --format \'{{.Swarm.ControlAvailable}}\')" != true ]; then echo "$(hostname) is in a swarm but is not a manager: it cannot be the first manager" >&2; exit 1; fi',
    'echo "worker=$(docker swarm join-token -q worker)"',
    'echo "manager=$(docker swarm join-token -q manager)"',
    "echo \"node=$(docker info --format '{{.Swarm.NodeID}}')\"",
  ].join("\n");
}

/** Parses `key=value` lines printed by the init script. */
export function parseKeyValues(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/**
 * Joins the swarm unless already a member (never re-joins a live node); a node stuck in
 * pending/error from an interrupted join leaves first. The token comes in $SWARMLAB_JOIN_TOKEN.
 * $SWARMLAB_SWARM_MANAGER, the first manager's node ID, tells this swarm from another: a node
 * still in a swarm whose managers do not include it (the first manager was made anew, with a new
 * swarm) leaves that one and joins this one.
 */
export function joinScript(advertiseAddress: string, managerAddress: string): string {
  return [
    ': "${SWARMLAB_JOIN_TOKEN:?no join token given}"',
    "state=$(docker info --format '{{.Swarm.LocalNodeState}}')",
    'if [ "$state" = pending ] || [ "$state" = error ]; then docker swarm leave --force >/dev/null 2>&1 || true; state=inactive; fi',
    'if [ "$state" = active ] && [ -n "${SWARMLAB_SWARM_MANAGER:-}" ]; then',
    "  managers=$(docker info --format '{{range .Swarm.RemoteManagers}}{{.NodeID}} {{end}}')",
    '  case " $managers " in "  "|*" $SWARMLAB_SWARM_MANAGER "*) ;; *) docker swarm leave --force >/dev/null 2>&1 || true; state=inactive;; esac',
    "fi",
    'if [ "$state" = locked ]; then echo "the swarm on $(hostname) is locked: run docker swarm unlock there first" >&2; exit 1; fi',
    `if [ "$state" = inactive ] && ! out=$(docker swarm join --token "$SWARMLAB_JOIN_TOKEN" --advertise-addr ${q(advertiseAddress)} ${q(`${managerAddress}:2377`)} 2>&1); then`,
    // "Timeout was reached before node joined": on a busy host the join goes on in the background.
    "  for i in $(seq 1 60); do [ \"$(docker info --format '{{.Swarm.LocalNodeState}}')\" = active ] && break; sleep 2; done",
    "  [ \"$(docker info --format '{{.Swarm.LocalNodeState}}')\" = active ] || { echo \"$out\" >&2; exit 1; }",
    "fi",
    "docker info --format '{{.Swarm.NodeID}}'",
  ].join("\n");
}

/** The node's own swarm ID (what an update of a join prints, like the join itself). */
export function nodeIdScript(): string {
  return "docker info --format '{{.Swarm.NodeID}}'";
}

/** Run on the node itself when it leaves the cluster. */
export function leaveScript(): string {
  return "docker swarm leave --force >/dev/null 2>&1 || true";
}

export interface NodeSettings {
  nodeId: string;
  name: string;
  role: Role;
  availability: Availability;
  labels: Record<string, string>;
  readyTimeoutSeconds: number;
}

/**
 * Run on a manager: waits until the node is listed Ready (join can return before it is), removes
 * stale Down entries of the same hostname (a node recreated behind swarmlab's back), then applies
 * role, availability and exactly the configured labels.
 */
export function settingsScript(s: NodeSettings): string {
  const id = q(s.nodeId);
  const wanted = Object.keys(s.labels).sort();
  const add = wanted.map((k) => `--label-add ${q(`${k}=${s.labels[k]}`)}`).join(" ");
  return [
    `id=${id}; st=""`,
    waitUntil(`st=$(docker node inspect -f '{{.Status.State}}' "$id" 2>/dev/null || true); [ "$st" = ready ]`, s.readyTimeoutSeconds),
    `[ "$st" = ready ] || { echo "node ${s.name} ($id) is not Ready after ${s.readyTimeoutSeconds} s (state: \${st:-unknown})" >&2; exit 1; }`,
    // Stale entries: the same hostname, Down or at this node's own address (a machine recreated
    // behind swarmlab's back still counts as Ready until its heartbeats time out), and nameless
    // Down entries (joins that never completed). A live machine elsewhere with the same hostname stays.
    `addr=$(docker node inspect -f '{{.Status.Addr}}' "$id")`,
    `for old in $(docker node ls -q); do [ "$old" = "$id" ] && continue`,
    `  IFS='|' read -r h ost oaddr <<<"$(docker node inspect -f '{{.Description.Hostname}}|{{.Status.State}}|{{.Status.Addr}}' "$old")"`,
    `  if [ "$h" = ${q(s.name)} ] && { [ "$ost" = down ] || [ "$oaddr" = "$addr" ]; }; then :; elif [ -z "$h" ] && [ "$ost" = down ]; then :; else continue; fi`,
    `  docker node demote "$old" >/dev/null 2>&1 || true; docker node rm --force "$old" >/dev/null`,
    `done`,
    `role=$(docker node inspect -f '{{.Spec.Role}}' "$id")`,
    // Raft membership changes can time out while another settles: retry them like node updates.
    `retry() { for i in 1 2 3 4 5; do if out=$("$@" 2>&1); then return 0; fi; [ $i = 5 ] && { echo "$out" >&2; return 1; }; sleep 2; done; }`,
    s.role === "manager"
      ? `if [ "$role" != manager ]; then retry docker node promote "$id"; fi`
      : `if [ "$role" != worker ]; then retry docker node demote "$id"; fi`,
    `rm_args=""; for k in $(docker node inspect -f '{{range $k, $v := .Spec.Labels}}{{$k}} {{end}}' "$id"); do`,
    `  case ${q(` ${wanted.join(" ")} `)} in *" $k "*) ;; *) rm_args="$rm_args --label-rm $k";; esac; done`,
    // "update out of sequence": the node object changed under us (a join or promotion settling); try again.
    `retry docker node update --availability ${s.availability} $rm_args ${add} "$id"`,
    ...(s.role === "manager"
      ? [
          waitUntil(`[ "$(docker node inspect -f '{{.ManagerStatus.Reachability}}' "$id" 2>/dev/null)" = reachable ]`, s.readyTimeoutSeconds),
        ]
      : []),
    `docker node inspect -f '{{.Spec.Role}} {{.Spec.Availability}}' "$id"`,
  ].join("\n");
}

/** Run on a manager before the node leaves: drain it (its tasks move), and demote it if it is a manager. */
export function retireScript(nodeId: string): string {
  const id = q(nodeId);
  return [
    `docker node inspect ${id} >/dev/null 2>&1 || exit 0`,
    `docker node update --availability drain ${id} >/dev/null 2>&1 || true`,
    `if [ "$(docker node inspect -f '{{.Spec.Role}}' ${id})" = manager ] && [ "$(docker info --format '{{.Swarm.NodeID}}')" != ${id} ]; then docker node demote ${id} >/dev/null 2>&1 || true; fi`,
  ].join("\n");
}

/** Run on a manager after the node has left: wait until it is Down, then remove it from the node list. */
export function removeNodeScript(name: string): string {
  return [
    `for id in $(docker node ls -q 2>/dev/null); do`,
    `  [ "$(docker node inspect -f '{{.Description.Hostname}}' "$id")" = ${q(name)} ] || continue`,
    `  [ "$(docker info --format '{{.Swarm.NodeID}}')" = "$id" ] && continue`,
    `  for i in $(seq 1 20); do [ "$(docker node inspect -f '{{.Status.State}}' "$id" 2>/dev/null)" = down ] && break; sleep 1; done`,
    `  docker node rm --force "$id" >/dev/null 2>&1 || true`,
    `done`,
  ].join("\n");
}

/** Prints the node list as JSON lines: the swarm as it really is. */
export function nodeListScript(): string {
  return "docker node ls --format '{{json .}}'";
}

export interface NodeRow {
  name: string;
  status: string;
  availability: string;
  managerStatus: string;
}

export function parseNodeList(stdout: string): NodeRow[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim().startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, string>)
    .map((r) => ({ name: r.Hostname, status: r.Status, availability: r.Availability, managerStatus: r.ManagerStatus ?? "" }));
}
