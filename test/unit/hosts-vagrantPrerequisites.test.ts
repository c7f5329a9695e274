/**
 * components/hosts/vagrantPrerequisites.ts: what the vagrant host kind needs on this machine,
 * checked at plan time through a scripted probe.
 */
import { describe, expect, it } from "vitest";
import { type Probe, vagrantPrerequisites } from "../../components/hosts/vagrantPrerequisites";

describe("vagrant: prerequisites at plan time", () => {
  const probe =
    (present: Record<string, string>): Probe =>
    (file, args) => {
      const key = [file, ...args].join(" ");
      return key in present ? { status: 0, stdout: present[key] } : { status: null, stdout: "" };
    };

  it("names a missing vagrant binary", () => {
    expect(vagrantPrerequisites("virtualbox", probe({}))).toEqual([
      "hosts.kind vagrant needs the vagrant command, which is not on PATH: install Vagrant (https://developer.hashicorp.com/vagrant/install; Debian/Ubuntu: apt-get install vagrant)",
    ]);
  });

  it("names a missing VirtualBox", () => {
    expect(vagrantPrerequisites("virtualbox", probe({ "vagrant --version": "Vagrant 2.3.4" }))).toEqual([
      "hosts.provider virtualbox needs VirtualBox, and VBoxManage is not on PATH: install VirtualBox (https://www.virtualbox.org), or set hosts.provider: libvirt",
    ]);
  });

  it("names a missing vagrant-libvirt plugin", () => {
    expect(vagrantPrerequisites("libvirt", probe({ "vagrant --version": "Vagrant 2.3.4", "vagrant plugin list": "vagrant-hostmanager (1.8.9, global)\n" }))).toEqual([
      "hosts.provider libvirt needs the vagrant-libvirt plugin: vagrant plugin install vagrant-libvirt (Debian/Ubuntu: apt-get install vagrant-libvirt libvirt-daemon-system)",
    ]);
  });

  it("names a libvirt daemon that does not answer, when virsh is there to ask it", () => {
    const base = { "vagrant --version": "Vagrant 2.3.4", "vagrant plugin list": "vagrant-libvirt (0.11.2, system)\n" };
    expect(vagrantPrerequisites("libvirt", probe({ ...base, "virsh --version": "9.0.0" }))).toEqual([
      "hosts.provider libvirt needs the libvirt daemon, and it does not answer on qemu:///system: start it (sudo systemctl start libvirtd; in a container: bash tools/offline/libvirtd.sh) and make sure your user is in the libvirt group",
    ]);
    expect(vagrantPrerequisites("libvirt", probe({ ...base, "virsh --version": "9.0.0", "virsh -c qemu:///system uri": "qemu:///system\n" }))).toEqual([]);
  });

  it("is satisfied by vagrant with the plugin (as Debian's package lists it) or with VirtualBox", () => {
    expect(vagrantPrerequisites("libvirt", probe({ "vagrant --version": "Vagrant 2.3.4", "vagrant plugin list": "vagrant-libvirt (0.11.2, system)\n" }))).toEqual([]);
    expect(vagrantPrerequisites("virtualbox", probe({ "vagrant --version": "Vagrant 2.3.4", "VBoxManage --version": "7.0.20r163906" }))).toEqual([]);
  });
});
