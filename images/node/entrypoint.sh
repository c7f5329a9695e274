#!/bin/bash
# swarmlab lab node entrypoint (runs under tini, which is PID 1).
#
# Contract (environment):
#   SWARMLAB_AUTHORIZED_KEYS  required: public key line(s) allowed to ssh in as root.
#   SWARMLAB_DAEMON_JSON      optional: written to /etc/docker/daemon.json before
#                             dockerd starts (absent/empty: keep the existing file).
#   SWARMLAB_DOCKERD_ARGS     optional: extra dockerd arguments (word-split).
#   SWARMLAB_DOCKERD_SHUTDOWN_TIMEOUT  seconds dockerd gives inner containers on
#                             shutdown (default 3, so `docker stop` of a node is quick);
#                             not passed when daemon.json sets "shutdown-timeout".
#
# What it does:
#   1. cgroup v2: moves its processes into a leaf cgroup and enables the
#      controllers for children (like moby's hack/dind); cgroup v1: nothing.
#   2. root login over ssh, by key only; per-container host keys.
#   3. supervises dockerd: when dockerd exits (pkill dockerd, crash, bad
#      daemon.json) it is started again, the container stays up. dockerd logs
#      go to the container log (`docker logs <node>`).
#   Signals: SIGTERM/SIGINT stop dockerd cleanly and exit (quick `docker stop`);
#   SIGHUP is passed to dockerd (live reload of daemon.json, e.g.
#   insecure-registries). To apply a daemon.json change that needs a
#   restart: edit the file, then `pkill dockerd` (the loop restarts it).
#
# Host keys: the public host keys are printed to the log as
#   "swarmlab-node: hostkey <type> <base64>" and are in /etc/ssh/ssh_host_*_key.pub.
set -uo pipefail

log() { echo "swarmlab-node: $*" >&2; }
die() {
	log "FATAL: $*"
	exit 1
}

DOCKERD_EXTRA=()

# --- 1. cgroups ---------------------------------------------------------------
# The cgroup mount point: SWARMLAB_CGROUP_ROOT only for tests (a fake tree).
CG=${SWARMLAB_CGROUP_ROOT:-/sys/fs/cgroup}
setup_cgroups() {
	if [ ! -f "$CG/cgroup.controllers" ]; then
		log "cgroup v1 (or hybrid) hierarchy: nothing to prepare"
		return 0
	fi
	# cgroup v2. Find our own cgroup directory: /sys/fs/cgroup itself when the
	# container has a private cgroup namespace and its own cgroup2 mount
	# (--privileged, the usual case); a sub-directory when the host's whole
	# tree is bind-mounted (-v /sys/fs/cgroup:/sys/fs/cgroup). cgroup.procs
	# lists pids as seen from our pid namespace (0 for invisible ones).
	local self=$$ dir="" p
	if grep -qx "$self" "$CG/cgroup.procs" 2>/dev/null; then
		dir=$CG
	else
		dir=$(grep -rlx --include=cgroup.procs "$self" "$CG" 2>/dev/null | head -n1)
		dir=${dir%/cgroup.procs}
	fi
	if [ -z "$dir" ] || [ ! -w "$dir/cgroup.subtree_control" ]; then
		log "WARNING: cgroup v2 but our cgroup is not found or not writable; dockerd may fail to start containers"
		return 0
	fi
	# "No internal processes": a cgroup with children that have controllers
	# enabled must hold no processes itself. Move ours into a leaf, then
	# enable every available controller for children (moby hack/dind does the same).
	mkdir -p "$dir/init"
	while read -r p; do
		[ "$p" = 0 ] && continue
		echo "$p" >"$dir/init/cgroup.procs" 2>/dev/null || true
	done <"$dir/cgroup.procs"
	if ! sed -e 's/ / +/g' -e 's/^/+/' <"$dir/cgroup.controllers" >"$dir/cgroup.subtree_control"; then
		log "WARNING: could not enable cgroup v2 controllers in $dir"
	fi
	if [ "$dir" != "$CG" ]; then
		# Host tree: keep the inner containers below our own cgroup.
		local parent="${dir#"$CG"}/docker"
		if ! grep -q '"cgroup-parent"' /etc/docker/daemon.json 2>/dev/null; then
			DOCKERD_EXTRA+=(--cgroup-parent "$parent")
		fi
		log "cgroup v2: using $dir (inner containers under $parent)"
	else
		log "cgroup v2: controllers enabled ($(cat "$dir/cgroup.subtree_control"))"
	fi
}

