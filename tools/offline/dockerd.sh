#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
#
#   - `docker info` already works       -> nothing to do.
#   - dockerd missing, root on Debian/Ubuntu -> apt-get install docker.io.
#   - dockerd installed but not running, root -> start it in the background
#     (log: ${SWARMLAB_CACHE:-$HOME/.cache/swarmlab}/dockerd.log) and wait up
#     to ${SWARMLAB_DOCKERD_TIMEOUT:-60} s for `docker info`.
#   - anything else: one sentence saying what to install/start, exit 1.
#
# Idempotent; safe to call from every script that needs Docker.
set -euo pipefail

CACHE="${SWARMLAB_CACHE:-$HOME/.cache/swarmlab}"
TIMEOUT="${SWARMLAB_DOCKERD_TIMEOUT:-60}"
LOG="$CACHE/dockerd.log"

say() { echo "dockerd.sh: $*" >&2; }

engine_answers() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  exit 0
fi

is_root() { [ "$(id -u)" -eq 0 ]; }
is_debian_like() {
  [ -r /etc/os-release ] || return 1
  # shellcheck disable=SC1091
  . /etc/os-release
  case " ${ID:-} ${ID_LIKE:-} " in *" debian "*|*" ubuntu "*) return 0 ;; esac
  return 1
}

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  if is_root && is_debian_like && command -v apt-get >/dev/null 2>&1; then
    say "installing docker.io from the Debian/Ubuntu archive"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io >/dev/null
  else
    say "No Docker engine answers and I cannot install one here: install and start Docker (e.g. 'sudo apt-get install docker.io' or Docker Desktop) so that 'docker info' works, then re-run."
    exit 1
  fi
fi

if ! is_root; then
  say "Docker is installed but 'docker info' fails and I am not root: start the daemon (e.g. 'sudo systemctl start docker') and make sure your user may use it (e.g. 'sudo usermod -aG docker \$USER'), then re-run."
  exit 1
fi

# Root, dockerd installed, engine not answering. If a dockerd is already
# running (started moments ago by someone else), just wait for it.
mkdir -p "$CACHE"
if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd in the background (log: $LOG)"
  # setsid + nohup: the daemon must outlive this script and its caller; it
  # must not inherit the caller's other file descriptors either (a lock file
  # held open by dockerd would block the caller's next run).
  (
    for fd in $(ls /proc/$BASHPID/fd); do
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid nohup dockerd >>"$LOG" 2>&1 </dev/null
  ) &
fi

for ((i = 0; i < TIMEOUT; i++)); do
  if engine_answers; then
    say "engine up after ${i}s ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    exit 0
  fi
  sleep 1
done

say "dockerd did not answer 'docker info' within ${TIMEOUT}s: see the last lines of $LOG below."
tail -n 20 "$LOG" >&2 || true
exit 1
