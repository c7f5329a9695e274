/**
 * Every stand-in `docker` the unit tests run swarmlab's scripts against, with what it models. They
 * differ on purpose: each answers only what its scripts ask, from state files a test writes, and
 * logs its calls so a test can check what ran. Those that keep state read their folder from
 * $FAKE_DIR (see fakeMachine in ./fakes.ts); the others have their paths written in.
 *
 * Used by: SWARM_NODE_DOCKER and FAILING_DOCKER test/unit/swarm-scripts.test.ts; BOOTSTRAP_DOCKER
 * test/unit/swarm-bootstrap.test.ts; STACKS_DOCKER test/unit/stacks-deployment.test.ts;
 * statusDocker test/unit/cli-swarmState.test.ts (through test/support/swarmStateFixture.ts);
 * managerGuardDocker test/unit/command-run.test.ts; recordingDocker test/unit/hosts-dockerLab.test.ts,
 * test/unit/program.test.ts, test/unit/addons-registryTls.test.ts; localImagesDocker
 * test/unit/addons-images.test.ts, test/unit/addons-index.test.ts; sideLoadFakes
 * test/unit/addons-images.test.ts; overlayNetworkDocker test/unit/addons-network.test.ts;
 * trustNodeFakes and startFakeDockerd test/unit/addons-registry.test.ts; INSTALL_TARGET_FAKES
 * test/unit/hosts-install.test.ts; baselineFakes test/unit/bench-baseline.test.ts.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as path from "path";

/** A docker whose every call fails (an engine that is gone). */
export const FAILING_DOCKER = "#!/bin/sh\nexit 1\n";

/** `hostname` on a fake node: the name the scripts' messages show. */
export const HOSTNAME_FAKE = "echo node-under-test";

/**
 * A swarm node's engine, for the node scripts of components/swarm/scripts.ts. Its state lives in
 * files of $FAKE_DIR: `state` (LocalNodeState), `control` (ControlAvailable), `nodeid`, and per
 * node id `role-<id>`, `labels-<id>` (the keys), `labelsjson-<id>` (the labels as `{{json}}` prints
 * them), `availability-<id>` (active when missing), `status-<id>`, `hostname-<id>`; `nodes` lists the ids
 * `docker node ls -q` prints.
 * A node exists (for a plain `node inspect <id>`) while its `role-<id>` file does; `running-<id>`
 * holds how many more `node ps` listings show tasks on it. Scripted failures: `fails-<verb>` (verb:
 * the first two arguments joined by "-", "node-update", or "info" alone) holds how many calls fail
 * next, with the message in `error` (or "update out of sequence"); `vanish-<verb>` names a node
 * that such a failure removes (as when a node is removed while a script works on it).
 * Every invocation is appended to `log`, one line each: its arguments joined by spaces (and the
 * number of arguments to `argc`). Arguments it does not know fail with status 99.
 */
