/**
 * The vagrant host kind (components/hosts/vagrant.ts): names and addresses, the rendered Vagrantfile
 * (evaluated by Ruby against a recording stand-in for Vagrant when Ruby is there), the /etc/hosts
 * peers, the `vagrant ssh-config` parser on real-looking output, the up/destroy scripts against a
 * fake `vagrant`, and the resources (with the mocks of test/support/mocks.ts). The plan-time
 * prerequisite check: hosts-vagrantPrerequisites.test.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import type { NodeConfig } from "../../components/config/cluster";
import { vagrantSchema, type VagrantHosts } from "../../components/config/hosts";
import { loadClusterConfig } from "../../components/config/load";
import {
  machineDestroyScript,
  machineUpScript,
  parseMachineOutput,
  parseSshConfig,
  peerLines,
  peersScript,
  planVagrant,
  renderVagrantfile,
  vagrantHostnames,
  vmTriggers,
} from "../../components/hosts/vagrant";
import { runBash, runScript, writeFakes } from "../support/fakes";
import { COMMAND_TYPE, FAKE_PRIVATE_KEY, dependsOnOf, findCommand, namesOf, recorded, registered, resolve, setupMocks } from "../support/mocks";
import { tmp } from "../support/tmp";

const node = (name: string, role: "manager" | "worker" = "worker"): NodeConfig => ({ name, role, labels: {}, availability: "active" });
const DEV = [node("manager1", "manager"), node("worker1"), node("worker2")];
const hosts = (o: Record<string, unknown> = {}): VagrantHosts => vagrantSchema.parse({ kind: "vagrant", ...o });

// What `vagrant ssh-config` prints for a VirtualBox machine (Vagrant 2.3) and for a libvirt one.
const SSH_CONFIG_VIRTUALBOX = `Host docker.lan
  HostName 127.0.0.1
  User vagrant
  Port 2222
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile "/home/ann/My Labs/swarmlab/.vagrant-lab/lab/.vagrant/machines/docker.lan/virtualbox/private_key"
  IdentitiesOnly yes
  LogLevel FATAL
  PubkeyAcceptedKeyTypes +ssh-rsa
  HostKeyAlgorithms +ssh-rsa

`;
const SSH_CONFIG_LIBVIRT = `Host docker.worker1.lan
  HostName 192.168.121.37
  User vagrant
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /srv/swarmlab/.vagrant-lab/lab/.vagrant/machines/docker.worker1.lan/libvirt/private_key
  IdentityFile /home/ann/.vagrant.d/insecure_private_key
  IdentitiesOnly yes
  LogLevel FATAL
`;

describe("vagrant: names and addresses", () => {
  it("names the classic lab docker.lan, docker.worker1.lan, docker.worker2.lan", () => {
    expect(Object.fromEntries(vagrantHostnames(DEV, "lan"))).toEqual({ manager1: "docker.lan", worker1: "docker.worker1.lan", worker2: "docker.worker2.lan" });
  });

  it("numbers other managers and workers by role, in config order", () => {
    const nodes = [node("a", "manager"), node("b"), node("c", "manager"), node("d", "manager"), node("e")];
    expect(Object.fromEntries(vagrantHostnames(nodes, "lab.example.com"))).toEqual({
      a: "docker.lab.example.com",
      b: "docker.worker1.lab.example.com",
      c: "docker.manager2.lab.example.com",
      d: "docker.manager3.lab.example.com",
      e: "docker.worker2.lab.example.com",
    });
  });

  it("gives each node a fixed private address from the subnet and a working dir under the project", () => {
    const plan = planVagrant("lab", hosts(), DEV, "/proj");
    expect(plan.dir).toBe("/proj/.vagrant-lab/lab");
    expect(plan.machines.map((m) => `${m.node.name} ${m.fqdn} ${m.ip}`)).toEqual([
      "manager1 docker.lan 192.168.56.129",
      "worker1 docker.worker1.lan 192.168.56.172",
      "worker2 docker.worker2.lan 192.168.56.233",
    ]);
  });

  it("refuses a domain that is not a DNS name", () => {
    expect(() =>
      loadClusterConfig({ "swarmlab:hosts": JSON.stringify({ kind: "vagrant", domain: "my lab" }), "swarmlab:nodes": JSON.stringify([{ name: "m", role: "manager" }]) }, "Pulumi.dev.yaml"),
    ).toThrow('Pulumi.dev.yaml: swarmlab:hosts.domain: expected a DNS domain like lan or lab.example.com, got "my lab"');
  });
});

describe("vagrant: the Vagrantfile", () => {
  const text = renderVagrantfile("lab", hosts({ box: "generic/debian12", cpus: 4, memory: 4096, provider: "libvirt" }));

  it("carries the box, CPUs and memory for both providers and reads its machines from machines.d", () => {
    expect(text).toContain('config.vm.box = "generic/debian12"');
    expect(text.match(/\.cpus = 4/g)).toHaveLength(2);
    expect(text.match(/\.memory = 4096/g)).toHaveLength(2);
    expect(text).toContain('Dir.glob(File.join(File.dirname(__FILE__), "machines.d", "*.json"))');
    expect(text).toContain('node.vm.provision "shell", name: "swarmlab: docker", path: "install-docker.sh"');
  });

  const ruby = spawnSync("ruby", ["--version"]).status === 0;
  // Where Ruby is absent the test is skipped, except in CI (which installs it): there a skip would hide a failure.
  it.runIf(ruby || process.env.CI === "true")("evaluates in Ruby to one VM per machine file: private IP, hostname provisioning, Docker", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-vf-"));
    fs.mkdirSync(path.join(dir, "machines.d"));
    const plan = planVagrant("lab", hosts(), DEV, dir);
    for (const m of plan.machines) fs.writeFileSync(path.join(dir, "machines.d", `${m.node.name}.json`), JSON.stringify({ name: m.node.name, fqdn: m.fqdn, ip: m.ip }));
    fs.writeFileSync(path.join(dir, "Vagrantfile"), text);
    // A stand-in for Vagrant's configuration DSL that records what the Vagrantfile asks for.
    const stub = `require "json"
class Rec
  def initialize(log, at) @log, @at = log, at end
  def method_missing(name, *args, **kw, &blk)
    if name.to_s.end_with?("=") then @log << [@at + name.to_s.chomp("="), args[0]]; return end
    if blk then
      @log << [@at + name.to_s, args[0]]; blk.call(Rec.new(@log, @at + name.to_s + "[" + args[0].to_s + "]."))
    elsif [:network, :provision, :synced_folder].include?(name) then
      @log << [@at + name.to_s, args, kw.transform_keys(&:to_s)]
    else Rec.new(@log, @at + name.to_s + ".") end
  end
end
module Vagrant; LOG = []; def self.configure(v) yield Rec.new(LOG, "") end end
load ARGV[0]
puts JSON.generate(Vagrant::LOG)`;
    fs.writeFileSync(path.join(dir, "stub.rb"), stub);
    const r = spawnSync("ruby", [path.join(dir, "stub.rb"), path.join(dir, "Vagrantfile")], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true });
    expect(r.stderr).toBe("");
    const log = JSON.parse(r.stdout) as unknown[][];
    expect(log.filter((e) => e[0] === "vm.define").map((e) => e[1])).toEqual(["docker.lan", "docker.worker1.lan", "docker.worker2.lan"]);
    const nets = log.filter((e) => String(e[0]).endsWith("vm.network"));
    expect(nets.map((e) => [e[0], (e[2] as Record<string, string>).ip])).toEqual([
      ["vm.define[docker.lan].vm.network", "192.168.56.129"],
      ["vm.define[docker.worker1.lan].vm.network", "192.168.56.172"],
      ["vm.define[docker.worker2.lan].vm.network", "192.168.56.233"],
    ]);
    const firstHostname = log.find((e) => e[0] === "vm.define[docker.lan].vm.provision" && (e[2] as Record<string, unknown>).name === "swarmlab: hostname") as unknown[];
    expect((firstHostname[2] as { env: Record<string, string> }).env).toEqual({ NAME: "manager1", FQDN: "docker.lan" });
    expect(log).toContainEqual(["vm.box", "generic/debian12"]);
    expect(log).toContainEqual(["vm.provider[libvirt].memory", 4096]);
    expect(log).toContainEqual(["vm.provider[virtualbox].cpus", 4]);
    expect(log).toContainEqual(["vm.provider[libvirt].driver", "kvm"]);
  });

  it("asks libvirt for software emulation with libvirtDriver: qemu", () => {
    expect(renderVagrantfile("lab", hosts({ provider: "libvirt", libvirtDriver: "qemu" }))).toContain('lv.driver = "qemu"');
  });
});

describe("vagrant: /etc/hosts peers", () => {
  it("replaces the peer lines it wrote before, keeps the VM's own line and the rest, and counts its lines", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-hosts-"));
    const file = path.join(dir, "hosts");
    fs.writeFileSync(file, "127.0.0.1 localhost\n127.0.1.1 docker.lan manager1 # swarmlab\n192.168.56.9 old.lan old # swarmlab\n10.0.0.1 mine\n");
    const run = (peers: string) => runBash(peersScript(file), { env: { SWARMLAB_PEERS: peers } });
    const r = run("192.168.56.172 docker.worker1.lan worker1\n192.168.56.233 docker.worker2.lan worker2");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("3\n");
    const want = "127.0.0.1 localhost\n127.0.1.1 docker.lan manager1 # swarmlab\n10.0.0.1 mine\n192.168.56.172 docker.worker1.lan worker1 # swarmlab\n192.168.56.233 docker.worker2.lan worker2 # swarmlab\n";
    expect(fs.readFileSync(file, "utf8")).toBe(want);
    run("192.168.56.172 docker.worker1.lan worker1\n192.168.56.233 docker.worker2.lan worker2");
    expect(fs.readFileSync(file, "utf8")).toBe(want); // idempotent
    expect(run("").stdout).toBe("1\n"); // a lone node: only its own line is left
    fs.rmSync(dir, { recursive: true });
  });

  it("lists every other machine as ip, FQDN, name", () => {
    const plan = planVagrant("lab", hosts(), DEV, "/proj");
    expect(peerLines(plan, plan.machines[1])).toBe("192.168.56.129 docker.lan manager1\n192.168.56.233 docker.worker2.lan worker2");
  });
});

describe("vagrant: ssh-config", () => {
  it("parses a VirtualBox entry (forwarded port, quoted key path with spaces)", () => {
    expect(parseSshConfig(SSH_CONFIG_VIRTUALBOX)).toEqual([
      { host: "docker.lan", hostName: "127.0.0.1", user: "vagrant", port: 2222, identityFiles: ["/home/ann/My Labs/swarmlab/.vagrant-lab/lab/.vagrant/machines/docker.lan/virtualbox/private_key"] },
    ]);
  });

  it("parses a libvirt entry (the VM's own address, two identity files) and several blocks", () => {
    const entries = parseSshConfig(SSH_CONFIG_VIRTUALBOX + SSH_CONFIG_LIBVIRT);
    expect(entries.map((e) => `${e.host} ${e.hostName}:${e.port}`)).toEqual(["docker.lan 127.0.0.1:2222", "docker.worker1.lan 192.168.121.37:22"]);
    expect(entries[1].identityFiles).toHaveLength(2);
  });

  it("turns a machine's output into its ID and SSH target, and fails clearly on anything else", () => {
    const out = `id=3f9c0d2e-1b7a-4c55-9a51-8f0e2d6b7c11\n-----SWARMLAB-SSH-CONFIG-----\n${SSH_CONFIG_VIRTUALBOX}-----SWARMLAB-KEY-----\n${FAKE_PRIVATE_KEY}\n`;
    expect(parseMachineOutput(out, "docker.lan")).toEqual({
      id: "3f9c0d2e-1b7a-4c55-9a51-8f0e2d6b7c11",
      ssh: { host: "127.0.0.1", port: 2222, user: "vagrant", privateKey: `${FAKE_PRIVATE_KEY}\n` },
    });
    expect(() => parseMachineOutput(out, "docker.worker1.lan")).toThrow("vagrant machine docker.worker1.lan: could not read its ID, ssh-config and key from vagrant's output");
  });
});

describe("vagrant: up and destroy scripts against a fake vagrant", () => {
  let dir: string;
  const FAKE = String.raw`#!/bin/bash
echo "vagrant $*" >> "$LOG"
case "$1" in
  up) mkdir -p ".vagrant/machines/$2/$4"; echo "id-$2" > ".vagrant/machines/$2/$4/id"; printf '%s\n' "$KEY" > ".vagrant/machines/$2/$4/private_key"; echo "Bringing machine '$2' up";;
  ssh-config) printf 'Host %s\n  HostName 192.168.121.9\n  User vagrant\n  Port 22\n  IdentityFile %s/nope\n  IdentityFile %s/.vagrant/machines/%s/libvirt/private_key\n' "$2" "$PWD" "$PWD" "$2";;
  destroy) echo "==> $3: Destroying";;
esac`;

  beforeAll(() => {
    dir = tmp("swarmlab-vagrant-");
    writeFakes(path.join(dir, "bin"), { vagrant: FAKE });
  });

  function run(script: string) {
    const r = runScript(script, path.join(dir, "bin"), { env: { LOG: `${dir}/log`, KEY: FAKE_PRIVATE_KEY, SWARMLAB_VAGRANTFILE: "# vf", SWARMLAB_INSTALL_DOCKER: "# install" } });
    expect(r.stderr.includes("error")).toBe(false);
    expect(r.code).toBe(0);
    return r.stdout;
  }

  it("writes the environment, brings one machine up and prints what the host needs", () => {
    const plan = planVagrant("lab", hosts({ provider: "libvirt" }), DEV, path.join(dir, "proj"));
    const [m1, w1] = plan.machines;
    const out = run(machineUpScript(plan, m1, "libvirt"));
    expect(parseMachineOutput(out, "docker.lan")).toEqual({ id: "id-docker.lan", ssh: { host: "192.168.121.9", port: 22, user: "vagrant", privateKey: `${FAKE_PRIVATE_KEY}\n` } });
    run(machineUpScript(plan, w1, "libvirt"));
    expect(fs.readFileSync(path.join(plan.dir, "Vagrantfile"), "utf8")).toBe("# vf\n");
    expect(fs.readFileSync(path.join(plan.dir, "install-docker.sh"), "utf8")).toBe("# install\n");
    expect(JSON.parse(fs.readFileSync(path.join(plan.dir, "machines.d/worker1.json"), "utf8"))).toEqual({ name: "worker1", fqdn: "docker.worker1.lan", ip: "192.168.56.172" });

    run(machineDestroyScript(plan, w1));
    expect(fs.existsSync(path.join(plan.dir, "machines.d/worker1.json"))).toBe(false);
    expect(fs.existsSync(plan.dir)).toBe(true); // docker.lan is still there
    run(machineDestroyScript(plan, m1));
    expect(fs.existsSync(plan.dir)).toBe(false); // the last machine takes the environment with it
    expect(fs.readFileSync(`${dir}/log`, "utf8").trim().split("\n")).toEqual([
      "vagrant up docker.lan --provider libvirt",
      "vagrant ssh-config docker.lan",
      "vagrant up docker.worker1.lan --provider libvirt",
      "vagrant ssh-config docker.worker1.lan",
      "vagrant destroy -f docker.worker1.lan",
      "vagrant destroy -f docker.lan",
    ]);
  });
});

describe("vagrant: resources", () => {
  beforeAll(async () => {
    await setupMocks();
  });

  it("brings the VMs up one at a time, destroys each with vagrant destroy -f, and replaces a VM whose size changes", async () => {
    const { VagrantLab } = await import("../../components/hosts/vagrant");
    const lab = new VagrantLab("vlab", { cluster: "vlab", hosts: hosts({ provider: "libvirt" }), nodes: DEV, root: "/proj" });
    await registered(lab.hosts.flatMap((h) => h.dependsOn));
    const vms = recorded(COMMAND_TYPE).filter((r) => r.name.startsWith("vlab-") && !r.name.endsWith("-peers"));
    expect(vms.map((v) => v.inputs.label)).toEqual(["vagrant VM docker.lan", "vagrant VM docker.worker1.lan", "vagrant VM docker.worker2.lan"]);
    // once all are up, each VM's /etc/hosts gets the others (a VM made first did not know them)
    const peers = findCommand("vlab-manager1-peers");
    expect(namesOf(peers.dependencies).sort()).toEqual(["vlab-manager1", "vlab-worker1", "vlab-worker2"]);
    expect(peers.inputs.environment).toEqual({ SWARMLAB_PEERS: "192.168.56.172 docker.worker1.lan worker1\n192.168.56.233 docker.worker2.lan worker2" });
    expect((peers.inputs.connection as { user: string }).user).toBe("vagrant");
    // and the swarm steps on a VM wait for it
    expect((await Promise.all(lab.hosts[0].dependsOn.map((r) => resolve(r.urn)))).map((u) => u.split("::").pop())).toEqual(["vlab-manager1", "vlab-manager1-peers"]);
    expect(namesOf(dependsOnOf(vms[1]))).toEqual(["vlab-manager1"]);
    expect(namesOf(dependsOnOf(vms[2]))).toEqual(["vlab-worker1"]);
    expect(vms[0].inputs.create).toContain("vagrant up 'docker.lan' --provider libvirt");
    expect(vms[0].inputs.delete).toContain("vagrant destroy -f 'docker.lan'");
    expect(vms[0].inputs.triggers).toEqual(["debian/bookworm64", "libvirt", 2, 2048, "docker.lan", "192.168.56.129"]);
    // qemu (software emulation) is another VM; kvm, the default, leaves the triggers of older VMs as they were
    const m = { node: DEV[0], fqdn: "docker.lan", ip: "192.168.56.129" };
    expect(vmTriggers(hosts({ provider: "libvirt", libvirtDriver: "qemu" }), m)).toEqual(["debian/bookworm64", "libvirt", 2, 2048, "docker.lan", "192.168.56.129", "qemu"]);
    expect(vmTriggers(hosts({ provider: "virtualbox", libvirtDriver: "qemu" }), m)).toHaveLength(6);
    expect(vms[0].additionalSecretOutputs).toContain("stdout");
    const env = vms[0].inputs.environment as Record<string, string>;
    expect(env.SWARMLAB_VAGRANTFILE).toBe(renderVagrantfile("vlab", hosts({ provider: "libvirt" })));
    expect(env.SWARMLAB_INSTALL_DOCKER).toContain("apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends docker.io");
    expect(lab.hosts.map((h) => `${h.name} ${String(h.address)} ${String(h.advertiseAddress)}`)).toEqual([
      "manager1 192.168.56.129 192.168.56.129",
      "worker1 192.168.56.172 192.168.56.172",
      "worker2 192.168.56.233 192.168.56.233",
    ]);
    expect(await resolve(lab.hosts[1].ssh)).toEqual({ host: "127.0.0.1", port: 2222, user: "vagrant", privateKey: `${FAKE_PRIVATE_KEY}\n` });
    expect(await resolve(lab.hosts[1].instance)).toBe("vm-docker.worker1.lan");
  });
});
