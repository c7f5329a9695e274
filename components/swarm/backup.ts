/**
 * Backing up and restoring a manager's swarm state (/var/lib/docker/swarm: the Raft log and
 * snapshots, the node's certificates and keys), as Docker's docs prescribe: with dockerd stopped,
 * so the copy is consistent. Pure functions returning bash text, run as root with
 * `set -euo pipefail` (over ssh by the CLI and the swarm bootstrap).
 *
 * Stopping dockerd differs per host kind. A swarmlab lab node's entrypoint supervises dockerd and
 * starts it again within a second of its exit, so its loop is paused (SIGSTOP) while dockerd is
 * down and resumed (SIGCONT) after: the loop then starts dockerd. A systemd host stops and starts
 * the docker unit (and its socket, which would start it again on the first client). dockerd is
 * started again whatever happens (an EXIT trap), also when the archive fails or ssh drops.
 *
 * SWARMLAB_DOCKER_ROOT (default /var/lib/docker) only for the unit tests (a fake tree).
 */

/** How long dockerd gets to stop (s) and to answer again after it is started (s). */
export interface DockerdTimeouts {
  stopSeconds?: number;
  startSeconds?: number;
}

const DEFAULTS: Required<DockerdTimeouts> = { stopSeconds: 30, startSeconds: 120 };

/**
 * Shell: `stop_dockerd` and `resume_dockerd` (acts once, after a stop), and
 * `wait_dockerd` (until `docker info` answers, else fails naming the host). Sets the EXIT trap that
 * resumes dockerd and removes $tmpdir when set; a hang-up or interrupt exits through it.
 *
 * The lab node's loop is found by its command line: `bash /usr/local/bin/swarmlab-entrypoint`,
 * the oldest match (the sshd loop is a forked copy of the same process, started later; tini,
 * PID 1, has another command line). The pattern is written so that it does not match this
 * script's own command line (`bash -c '<this text>'`).
 */
export function dockerdControl(o: DockerdTimeouts = {}): string {
  const { stopSeconds, startSeconds } = { ...DEFAULTS, ...o };
  return String.raw`root=${"$"}{SWARMLAB_DOCKER_ROOT:-/var/lib/docker}
dockerd_kind=""
dockerd_loop=""
tmpdir=""
# a dockerd killed while its parent is paused stays a zombie until the loop reaps it: not running
dockerd_running() {
  local p
  for p in $(pgrep -x dockerd); do
    [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = Z ] || return 0
  done
  return 1
}
stop_dockerd() {
  local end
  if dockerd_loop=$(pgrep -o -f 'bash [^ ]*[s]warmlab-entrypoint'); then
    dockerd_kind=lab
    kill -STOP "$dockerd_loop"
    pkill -x dockerd || true
    end=$((SECONDS + ${stopSeconds}))
    while dockerd_running; do
      if [ $SECONDS -ge $end ]; then echo "dockerd on $(hostname) did not stop within ${stopSeconds} s" >&2; exit 1; fi
      sleep 0.2
    done
  elif command -v systemctl >/dev/null 2>&1 && systemctl cat docker.service >/dev/null 2>&1; then
    dockerd_kind=systemd
    systemctl stop docker.socket docker
  else
    echo "cannot stop dockerd on $(hostname): it is neither a swarmlab lab node (no lab entrypoint process) nor a systemd host with docker.service" >&2
    exit 1
  fi
}
resume_dockerd() {
  case "$dockerd_kind" in
    lab) kill -CONT "$dockerd_loop" 2>/dev/null || echo "could not resume the lab entrypoint (pid $dockerd_loop) on $(hostname): dockerd stays down" >&2 ;;
    systemd) systemctl start docker || echo "systemctl start docker failed on $(hostname)" >&2 ;;
  esac
  dockerd_kind="" # once: the EXIT trap calls it again
  return 0
}
wait_dockerd() {
  local end=$((SECONDS + ${startSeconds}))
  until docker info >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then echo "dockerd on $(hostname) does not answer ${startSeconds} s after it was started again" >&2; exit 1; fi
    sleep 0.5
  done
}
trap 'resume_dockerd; if [ -n "$tmpdir" ]; then rm -rf "$tmpdir"; fi' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM`;
}