export const SWARM_NODE_DOCKER = String.raw`#!/usr/bin/env bash
d="$FAKE_DIR"
printf '%s\n' "$*" >> "$d/log"
printf '%s\n' "$#" >> "$d/argc"
get() { cat "$d/$1" 2>/dev/null || true; }
last="${"$"}{@: -1}"
verb="$1${"$"}{2:+-$2}"
n=$(get "fails-$verb")
if [ "${"$"}{n:-0}" -gt 0 ]; then
  echo $((n - 1)) > "$d/fails-$verb"
  v=$(get "vanish-$verb"); [ -n "$v" ] && rm -f "$d/role-$v"
  msg=$(get error); echo "${"$"}{msg:-Error response from daemon: rpc error: code = Unknown desc = update out of sequence}" >&2
  exit 1
fi
case "$*" in
  "info --format {{.Swarm.LocalNodeState}}") get state ;;
  "info --format {{.Swarm.ControlAvailable}}") get control ;;
  "info --format {{.Swarm.NodeID}}") get nodeid ;;
  "info --format {{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}") echo "$(get state) $(get nodeid)" ;;
  "info --format {{range .Swarm.RemoteManagers}}{{.NodeID}} {{end}}") get managers ;;
  "info") ;;
  "version --format {{.Server.Version}}") echo 28.0.0 ;;
  "swarm init "*) echo active > "$d/state"; echo true > "$d/control"; echo "Swarm initialized" ;;
  "swarm join "*) echo active > "$d/state"; echo false > "$d/control"; echo "This node joined a swarm as a worker." ;;
  "swarm leave --force") echo inactive > "$d/state"; echo false > "$d/control" ;;
  "swarm join-token -q worker") echo SWMTKN-1-fake-worker ;;
  "swarm join-token -q manager") echo SWMTKN-1-fake-manager ;;
  "node ls -q") get nodes ;;
  "node ls -q --filter role=manager") get manager-ids ;;
  "node inspect -f {{if .ManagerStatus}}"*) get "mgraddr-$last" ;;
  "node inspect -f {{.Status.State}} "*) get "status-$last" ;;
  "node inspect -f {{.Status.Addr}} "*) get "addr-$last" ;;
  "node inspect -f {{.Description.Hostname}}|{{.Status.State}}|{{.Status.Addr}} "*) echo "$(get "hostname-$last")|$(get "status-$last")|$(get "addr-$last")" ;;
  "node inspect -f {{.Spec.Role}} {{.Spec.Availability}} "*) a=$(get "availability-$last"); echo "$(get "role-$last") ${"$"}{a:-active}" ;;
  "node inspect -f {{.Status.State}}|{{.Status.Addr}}|{{.Spec.Role}}|{{.Spec.Availability}} {{json .Spec.Labels}} "*)
    [ -e "$d/role-$last" ] || exit 1; a=$(get "availability-$last"); echo "$(get "status-$last")|$(get "addr-$last")|$(get "role-$last")|${"$"}{a:-active} $(get "labelsjson-$last")" ;;
  "node inspect -f {{.ID}}|{{.Description.Hostname}}|{{.Status.State}}|{{.Status.Addr}} "*)
    shift 3; rc=0; for i in "$@"; do if [ -e "$d/role-$i" ]; then echo "$i|$(get "hostname-$i")|$(get "status-$i")|$(get "addr-$i")"; else echo "Error response from daemon: node $i not found" >&2; rc=1; fi; done; exit $rc ;;
  "node inspect -f {{.Spec.Role}} "*) get "role-$last" ;;
  "node inspect -f {{range \$k, \$v := .Spec.Labels}}{{\$k}} {{end}} "*) get "labels-$last" ;;
  "node inspect -f {{.ManagerStatus.Reachability}} "*) echo reachable ;;
  "node inspect -f {{.Description.Hostname}} "*) get "hostname-$last" ;;
  "node inspect $3") [ -e "$d/role-$3" ] || { echo "Error response from daemon: node $3 not found" >&2; exit 1; }; echo "[{}]" ;;
  "node ps $3 --filter desired-state=running -q")
    n=$(get "running-$3"); if [ "${"$"}{n:-0}" -gt 0 ]; then echo $((n - 1)) > "$d/running-$3"; printf 'task-a\ntask-b\n'; fi ;;
  "node promote "*) echo manager > "$d/role-$last" ;;
  "node demote "*) echo worker > "$d/role-$last" ;;
  "node update "*) a=$(printf '%s\n' "$@" | sed -n '/^--availability$/{n;p;}'); echo "$a" > "$d/availability-$last" ;;
  "node rm --force "*) ;;
  *) echo "fake docker: unexpected arguments: $*" >&2; exit 99 ;;
esac
`;

/**
 * A manager's engine as the swarm decision (components/swarm/decision.ts) surveys and acts on it:
 * which swarm it holds, not the nodes in it. State in $FAKE_DIR: `state`, `control`, `cluster` (the
 * swarm's ID, empty for none); `swarm init` makes swarm c-new (c-kept with --force-new-cluster).
 * Day 2: `autolock` and `history` (the spec's), `key` (the unlock key; `swarm unlock` wants it on
 * stdin), `tokens` (how many times the worker token was rotated), `ca-rotated`.
 * Every call is logged in `log`; arguments it does not know fail with status 99.
 */
