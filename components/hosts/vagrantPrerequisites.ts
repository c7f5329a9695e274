/** What this machine must have before `vagrant up` can work (hosts.kind vagrant), for the preflight. */
import { spawnSync } from "child_process";
import type { VagrantHosts } from "../config/hosts";

export type Probe = (file: string, args: string[]) => { status: number | null; stdout: string };

const realProbe: Probe = (file, args) => {
  const r = spawnSync(file, args, { encoding: "utf8", timeout: 60_000 });
  return { status: r.error ? null : r.status, stdout: r.stdout ?? "" };
};

/**
 * What must be installed before `vagrant up` can work, checked by the preflight (preview included)
 * once the input is valid, before any resource: each missing piece is one sentence saying what to install.
 */
export function vagrantPrerequisites(provider: VagrantHosts["provider"], probe: Probe = realProbe): string[] {
  const missing: string[] = [];
  const version = probe("vagrant", ["--version"]);
  if (version.status !== 0) {
    missing.push("hosts.kind vagrant needs the vagrant command, which is not on PATH: install Vagrant (https://developer.hashicorp.com/vagrant/install; Debian/Ubuntu: apt-get install vagrant)");
    return missing;
  }
  if (provider === "virtualbox") {
    if (probe("VBoxManage", ["--version"]).status !== 0) {
      missing.push("hosts.provider virtualbox needs VirtualBox, and VBoxManage is not on PATH: install VirtualBox (https://www.virtualbox.org), or set hosts.provider: libvirt");
    }
  } else {
    const plugins = probe("vagrant", ["plugin", "list"]);
    if (plugins.status !== 0 || !/^vagrant-libvirt\b/m.test(plugins.stdout)) {
      missing.push("hosts.provider libvirt needs the vagrant-libvirt plugin: vagrant plugin install vagrant-libvirt (Debian/Ubuntu: apt-get install vagrant-libvirt libvirt-daemon-system)");
    } else if (probe("virsh", ["--version"]).status === 0 && probe("virsh", ["-c", "qemu:///system", "uri"]).status !== 0) {
      // virsh is optional (libvirt-clients); where it is there, it tells a stopped daemon apart.
      missing.push("hosts.provider libvirt needs the libvirt daemon, and it does not answer on qemu:///system: start it (sudo systemctl start libvirtd; in a container: bash tools/offline/libvirtd.sh) and make sure your user is in the libvirt group");
    }
  }
  return missing;
}