/**
 * Run on a manager: its /var/lib/docker/swarm as a gzip tar on stdout (`swarm/...` members) and
 * nothing else there (messages go to stderr), taken with dockerd stopped; dockerd is started
 * again and answers `docker info` before it exits 0. With autolock the manager comes back locked:
 * the caller unlocks it.
 */
export function backupScript(o: DockerdTimeouts = {}): string {
  return [
    "exec 3>&1 1>&2 # stdout (fd 3) carries the archive only",
    dockerdControl(o),
    `[ -d "$root/swarm/raft" ] || { echo "$(hostname) holds no swarm state ($root/swarm/raft is missing)" >&2; exit 1; }`,
    "stop_dockerd",
    `tar -czf - -C "$root" swarm >&3`,
    "resume_dockerd",
    "wait_dockerd",
  ].join("\n");
}

/**
 * Run on the manager that is to carry the restored swarm. stdin: a backupScript archive, base64
 * encoded (line breaks allowed). Checks that it is a gzip tar holding swarm/raft/ and nothing
 * outside swarm/, stops dockerd, moves the current /var/lib/docker/swarm aside (to
 * swarm.before-restore-<UTC yyyymmddThhmmssZ>: nothing is deleted), extracts the archive, starts
 * dockerd again and waits for `docker info`. stdout: one line `state=<LocalNodeState>`, usually
 * `active` (a manager of the old swarm, without quorum until `docker swarm init
 * --force-new-cluster`) or `locked` (autolock: `docker swarm unlock` first).
 */
export function restoreScript(o: DockerdTimeouts = {}): string {
  return [
    "exec 3>&1 1>&2 # stdout (fd 3) carries the state line only",
    dockerdControl(o),
    `mkdir -p "$root"`,
    `tmpdir=$(mktemp -d "$root/.swarmlab-restore.XXXXXX")`,
    `base64 -d >"$tmpdir/swarm.tar.gz" 2>"$tmpdir/err" || { echo "the archive sent to $(hostname) is not base64: $(tail -n1 "$tmpdir/err")" >&2; exit 1; }`,
    `tar -tzf "$tmpdir/swarm.tar.gz" >"$tmpdir/list" 2>"$tmpdir/err" || { echo "the archive sent to $(hostname) is not a gzip tar: $(tail -n1 "$tmpdir/err")" >&2; exit 1; }`,
    `grep -q '^swarm/raft/' "$tmpdir/list" || { echo "the archive holds no swarm/raft/: not a swarm backup" >&2; exit 1; }`,
    `if grep -qv '^swarm\\(/\\|$\\)' "$tmpdir/list"; then echo "the archive holds files outside swarm/ ($(grep -v '^swarm\\(/\\|$\\)' "$tmpdir/list" | head -n1)): not a swarm backup" >&2; exit 1; fi`,
    "stop_dockerd",
    `aside=""`,
    `if [ -e "$root/swarm" ]; then`,
    `  aside="$root/swarm.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"`,
    `  mv "$root/swarm" "$aside"`,
    `  echo "$(hostname): the swarm state it held is kept in $aside" >&2`,
    "fi",
    `if ! tar -xzf "$tmpdir/swarm.tar.gz" -C "$root"; then`,
    `  rm -rf "$root/swarm"`,
    `  if [ -n "$aside" ]; then mv "$aside" "$root/swarm"; fi`,
    `  echo "extracting the archive on $(hostname) failed: its swarm state is left as it was" >&2`,
    "  exit 1",
    "fi",
    "resume_dockerd",
    "wait_dockerd",
    `echo "state=$(docker info --format '{{.Swarm.LocalNodeState}}')" >&3`,
  ].join("\n");
}