export const BOOTSTRAP_DOCKER = String.raw`#!/usr/bin/env bash
d="$FAKE_DIR"; printf '%s\n' "$*" >> "$d/log"
get() { cat "$d/$1" 2>/dev/null || true; }
case "$*" in
  "info") ;;
  "info --format {{.Swarm.LocalNodeState}}") get state ;;
  "info --format state="*) printf 'state=%s\ncontrol=%s\nnode=id-self\nerror=\n' "$(get state)" "$(get control)"; c=$(get cluster)
    [ -z "$c" ] || printf 'cluster=%s\nspec={"EncryptionConfig":{"AutoLockManagers":%s},"Orchestration":{"TaskHistoryRetentionLimit":%s}}\n' "$c" "$(get autolock | grep . || echo false)" "$(get history | grep . || echo 5)" ;;
  "info --format {{.Swarm.Cluster.ID}}") get cluster ;;
  "info --format {{.Swarm.Cluster.RootRotationInProgress}}") echo false ;;
  "swarm init --force-new-cluster "*) echo c-kept > "$d/cluster" ;;
  "swarm init "*) echo active > "$d/state"; echo c-new > "$d/cluster" ;;
  "swarm leave --force") echo inactive > "$d/state" ;;
  "node inspect self") [ -n "$(get cluster)" ] ;;
  "swarm join-token -q worker") echo "SWMTKN-1-w$(get tokens)" ;;
  "swarm join-token -q manager") echo "SWMTKN-1-m$(get tokens)" ;;
  "swarm join-token --rotate -q "*) [ "$5" = manager ] || echo "$(( $(get tokens | grep . || echo 0) + 1 ))" > "$d/tokens" ;;
  "swarm update "*) for a in "$@"; do case "$a" in --autolock=*) v=$(echo "$a" | cut -d= -f2); echo "$v" > "$d/autolock"; [ "$v" = false ] || [ -n "$(get key)" ] || echo SWMKEY-1-a > "$d/key";; esac; done
    [[ " $* " != *" --task-history-limit "* ]] || printf '%s\n' "$@" | sed -n '/^--task-history-limit$/{n;p;}' > "$d/history" ;;
  "swarm unlock-key -q") get key ;;
  "swarm unlock-key --rotate -q") echo x >> "$d/rotations"; echo "SWMKEY-1-r$(get rotations | wc -l)" > "$d/key" ;;
  "swarm unlock") read -r k; [ "$k" = "$(get key)" ] || { echo "Error response from daemon: invalid key" >&2; exit 1; }; echo active > "$d/state" ;;
  "swarm ca --rotate --detach -q") echo ca > "$d/ca-rotated" ;;
  *) echo "fake docker: unexpected arguments: $*" >&2; exit 99 ;;
esac
`;

/**
 * A manager as the stack scripts of components/stacks/deployment.ts see it: services converging
 * over successive polls. Answers `docker <cmd>` from files in $FAKE_DIR: the n-th call of a kind
 * prints `<kind>.<n>` (or the highest `<kind>.<m>` with m < n, else `<kind>`). Kinds: service-ids
 * (service ls -q), service-ls, service-inspect, service-ps-<name>, network-ls, secret-ls,
 * config-ls. `stack deploy` keeps its stdin as `deployed.yaml` and copies its working folder's
 * files as `workdir-<name>` (it fails when `deploy-fails` exists); `secret rm` and `config rm` fail
 * for the names listed in `<kind>-in-use` and list the others in `removed-<kind>`; `info` prints
 * $FAKE_INFO (default active/true). Every call is logged in `calls`.
 */
export const STACKS_DOCKER = `#!/usr/bin/env bash
d=$FAKE_DIR
echo "$*" >> "$d/calls"
answer() {
  local k=$1 n i
  n=$(( $(cat "$d/n.$k" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$d/n.$k"
  for (( i = n; i >= 1; i-- )); do if [ -f "$d/$k.$i" ]; then cat "$d/$k.$i"; return 0; fi; done
  if [ -f "$d/$k" ]; then cat "$d/$k"; fi
  return 0
}
case "$1 $2" in
  "stack deploy")
    cat > "$d/deployed.yaml"
    for f in *; do cp "$f" "$d/workdir-$f"; done
    if [ -f "$d/deploy-fails" ]; then echo "failed to create service web_app: Error response from daemon: bad spec" >&2; exit 1; fi
    echo "Creating service web_app";;
  "stack rm") echo "Removing service $3";;
  "service ls") if [[ " $* " == *" -q "* ]]; then answer service-ids; else answer service-ls; fi;;
  "service inspect") answer service-inspect;;
  "service ps") answer "service-ps-\${@: -1}";;
  "service rm"|"network rm") ;;
  "network ls") answer network-ls;;
  "secret ls"|"config ls") answer "$1-ls";;
  "secret rm"|"config rm")
    kind=$1; shift 2
    for n in "$@"; do
      if grep -qx "$n" "$d/$kind-in-use" 2>/dev/null; then echo "Error response from daemon: $kind '$n' is in use" >&2; exit 1; fi
      echo "$n" >> "$d/removed-$kind"
    done;;
  "info --format") echo "\${FAKE_INFO:-active/true}";;
  *) echo "fake docker: unexpected call: $*" >&2; exit 1;;
esac
`;

