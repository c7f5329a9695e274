#!/usr/bin/env bash
# Build a Vagrant box for the libvirt provider from Debian's archive alone, and add it to Vagrant
# as swarmlab/bookworm64: what the Vagrant end-to-end test boots where Vagrant Cloud is out of
# reach. Users with internet use debian/bookworm64 (the default box) and never need this.
#
#   debootstrap bookworm + kernel, systemd, openssh-server, sudo, ifupdown (what Vagrant's Debian
#   guest support drives); user vagrant with Vagrant's insecure key and password-less sudo, as
#   every base box has; no Docker (swarmlab's provisioning installs it); SSH host keys and the
#   machine ID made on first boot, so no two VMs share them.
#   The disk is one ext4 filesystem (mkfs.ext4 -d: no loop mount, no bootloader); the box's own
#   Vagrantfile boots the kernel and initrd shipped beside it (libvirt direct kernel boot).
#
# Cached: $SWARMLAB_CACHE/boxes/swarmlab-bookworm64-<hash of this script>.box; the box is added
# again only when that hash changes. Needs root (debootstrap, chroot).
# Env: SWARMLAB_CACHE (default ~/.cache/swarmlab), SWARMLAB_DEBIAN_MIRROR, SWARMLAB_BOX_NAME.
set -euo pipefail

CACHE=${SWARMLAB_CACHE:-$HOME/.cache/swarmlab}
MIRROR=${SWARMLAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NAME=${SWARMLAB_BOX_NAME:-swarmlab/bookworm64}
HASH=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
BOX=$CACHE/boxes/swarmlab-bookworm64-$HASH.box
MARK=$CACHE/boxes/added-$(echo "$NAME" | tr / -)
LOG=$CACHE/logs/vagrant-box.log

say() { echo "vagrant-box.sh: $*" >&2; }
die() { say "$*"; exit 1; }

command -v vagrant >/dev/null || die "vagrant is not installed (Debian: apt-get install vagrant vagrant-libvirt)"
mkdir -p "$CACHE/boxes" "$CACHE/logs"

if [ ! -f "$BOX" ]; then
	[ "$(id -u)" -eq 0 ] || die "building the box needs root (debootstrap, chroot)"
	for c in debootstrap mkfs.ext4 qemu-img; do command -v "$c" >/dev/null || die "$c is missing (Debian: apt-get install debootstrap e2fsprogs qemu-utils)"; done
	KEY=$(find /usr/share /opt/vagrant /usr/lib -path '*vagrant*/keys/vagrant.pub' 2>/dev/null | head -1 || true)
	[ -n "$KEY" ] || die "Vagrant's insecure public key (keys/vagrant.pub) was not found under the vagrant install"
	WORK=$(mktemp -d "$CACHE/boxes/build.XXXXXX")
	trap 'umount "$WORK/root/proc" 2>/dev/null || true; rm -rf "$WORK"' EXIT
	R=$WORK/root
	say "building $BOX from $MIRROR (log: $LOG; about 3 minutes)"
	debootstrap --variant=minbase \
		--include=netbase,systemd,systemd-sysv,linux-image-amd64,initramfs-tools,openssh-server,sudo,iproute2,ifupdown,isc-dhcp-client,ca-certificates,dbus,kmod,udev,curl,gnupg \
		bookworm "$R" "$MIRROR" >"$LOG" 2>&1 || die "debootstrap failed: see $LOG"

	chroot "$R" useradd -m -s /bin/bash -U vagrant
	echo 'vagrant ALL=(ALL) NOPASSWD:ALL' >"$R/etc/sudoers.d/vagrant" && chmod 440 "$R/etc/sudoers.d/vagrant"
	install -d -m 700 "$R/home/vagrant/.ssh" && install -m 600 "$KEY" "$R/home/vagrant/.ssh/authorized_keys"
	chroot "$R" chown -R vagrant:vagrant /home/vagrant/.ssh
	printf 'auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n' >"$R/etc/network/interfaces"
	echo '/dev/vda / ext4 defaults 0 1' >"$R/etc/fstab"
	echo box >"$R/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 box\n::1 localhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
	echo 'UseDNS no' >>"$R/etc/ssh/sshd_config"
	: >"$R/etc/machine-id" && rm -f "$R/var/lib/dbus/machine-id" "$R"/etc/ssh/ssh_host_*
	cat >"$R/etc/systemd/system/ssh-hostkeys.service" <<'EOF'
[Unit]
Description=SSH host keys of this VM, made on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
WantedBy=multi-user.target
EOF
	chroot "$R" systemctl enable ssh-hostkeys.service >/dev/null 2>&1
	chroot "$R" apt-get clean && rm -rf "$R"/var/lib/apt/lists/*

	cp "$R"/boot/vmlinuz-* "$WORK/vmlinuz" && cp "$R"/boot/initrd.img-* "$WORK/initrd.img"
	mkfs.ext4 -q -d "$R" -L root "$WORK/disk.raw" 10G >/dev/null
	qemu-img convert -O qcow2 "$WORK/disk.raw" "$WORK/box.img" && rm "$WORK/disk.raw"
	echo '{"provider": "libvirt", "format": "qcow2", "virtual_size": 10}' >"$WORK/metadata.json"
	cat >"$WORK/Vagrantfile" <<'EOF'
# swarmlab's offline box: no bootloader, libvirt boots the kernel shipped beside this file.
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.join(File.dirname(__FILE__), "vmlinuz")
    lv.initrd = File.join(File.dirname(__FILE__), "initrd.img")
    lv.cmd_line = "root=/dev/vda rw console=ttyS0 net.ifnames=0"
  end
end
EOF
	tar -C "$WORK" -cf "$BOX.tmp" metadata.json Vagrantfile box.img vmlinuz initrd.img && mv "$BOX.tmp" "$BOX"
	find "$CACHE/boxes" -name 'swarmlab-bookworm64-*.box' ! -name "$(basename "$BOX")" -delete
fi

if [ "$(cat "$MARK" 2>/dev/null)" = "$HASH" ] && vagrant box list 2>/dev/null | grep -q "^$NAME "; then
	say "$NAME is the current box ($BOX)"
	exit 0
fi
say "adding $NAME from $BOX"
vagrant box add --force --name "$NAME" --provider libvirt "$BOX" >/dev/null
# vagrant-libvirt keeps each box's disk as a volume of the storage pool: drop the old one so that
# new VMs start from the new box.
if command -v virsh >/dev/null && virsh -c qemu:///system pool-info default >/dev/null 2>&1; then
	virsh -c qemu:///system vol-list default 2>/dev/null | awk -v p="$(echo "$NAME" | sed 's|/|-VAGRANTSLASH-|')_vagrant_box_image" 'index($1, p) == 1 { print $1 }' |
		while read -r vol; do virsh -c qemu:///system vol-delete --pool default "$vol" >/dev/null; done
fi
echo "$HASH" >"$MARK"
say "$NAME added"