# Sourced by the unit tests for the functions above, with SWARMLAB_ENTRYPOINT_LIB=1: stop here.
if [ -n "${SWARMLAB_ENTRYPOINT_LIB:-}" ]; then return 0; fi

# securityfs lets dockerd see whether AppArmor is usable (moby hack/dind does this too).
if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security; then
	mount -t securityfs none /sys/kernel/security 2>/dev/null ||
		log "could not mount securityfs (AppArmor support for inner containers disabled)"
fi

setup_cgroups

# --- 2. ssh ---------------------------------------------------------------------
if [ -z "${SWARMLAB_AUTHORIZED_KEYS:-}" ]; then
	die "SWARMLAB_AUTHORIZED_KEYS is empty: pass the public key(s) that may log in as root, e.g. -e SWARMLAB_AUTHORIZED_KEYS=\"\$(cat ~/.ssh/id_ed25519.pub)\""
fi
install -d -m 0700 /root/.ssh
printf '%s\n' "$SWARMLAB_AUTHORIZED_KEYS" >/root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
ssh-keygen -l -f /root/.ssh/authorized_keys >/dev/null 2>&1 ||
	die "SWARMLAB_AUTHORIZED_KEYS holds no valid public key line"

mkdir -p /run/sshd
chmod 0755 /run/sshd
ssh-keygen -A >/dev/null # generates only the host keys that are missing
/usr/sbin/sshd -t || die "sshd configuration test failed"
for k in /etc/ssh/ssh_host_*_key.pub; do
	read -r ktype kdata _ <"$k" && log "hostkey $ktype $kdata"
done
# sshd in the foreground (-D) logging to stderr (-e) = the container log;
# restarted if it ever exits.
(
	trap 'exit 0' TERM
	while :; do
		/usr/sbin/sshd -D -e
		log "sshd exited ($?); restarting in 1s"
		sleep 1
	done
) &

# --- 3. dockerd -------------------------------------------------------------------
mkdir -p /etc/docker
if [ -n "${SWARMLAB_DAEMON_JSON:-}" ]; then
	printf '%s\n' "$SWARMLAB_DAEMON_JSON" >/etc/docker/daemon.json.tmp
	mv /etc/docker/daemon.json.tmp /etc/docker/daemon.json
	log "wrote /etc/docker/daemon.json from SWARMLAB_DAEMON_JSON"
fi

STOP=0
DPID=""
on_term() {
	STOP=1
	log "stopping"
	if [ -n "$DPID" ]; then kill -TERM "$DPID" 2>/dev/null || true; fi
}
on_hup() {
	if [ -n "$DPID" ] && kill -HUP "$DPID" 2>/dev/null; then
		log "passed SIGHUP to dockerd (reload daemon.json)"
	fi
}
trap on_term TERM INT
trap on_hup HUP

dockerd_args() {
	ARGS=()
	if ! grep -q '"shutdown-timeout"' /etc/docker/daemon.json 2>/dev/null; then
		ARGS+=(--shutdown-timeout "${SWARMLAB_DOCKERD_SHUTDOWN_TIMEOUT:-3}")
	fi
	ARGS+=("${DOCKERD_EXTRA[@]}")
	# shellcheck disable=SC2206 # word splitting wanted
	ARGS+=(${SWARMLAB_DOCKERD_ARGS:-})
}

delay=1
while [ "$STOP" = 0 ]; do
	# A dockerd killed with SIGKILL leaves its pid file behind.
	pgrep -x dockerd >/dev/null || rm -f /var/run/docker.pid
	dockerd_args
	log "starting dockerd ${ARGS[*]}"
	started=$SECONDS
	dockerd "${ARGS[@]}" &
	DPID=$!
	# `wait` also returns when a trapped signal arrives: keep waiting until
	# dockerd has really exited.
	while :; do
		wait "$DPID"
		rc=$?
		kill -0 "$DPID" 2>/dev/null || break
	done
	DPID=""
	[ "$STOP" = 1 ] && break
	if ((SECONDS - started >= 10)); then delay=1; fi
	log "dockerd exited with code $rc; restarting in ${delay}s"
	sleep "$delay" &
	wait $! || true
	delay=$((delay * 2 > 10 ? 10 : delay * 2))
done
log "dockerd stopped; exiting"
exit 0