/**
 * A manager answering `npm run status`'s remote script (cli/lib/swarmState.ts): node and service
 * IDs, then the JSON docker prints, from $FAKE_DIR's nodes.json, services.json, ls.jsonl and
 * ps.jsonl; `service ls -q` lists services only when `services`; on a node that is not a manager
 * `node ls` fails with docker's message. Every call is logged in `log`.
 */
export function statusDocker(opts: { services: boolean; nodeLsFails?: boolean }): string {
  return [
    "#!/bin/bash",
    'd="$FAKE_DIR"',
    'echo "$*" >> "$d/log"',
    'case "$1 $2" in',
    opts.nodeLsFails
      ? '  "node ls") echo "Error response from daemon: This node is not a swarm manager." >&2; exit 1 ;;'
      : '  "node ls") printf "w1\\nm1\\nm2\\n" ;;',
    '  "node inspect") cat "$d/nodes.json" ;;',
    `  "service ls") if [ "$3" = -q ]; then ${opts.services ? 'printf "s1\\ns2\\n"' : "true"}; else cat "$d/ls.jsonl"; fi ;;`,
    '  "service inspect") cat "$d/services.json" ;;',
    '  "service ps") cat "$d/ps.jsonl" ;;',
    '  *) echo "fake docker: unexpected $*" >&2; exit 1 ;;',
    "esac",
  ].join("\n");
}

/**
 * The engine as MANAGER_GUARD (components/command/run.ts) asks it: `info --format` prints `state`
 * ("<LocalNodeState> <ControlAvailable>"), `node inspect self` succeeds only with a Raft leader.
 */
export function managerGuardDocker(state: string, leader: boolean, log = "/dev/null"): string {
  // as a real engine: only a manager (ControlAvailable) with a leader answers `node inspect self`
  // and an empty `state` is a dockerd that does not answer at all
  const answers = state.endsWith(" true") && leader ? "yes" : "no";
  const info = state ? `echo "${state}"` : "exit 1";
  return `#!/bin/sh\necho "$1 $2" >> "${log}"\ncase "$1 $2" in "info --format") ${info};; "node inspect") [ "${answers}" = yes ];; *) exit 1;; esac\n`;
}

/**
 * A docker that only records its calls (one line of arguments each, appended to `log`) and exits
 * with `exitCode`, after printing `stderr` when given; `cases` are answers by the first two
 * arguments ("service inspect": "exit 1"), tried first.
 */
export function recordingDocker(log: string, opts: { exitCode?: number; stderr?: string; cases?: Record<string, string> } = {}): string {
  const cases = Object.entries(opts.cases ?? {}).map(([args, body]) => `[ "$1 $2" = "${args}" ] && { ${body}; }\n`);
  const stderr = opts.stderr !== undefined ? `printf '%s\\n' '${opts.stderr}' >&2\n` : "";
  return `#!/bin/sh\necho "$*" >> "${log}"\n${cases.join("")}${stderr}exit ${opts.exitCode ?? 0}\n`;
}

/**
 * This machine's local image store as checkLocalImages (components/addons/images.ts) asks it:
 * `docker image inspect -f {{.Id}} <image>` prints the ID of a known image and fails, as docker
 * does, for any other.
 */
export function localImagesDocker(ids: Record<string, string>): string {
  const known = Object.entries(ids).map(([image, id]) => `[ "$*" = "image inspect -f {{.Id}} ${image}" ] && { echo ${id}; exit 0; }\n`);
  return `${known.join("")}echo "Error: No such image: \${@: -1}" >&2; exit 1`;
}

