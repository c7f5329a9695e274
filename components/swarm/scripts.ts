/**
 * The shell text swarmlab runs on hosts. Pure functions: each one is unit-tested for what it does
 * in every swarm state (LocalNodeState: inactive | pending | active | error | locked).
 */
import { waitUntil } from "../command/shell";
import { shellQuote as q } from "../command/ssh";
import type { Availability, Role } from "../config/cluster";

/**
 * Shell: `retry <command...>` runs a command up to 5 times, 2 s apart, until it succeeds, and keeps
 * its last output in $out; `fail <what>` then stops the script with what failed and that output.
 * Raft changes (promote, demote, node update) can time out or be "out of sequence" while another
 * change settles: a later attempt goes through.
 */
const RETRY = [
  `retry() { for i in 1 2 3 4 5; do if out=$("$@" 2>&1); then return 0; fi; [ $i = 5 ] && return 1; sleep 2; done; }`,
  `fail() { echo "$*: \${out//$'\\n'/ }" >&2; exit 1; }`,
].join("\n");

/**
 * Waits for dockerd and reports `engine=<version>` and `ipvs=yes|no`: the per-host readiness gate
 * (SSH dial retries are the caller's). Without IPVS in the kernel the routing mesh and virtual IPs
 * silently do not work, so the cluster falls back to host publishing and DNS round robin.
 */
export function readyScript(timeoutSeconds: number, advertiseAddress?: string): string {
  return [
    waitUntil("docker info >/dev/null 2>&1", timeoutSeconds),
    `docker info >/dev/null 2>&1 || { echo "dockerd does not answer on $(hostname) after ${timeoutSeconds} s" >&2; exit 1; }`,
    "echo \"engine=$(docker version --format '{{.Server.Version}}')\"",
    "if [ -e /proc/net/ip_vs ] || { modprobe ip_vs 2>/dev/null && [ -e /proc/net/ip_vs ]; }; then echo ipvs=yes; else echo ipvs=no; fi",
    ...(advertiseAddress === undefined ? [] : [mtuScript(advertiseAddress)]),
  ].join("\n");
}

/**
 * Prints `mtu=<n>`: the MTU of the interface that holds the advertise address (VXLAN goes out
 * there), or `mtu=` when it cannot be told (no `ip`, no such address): the plan then warns.
 */
