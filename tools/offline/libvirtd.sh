#!/usr/bin/env bash
# Make sure libvirt answers on qemu:///system (what vagrant-libvirt uses), like dockerd.sh does
# for Docker: nothing to do when it answers; as root on a machine without systemd (a container,
# CI), start virtlogd and libvirtd in the background. QEMU then runs as root so that it can read
# the kernel a box ships in root's ~/.vagrant.d (the offline box boots it directly).
set -euo pipefail

CACHE=${SWARMLAB_CACHE:-$HOME/.cache/swarmlab}
say() { echo "libvirtd.sh: $*" >&2; }
answers() { virsh -c qemu:///system uri >/dev/null 2>&1; }

command -v virsh >/dev/null || { say "libvirt is not installed: apt-get install libvirt-daemon-system qemu-system-x86 (Debian/Ubuntu)"; exit 1; }
answers && exit 0
if [ "$(id -u)" -ne 0 ] || [ -d /run/systemd/system ]; then
	say "libvirtd does not answer on qemu:///system: start it (sudo systemctl start libvirtd) and make sure your user is in the libvirt group"
	exit 1
fi

conf=/etc/libvirt/qemu.conf
grep -q '^user = "root"' "$conf" || printf 'user = "root"\ngroup = "root"\n' >>"$conf"
mkdir -p "$CACHE/logs" /run/libvirt
pgrep -x virtlogd >/dev/null || virtlogd -d
pgrep -x libvirtd >/dev/null || libvirtd -d --pid-file /run/libvirtd.pid >"$CACHE/logs/libvirtd.log" 2>&1
for _ in $(seq 30); do
	if answers; then
		say "libvirtd up ($(virsh -c qemu:///system version --daemon | awk '/daemon/ { print $NF }'))"
		exit 0
	fi
	sleep 1
done
say "libvirtd did not answer after 30 s: see $CACHE/logs/libvirtd.log"
exit 1