/**
 * Side-loading an image (sideLoadScript, components/addons/images.ts) from this machine into a
 * node: a docker with a local and a remote image store (the files `local` and `remote` of `dir`,
 * each holding one image ID), and an ssh that records its argv (`ssh-args`), the key file it was
 * given (`ssh-key`) and the known-hosts file (`known`), then runs the remote command with REMOTE=1.
 * A remote `docker load` stores the ID named by $LOADS (the local one when unset). Calls are logged
 * in `log`, remote ones prefixed "remote ". `docker exec [-i] <container> docker ...` (the node
 * container's path, containerSideLoadScript) runs the inner docker as remote, recording
 * "<container>[ -i] <DOCKER_HOST or default>" in `exec`; the remote `docker info` fails as many
 * times as the file `down` says (a dockerd still starting); with a file `paused`, every exec fails
 * as on a paused container; the file `cut` says how many remote loads are cut short by a dockerd
 * that restarts (the load fails as Docker's client does, nothing is stored, and the next `docker
 * info` fails once).
 */
export function sideLoadFakes(dir: string): Record<string, string> {
  const [l, r] = [path.join(dir, "local"), path.join(dir, "remote")];
  return {
    docker: `if [ "$1" = exec ]; then shift; i=; [ "$1" = -i ] && { i=" -i"; shift; }; echo "$1$i \${DOCKER_HOST:-default}" >> ${dir}/exec; c=$1; shift
  [ -f ${dir}/paused ] && { echo "Error response from daemon: Container $c is paused, unpause the container before exec" >&2; exit 1; }
  [ "$1" = docker ] || exec "$@"; shift; REMOTE=1 exec "$0" "$@"; fi
store=${l}; [ -n "\${REMOTE:-}" ] && store=${r}
echo "\${REMOTE:+remote }docker $*" >> ${dir}/log
case "$1 $2" in
  "info ") n=$(cat ${dir}/down 2>/dev/null || echo 0); [ "$n" -gt 0 ] || exit 0; echo $((n - 1)) > ${dir}/down; exit 1;;
  "image inspect") [ -f "$store" ] && { cat "$store"; echo; exit 0; }; echo "Error: No such image" >&2; exit 1;;
  "save "*) printf 'TAR:%s' "$(cat ${l})";;
  "load -q") data=$(cat); [ "\${data#TAR:}" != "$data" ] || exit 1
    n=$(cat ${dir}/cut 2>/dev/null || echo 0); if [ "$n" -gt 0 ]; then echo $((n - 1)) > ${dir}/cut; echo 1 > ${dir}/down; echo 'error during connect: Post "http://%2Fvar%2Frun%2Fdocker.sock/v1.41/images/load?quiet=1": EOF' >&2; exit 1; fi
    printf '%s' "\${LOADS-\${data#TAR:}}" > "$store"; echo "Loaded image ID: x";;
  *) exit 1;;
esac`,
    ssh: `echo "ssh $*" >> ${dir}/ssh-args; cat "$2" > ${dir}/ssh-key
for a in "$@"; do case "$a" in UserKnownHostsFile=/dev/null) ;; UserKnownHostsFile=*) cat "\${a#UserKnownHostsFile=}" > ${dir}/known;; esac; done
REMOTE=1 bash -c "\${@: -1}"`,
  };
}

/**
 * A manager's networks and services as the overlay network scripts (components/addons/network.ts)
 * see them: `network inspect` answers from `dir`/exists ("<driver> <scope> <settings>"), absent
 * for no such network; `network create` makes an overlay; three services whose networks are
 * `users` (shell words, one per service: "<name> <network IDs> "). Calls are logged in `log`.
 */
export function overlayNetworkDocker(dir: string, users?: string): string {
  return `echo "docker $*" >> ${dir}/log
case "$1 $2" in
  "network inspect")
    [ -f ${dir}/exists ] || exit 1
    case "$*" in *"{{.Driver}} {{.Scope}}"*) cat ${dir}/exists; echo;; *"{{.Id}}"*) echo net-id-1;; esac;;
  "network create") echo "overlay swarm" > ${dir}/exists;;
  "network rm") ;;
  "service ls") printf 'svc1\\nsvc2\\nsvc3\\n';;
  "service inspect") printf '%s\\n' ${users ?? "'web_app other-net '"};;
  *) exit 1;;
esac`;
}