export function mtuScript(advertiseAddress: string): string {
  return [
    `dev=$(ip -o addr show 2>/dev/null | while read -r _ d _ a _; do if [ "\${a%/*}" = ${q(advertiseAddress)} ]; then echo "$d"; break; fi; done || true)`,
    `echo "mtu=$( [ -n "$dev" ] && cat "/sys/class/net/$dev/mtu" 2>/dev/null || true)"`,
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

/**
 * Run on a live manager before a join (the command's managerLookup): what the joining node needs,
 * read there at that moment. The token, the IDs of every node of this swarm (a node whose ID is
 * not among them is in another swarm, or was removed from this one) and the addresses of the
 * managers that are reachable now, to join through.
 *
 * The token is the worker token, for managers too: their node settings promote them, after
 * removing what is left of the machine they replace. A manager that joins as a manager enters
 * Raft at once, beside the member its predecessor at the same address still is (a manager lost
 * with its disk and made again): swarmkit then sends the new member the old one's messages, and
 * the join can hang with the swarm's leader lost.
 */
export function joinLookupScript(): string {
  return [
    // each read on its own line: strict mode stops on a failed one instead of handing on nothing
    "token=$(docker swarm join-token -q worker)",
    `ids=$(docker node ls -q | tr '\n' ' ')`,
    `[ -n "$token" ] && [ -n "\${ids// /}" ] || { echo "$(hostname) did not tell the join token and the node list" >&2; exit 1; }`,
    `addrs=""; for m in $(docker node ls -q --filter role=manager); do`,
    `  a=$(docker node inspect -f '{{if .ManagerStatus}}{{if eq (print .ManagerStatus.Reachability) "reachable"}}{{.ManagerStatus.Addr}}{{end}}{{end}}' "$m" 2>/dev/null || true)`,
    `  [ -n "$a" ] && addrs="$addrs $a"; done`,
    `printf 'SWARMLAB_JOIN_TOKEN=%s\nSWARMLAB_NODE_IDS=%s\nSWARMLAB_MANAGER_ADDRS=%s\n' "$token" "$ids" "$addrs"`,
  ].join("\n");
}

/**
 * Joins the swarm unless already a member (never re-joins a live node), through the first manager
 * address that takes it ($SWARMLAB_MANAGER_ADDRS, see joinLookupScript). A node stuck in
 * pending/error from an interrupted join leaves first; so does a node still in a swarm that is not
 * this one (its node ID is not in $SWARMLAB_NODE_IDS): a machine reused from another cluster.
 */
export function joinScript(advertiseAddress: string): string {
  const state = "docker info --format '{{.Swarm.LocalNodeState}}'";
  return [
    ': "${SWARMLAB_JOIN_TOKEN:?no join token given}"',
    // without this swarm's node list, membership cannot be told: never leave on a guess
    ': "${SWARMLAB_NODE_IDS:?no node list of this swarm given}"',
    // state and node ID in one call (each `docker info` is ~0.1 s on a busy lab node); a dockerd
    // that does not answer fails the join here (the assignment, under set -e)
    `now() { info=$(docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}'); state=\${info%% *}; me=\${info#* }; }`,
    "now",
    // pending and error are also what a member shows while its engine restarts: let it settle first
    `for i in $(seq 1 30); do case "$state" in pending|error) sleep 2; now;; *) break;; esac; done`,
    'member=no; if [ -n "$me" ]; then case " $SWARMLAB_NODE_IDS " in *" $me "*) member=yes;; esac; fi',
    'case "$state" in',
    '  pending|error)',
    '    if [ $member = yes ]; then echo "$(hostname) is a member of this swarm but its swarm state stays $state (docker info there says why)" >&2; exit 1; fi',
    // an interrupted join to anything that is not this swarm holds nothing: start clean
    "    docker swarm leave --force >/dev/null 2>&1 || true; state=inactive;;",
    // a machine reused from another cluster, or still in a swarm that is gone: this one is the cluster
    '  active) if [ $member = no ]; then docker swarm leave --force >/dev/null 2>&1 || true; state=inactive; fi;;',
    'esac',
    'if [ "$state" = locked ]; then echo "the swarm on $(hostname) is locked: run docker swarm unlock there first" >&2; exit 1; fi',
    'if [ "$state" = inactive ]; then',
    '  out="no reachable manager to join through"',
    "  for m in ${SWARMLAB_MANAGER_ADDRS:-}; do",
    `    if out=$(docker swarm join --token "$SWARMLAB_JOIN_TOKEN" --advertise-addr ${q(advertiseAddress)} "$m" 2>&1); then break; fi`,
    // "Timeout was reached before node joined": on a busy host the join goes on in the background.
    `    for i in $(seq 1 60); do case "$(${state})" in active|inactive) break;; esac; sleep 2; done`,
    `    [ "$(${state})" = active ] && break`,
    "  done",
    "  now",
    '  [ "$state" = active ] || { echo "$out" >&2; exit 1; }',
    "fi",
    'printf \'%s\\n\' "$me"',
  ].join("\n");
}

/**
 * The node's own swarm ID (what an update of a join prints, like the join itself): the join's
 * drift check. It never fails: a failing check would mean "gone" and replace the join, whose
 * delete makes the node leave the swarm, and a dockerd that is restarting (a registry trust
 * reload) must not cost that. A dockerd that does not answer within 45 s prints an empty line, a
 * change: the join's update runs, which leaves nothing on a guess. (The wait ends before the
 * check's own 60 s timeout; a check cut off there, a dockerd that hangs, has no verdict at all.)
 */
export function nodeIdScript(waitSeconds = 45): string {
  // one `docker info` when dockerd answers (a drift check of every node at every preview)
  return ['id=""', waitUntil(`id=$(docker info --format '{{.Swarm.NodeID}}' 2>/dev/null)`, waitSeconds), 'printf \'%s\\n\' "$id"'].join("\n");
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
  // What the node holds, as `docker node inspect` prints it (Go's JSON: keys sorted, no labels is
  // {} or null): when it is already what is wanted (a fresh join, a re-run) nothing is updated.
  // Anything this text does not render exactly as Go does is only an update that was not needed.
  const sorted = Object.fromEntries(wanted.map((k) => [k, s.labels[k]]));
  const holds = [`${s.availability} ${JSON.stringify(sorted)}`, ...(wanted.length ? [] : [`${s.availability} null`])];
  // Each `docker node inspect` costs ~0.1 s on a busy lab manager: one read of this node, one of all the others.
  return [
    `id=${id}; st=""; changed=no`,
    waitUntil(
      `IFS='|' read -r st addr role now <<<"$(docker node inspect -f '{{.Status.State}}|{{.Status.Addr}}|{{.Spec.Role}}|{{.Spec.Availability}} {{json .Spec.Labels}}' "$id" 2>/dev/null || true)"; [ "$st" = ready ]`,
      s.readyTimeoutSeconds,
    ),
    `[ "$st" = ready ] || { echo "node ${s.name} ($id) is not Ready after ${s.readyTimeoutSeconds} s (state: \${st:-unknown})" >&2; exit 1; }`,
    // Stale entries: the same hostname, Down or at this node's own address (a machine recreated
    // behind swarmlab's back still counts as Ready until its heartbeats time out), and nameless
    // Down entries (joins that never completed). A live machine elsewhere with the same hostname stays.
    `others=$(docker node ls -q | grep -vxF "$id" || true)`,
    `while IFS='|' read -r old h ost oaddr; do [ -n "$old" ] || continue`,
    `  if [ "$h" = ${q(s.name)} ] && { [ "$ost" = down ] || [ "$oaddr" = "$addr" ]; }; then :; elif [ -z "$h" ] && [ "$ost" = down ]; then :; else continue; fi`,
    `  docker node demote "$old" </dev/null >/dev/null 2>&1 || true; docker node rm --force "$old" </dev/null >/dev/null`,
    // (an entry removed meanwhile is left out of the listing: nothing to remove)
    `done <<<"$([ -z "$others" ] || docker node inspect -f '{{.ID}}|{{.Description.Hostname}}|{{.Status.State}}|{{.Status.Addr}}' $others 2>/dev/null || true)"`,
    RETRY,
    s.role === "manager"
      ? `if [ "$role" != manager ]; then retry docker node promote "$id" || fail "cannot promote node ${s.name} ($id)"; changed=yes; fi`
      : `if [ "$role" != worker ]; then retry docker node demote "$id" || fail "cannot demote node ${s.name} ($id)"; changed=yes; fi`,
    `if ${holds.map((h) => `[ "$now" != ${q(h)} ]`).join(" && ")}; then`,
    `  rm_args=""; for k in $(docker node inspect -f '{{range $k, $v := .Spec.Labels}}{{$k}} {{end}}' "$id"); do`,
    `    case ${q(` ${wanted.join(" ")} `)} in *" $k "*) ;; *) rm_args="$rm_args --label-rm $k";; esac; done`,
    // "update out of sequence": the node object changed under us (a join or promotion settling); try again.
    `  retry docker node update --availability ${s.availability} $rm_args ${add} "$id" || fail "cannot update node ${s.name} ($id)"; changed=yes`,
    `fi`,
    ...(s.role === "manager"
      ? [
          waitUntil(`[ "$(docker node inspect -f '{{.ManagerStatus.Reachability}}' "$id" 2>/dev/null)" = reachable ]`, s.readyTimeoutSeconds),
        ]
      : []),
    // role and availability as they are now (read again only when this run changed them)
    `if [ $changed = yes ]; then docker node inspect -f '{{.Spec.Role}} {{.Spec.Availability}}' "$id"; else echo "$role \${now%% *}"; fi`,
  ].join("\n");
}

export interface Retirement {
  nodeId: string;
  name: string;
  /** How long the node's tasks may take to move to other nodes. */
  timeoutSeconds: number;
}

/**
 * Run on a manager before the node leaves: drains it, demotes it if it is a manager (never the
 * manager running this), and waits until no task is meant to run on it any more, so it leaves with
 * its work moved. A node that is gone (already removed) needs none of it: that is a success.
 */
export function retireScript(r: Retirement): string {
  const node = `node ${r.name} ($id)`;
  const gone = `! docker node inspect "$id" >/dev/null 2>&1`;
  return [
    `id=${q(r.nodeId)}`,
    `if ${gone}; then exit 0; fi`,
    RETRY,
    // A node that went away meanwhile (removed by hand, say) makes any failure moot.
    `fail_unless_gone() { if ${gone}; then exit 0; fi; fail "$@"; }`,
    `retry docker node update --availability drain "$id" || fail_unless_gone "cannot drain ${node}"`,
    `if [ "$(docker node inspect -f '{{.Spec.Role}}' "$id")" = manager ] && [ "$(docker info --format '{{.Swarm.NodeID}}')" != "$id" ]; then`,
    `  retry docker node demote "$id" || fail_unless_gone "cannot demote ${node}"`,
    `fi`,
    // Tasks the orchestrator still means to run there; when the listing fails, stop if the node is gone.
    waitUntil(`if out=$(docker node ps "$id" --filter desired-state=running -q 2>&1); then [ -z "$out" ]; else ${gone}; fi`, r.timeoutSeconds),
    `[ -z "$out" ] || fail_unless_gone "${node} still has tasks meant to run on it after ${r.timeoutSeconds} s of draining"`,
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
