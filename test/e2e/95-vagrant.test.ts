/**
 * The vagrant host kind for real: the classic lab's three VMs (docker.lan, docker.worker1.lan,
 * docker.worker2.lan) through Vagrant and libvirt, on a stack of its own. The box is the one
 * tools/offline/vagrant-box.sh builds from Debian's archive (no Vagrant Cloud here), without Docker:
 * the provisioning step installs it. libvirtDriver is qemu (software emulation): this machine's
 * nested KVM opens but cannot boot a Linux guest. Last in the run, after the docker lab is gone,
 * so that the emulated VMs have the CPUs to themselves.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedKinds, dropOwnStack, e2eEnabled, ownStack, ROOT, stepTimer, toConfigMap } from "./lab";

const NAME = process.env.SWARMLAB_E2E_VAGRANT_NAME ?? "e2e-vagrant";
const BOX = process.env.SWARMLAB_BOX_NAME ?? "swarmlab/bookworm64";
const DIR = path.join(ROOT, ".vagrant-lab", NAME);
const NODES = [
  { name: "manager1", role: "manager", fqdn: "docker.lan" },
  { name: "worker1", role: "worker", fqdn: "docker.worker1.lan", labels: { zone: "a" } },
  { name: "worker2", role: "worker", fqdn: "docker.worker2.lan", labels: { zone: "b" } },
];

const ok = (file: string, args: string[]) => spawnSync(file, args, { encoding: "utf8", timeout: 60_000 });

/** What this file needs besides the common e2e prerequisites, each with how to get it. */
function vagrantMissing(): string[] {
  if (ok("vagrant", ["--version"]).status !== 0) return ["vagrant (apt-get install vagrant vagrant-libvirt)"];
  const missing: string[] = [];
  if (!/^vagrant-libvirt\b/m.test(ok("vagrant", ["plugin", "list"]).stdout ?? "")) missing.push("the vagrant-libvirt plugin (apt-get install vagrant-libvirt)");
  if (ok("virsh", ["-c", "qemu:///system", "uri"]).status !== 0) missing.push("a libvirt daemon (bash tools/offline/libvirtd.sh)");
  if (!(ok("vagrant", ["box", "list"]).stdout ?? "").includes(`${BOX} (libvirt`)) missing.push(`the box ${BOX} (bash tools/offline/vagrant-box.sh)`);
  return missing;
}

/** A command on a VM, the way a user of the classic lab runs it: vagrant ssh from the environment. */
function onVm(fqdn: string, cmd: string): string {
  return execFileSync("vagrant", ["ssh", fqdn, "-c", cmd], { cwd: DIR, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

const domains = () => (ok("virsh", ["-c", "qemu:///system", "list", "--all", "--name"]).stdout ?? "").split("\n").filter((d) => d.startsWith(`${NAME}_`));

describe.runIf(e2eEnabled(vagrantMissing()))("vagrant host kind: VMs as in the classic lab", () => {
  let stack: Stack;
  let work = "";
  const outputs: Record<string, unknown> = {};
  const { timings, timed } = stepTimer();

  beforeAll(async () => {
    ({ stack, work } = await ownStack(NAME));
    const hosts = { kind: "vagrant", box: BOX, provider: "libvirt", libvirtDriver: "qemu", cpus: 1, memory: 1024 };
    const nodes = NODES.map((n) => ({ name: n.name, role: n.role, ...(n.labels ? { labels: n.labels } : {}) }));
    await stack.setAllConfig(toConfigMap({ name: NAME, hosts, nodes }));
    const res = await timed("first up", () => stack.up({ color: "never", continueOnError: true }));
    for (const [k, v] of Object.entries(res.outputs)) outputs[k] = v.value;
  }, 2_400_000);

  afterAll(async () => {
    console.log(`vagrant e2e timings (s): ${JSON.stringify(timings)}`);
    await dropOwnStack(stack, NAME, work);
    if (fs.existsSync(DIR)) spawnSync("vagrant", ["destroy", "-f"], { cwd: DIR, stdio: "ignore" });
    fs.rmSync(DIR, { recursive: true, force: true });
  }, 900_000);

  it("forms the swarm on the VMs: all Ready, one Leader, the labels, the private network as advertise address", () => {
    const rows = onVm("docker.lan", "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'").split("\n");
    expect(rows.map((r) => r.trimEnd()).sort()).toEqual(["manager1 Ready Leader", "worker1 Ready", "worker2 Ready"]);
    const table = outputs.nodes as { name: string; address: string; labels: Record<string, string> }[];
    expect(table.map((r) => r.name)).toEqual(["manager1", "worker1", "worker2"]);
    for (const r of table) {
      expect(r.address).toMatch(/^192\.168\.56\.\d+$/);
      expect(onVm("docker.lan", `docker node inspect -f '{{.Status.Addr}}' ${r.name}`)).toBe(r.address);
    }
    expect(onVm("docker.lan", "docker node inspect -f '{{json .Spec.Labels}}' worker1")).toBe('{"zone":"a"}');
  }, 300_000);

  // One `vagrant ssh` per VM (each costs seconds of Ruby start-up, more under emulation).
  it("names the VMs like the classic lab, and provisioning installed Docker (the box has none)", () => {
    const address = Object.fromEntries((outputs.nodes as { name: string; address: string }[]).map((r) => [r.name, r.address]));
    for (const n of NODES) {
      const others = NODES.filter((o) => o !== n);
      // apt's own history: docker.io came from an apt run inside the VM, not from the box.
      const facts = onVm(n.fqdn, `hostname; hostname -f; grep -c '^Commandline: apt-get.* install .*docker.io' /var/log/apt/history.log; systemctl is-active docker; ${others.map((o) => `getent hosts ${o.fqdn}`).join("; ")}`);
      const [short, fqdn, aptRuns, docker, ...resolved] = facts.split("\n");
      expect([short, fqdn]).toEqual([n.name, n.fqdn]);
      expect(aptRuns).toBe("1");
      expect(docker).toBe("active");
      // every VM finds the others by their classic names, at their private-network addresses
      expect(resolved.map((l) => l.split(/\s+/)[0])).toEqual(others.map((o) => address[o.name]));
    }
    expect(domains().sort()).toEqual(NODES.map((n) => `${NAME}_${n.fqdn}`).sort());
  }, 300_000);

  it("a second pulumi up changes nothing", async () => {
    const res = await timed("second up", () => stack.up({ color: "never" }));
    expect(changedKinds(res.summary)).toEqual([]);
  }, 600_000);

  it("pulumi destroy removes the VMs and the Vagrant environment", async () => {
    await timed("destroy", () => stack.destroy({ color: "never" }));
    expect(domains()).toEqual([]);
    expect(fs.existsSync(DIR)).toBe(false);
  }, 900_000);
});