/** The real `sleep`, for a fake that must still wait a little. */
const REAL_SLEEP = spawnSync("bash", ["-c", "command -v sleep"], { encoding: "utf8" }).stdout.trim();

export type ReloadMode = "hup" | "restart" | "never";

/**
 * A node whose engine must come to trust an insecure registry (trustRegistryScript,
 * components/addons/registry.ts): `docker info` shows the registry as insecure once the file
 * `state`/trusted exists; `pidof dockerd` prints the pid in `state`/pid (see startFakeDockerd);
 * `systemctl is-active` answers `systemd`; a `systemctl restart` or `pkill` loads daemon.json when
 * `mode` is "restart" and notes the restart in `state`/restarted, after which the node is
 * "pending" in the swarm for two more polls. `sleep` waits 20 ms. Calls are logged in `state`/log.
 */
export function trustNodeFakes(p: { state: string; daemonJson: string; addr: string; mode: ReloadMode; systemd: boolean }): Record<string, string> {
  const { state, daemonJson, addr, mode } = p;
  const load = `touch "${state}/restarted"; grep -q '"${addr}"' "${daemonJson}" && [ "${mode}" = restart ] && touch "${state}/trusted"; true`;
  return {
    docker: `echo "docker $*" >> "${state}/log"
if [ "$1" = info ]; then
  if [ "$#" -eq 1 ]; then exit 0; fi
  # a swarm worker: after a restart, "pending" twice before it is back
  case "$*" in *LocalNodeState*) n=$(cat "${state}/swarm" 2>/dev/null || echo 0); echo $((n + 1)) > "${state}/swarm"
    if [ -e "${state}/restarted" ] && [ "$n" -lt 3 ]; then echo pending; else echo active; fi; exit 0;; *ControlAvailable*) echo false; exit 0;; esac
  if [ -e "${state}/trusted" ]; then printf '{"${addr}":{"Name":"${addr}","Mirrors":[],"Secure":false,"Official":false},"docker.io":{"Name":"docker.io","Mirrors":[],"Secure":true,"Official":true}}\\n'
  else printf '{"docker.io":{"Name":"docker.io","Mirrors":[],"Secure":true,"Official":true}}\\n'; fi
  exit 0
fi
exit 1`,
    pidof: `echo "pidof $*" >> "${state}/log"; cat "${state}/pid"`,
    systemctl: `echo "systemctl $*" >> "${state}/log"
case "$1" in
  is-active) [ "${p.systemd}" = true ];;
  restart) ${load};;
esac`,
    pkill: `echo "pkill $*" >> "${state}/log"; ${load}`,
    sleep: `exec ${REAL_SLEEP} 0.02`,
    hostname: "echo node7",
  };
}

/**
 * The stand-in dockerd for trustNodeFakes: a node process (its pid goes to `state`/pid, for the
 * fake pidof; `kill -HUP` is bash's builtin) that counts SIGHUPs in `state`/hup and, when `mode` is
 * "hup", loads daemon.json on one (the registry becomes trusted if the file names it). Resolves once
 * it listens for signals; the caller kills it.
 */
export async function startFakeDockerd(p: { state: string; daemonJson: string; addr: string; mode: ReloadMode }): Promise<ChildProcess> {
  const { state, daemonJson, addr, mode } = p;
  const dockerd = spawn(process.execPath, [
    "-e",
    `const fs = require("fs");
process.on("SIGHUP", () => {
  fs.appendFileSync(${JSON.stringify(path.join(state, "hup"))}, "HUP\\n");
  let text = ""; try { text = fs.readFileSync(${JSON.stringify(daemonJson)}, "utf8"); } catch {}
  if (${JSON.stringify(mode)} === "hup" && text.includes(${JSON.stringify(`"${addr}"`)})) fs.writeFileSync(${JSON.stringify(path.join(state, "trusted"))}, "");
});
setInterval(() => {}, 1000);
console.log("ready");`,
  ]);
  await new Promise<void>((res) => dockerd.stdout!.once("data", () => res()));
  return dockerd;
}

/**
 * A machine that Docker may have to be installed on (installDockerScript, components/hosts/install.ts):
 * fake id, sudo, docker, apt-get, systemctl, service, usermod and hostname. Each logs its argv to
 * $D/log; state is files in $D: `installed` (apt-get install made it, with a dockerd), `running`
 * (a start made it), `group` (the user may use docker), `nosudo` (sudo fails). $FAKE_UID and
 * $FAKE_USER are who runs; sudo runs its command as uid 0.
 */
export const INSTALL_TARGET_FAKES: Record<string, string> = {
  id: `case "$1" in -u) echo "$FAKE_UID";; -un) echo "$FAKE_USER";; esac`,
  sudo: `echo "sudo $*" >> "$D/log"; [ -e "$D/nosudo" ] && exit 1; [ "$1" = -n ] && shift; FAKE_UID=0 FAKE_SUDO=1 "$@"`,
  docker: `echo "docker $* uid=$FAKE_UID" >> "$D/log"
[ -e "$D/installed" ] || { echo "docker: command not found" >&2; exit 127; }
[ -e "$D/running" ] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
[ "$FAKE_UID" = 0 ] || [ -e "$D/group" ] || { echo "permission denied" >&2; exit 1; }`,
  "apt-get": `echo "apt-get $* uid=$FAKE_UID" >> "$D/log"; [ "$FAKE_UID" = 0 ] || exit 100
case "$*" in *" install "*) touch "$D/installed"; printf '#!/bin/bash\\necho "dockerd $*" >> "$D/log"; touch "$D/running"\\n' > "$D/bin/dockerd"; chmod +x "$D/bin/dockerd";; esac`,
  systemctl: `echo "systemctl $*" >> "$D/log"; [ -e "$D/installed" ] && touch "$D/running"; true`,
  service: `echo "service $*" >> "$D/log"; [ -e "$D/installed" ] && touch "$D/running"; true`,
  usermod: `echo "usermod $* uid=$FAKE_UID" >> "$D/log"`,
  hostname: `echo fakehost`,
};

/** The dockerd of an installed Docker on that machine: starting it makes docker answer. */
export const INSTALLED_DOCKERD = `#!/bin/bash\necho "dockerd $*" >> "$D/log"; touch "$D/running"\n`;

/**
 * The machines bench/baseline.sh drives (it runs everything over ssh): a local docker that
 * succeeds, an ssh-keygen that writes a key pair, and an ssh that logs "<address> <command>" to
 * `log` (the words after root@address), prints the join tokens by role and reports `nodes` nodes
 * Ready.
 */
export function baselineFakes(log: string, nodes: number): Record<string, string> {
  return {
    docker: "exit 0",
    "ssh-keygen": 'while [ $# -gt 0 ]; do [ "$1" = -f ] && { echo key > "$2"; echo pub > "$2.pub"; }; shift; done',
    ssh: [
      'args=("$@")',
      'for i in "${!args[@]}"; do case "${args[$i]}" in root@*) dest=${args[$i]#root@}; cmd="${args[*]:$((i + 1))}" ;; esac; done',
      `echo "$dest $cmd" >> ${log}`,
      'case "$cmd" in',
      '  "docker swarm join-token -q manager") echo MANAGER-TOKEN ;;',
      '  "docker swarm join-token -q worker") echo WORKER-TOKEN ;;',
      `  "docker node ls --format {{.Status}}") for i in $(seq 1 ${nodes}); do echo Ready; done ;;`,
      "esac",
    ].join("\n"),
  };
}

/**
 * `ssh` to fake machines: runs the remote command with bash on this machine, in the machine named
 * by the target's host: $FAKE_MACHINES/<host> is its $FAKE_DIR and its bin/ comes first on PATH.
 * A machine with a `down` file (or none) does not answer: ssh's own exit 255, before the command.
 */
export const SSH_TO_FAKE_MACHINES = `#!/usr/bin/env bash
target=\${@: -2:1}; host=\${target#*@}; d="$FAKE_MACHINES/$host"
if [ ! -d "$d" ] || [ -e "$d/down" ]; then echo "ssh: connect to host $host port 22: Connection refused" >&2; exit 255; fi
FAKE_DIR="$d" PATH="$d/bin:$PATH" exec bash -c "\${@: -1}"
`;
