/**
 * The hcloud host kind (components/hosts/hcloud.ts). Its provider plugin cannot be fetched here, so: the pure parts (plan,
 * firewall rules, cloud-init) and the resource graph with the mocks of test/support/mocks.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { NodeConfig } from "../../components/config/cluster";
import { hcloudSchema, type HcloudHosts } from "../../components/config/hosts";
import { loadClusterConfig } from "../../components/config/load";
import { cloudInit, firewallRules, networkRangeFor, planHcloud } from "../../components/hosts/hcloud";
import { COMMAND_TYPE, FAKE_PRIVATE_KEY, FAKE_PUBLIC_KEY, fakeNumericId, fakePublicIp, findResource, namesOf, recorded, registered, resolve, setupMocks } from "../support/mocks";

const node = (name: string, role: "manager" | "worker" = "worker"): NodeConfig => ({ name, role, labels: {}, availability: "active" });
const DEV = [node("manager1", "manager"), node("worker1"), node("worker2")];
const hosts = (o: Record<string, unknown> = {}): HcloudHosts => hcloudSchema.parse({ kind: "hcloud", ...o });
const config = (h: Record<string, unknown>, nodes: unknown[] = DEV) =>
  loadClusterConfig({ "swarmlab:name": "prod", "swarmlab:hosts": JSON.stringify({ kind: "hcloud", ...h }), "swarmlab:nodes": JSON.stringify(nodes) }, "Pulumi.prod.yaml");

describe("hcloud: configuration", () => {
  it("has defaults for a small cluster in Nuremberg", () => {
    expect(hosts()).toEqual({ kind: "hcloud", location: "nbg1", serverType: "cx22", image: "debian-12", nodes: {}, networkZone: "eu-central", subnet: "10.10.0.0/24", publishedPorts: [80, 443] });
  });

  it("refuses half a key pair", () => {
    expect(() => config({ publicKey: FAKE_PUBLIC_KEY })).toThrow(
      "Pulumi.prod.yaml: swarmlab:hosts.privateKey: expected both hosts.publicKey and hosts.privateKey (an existing key pair), or neither (swarmlab generates the cluster key)",
    );
  });

  it("refuses a typo in per-role settings", () => {
    expect(() => config({ worker: { servertype: "cx32" } })).toThrow('Pulumi.prod.yaml: swarmlab:hosts.worker: unknown key "servertype"');
  });
});

describe("hcloud: plan", () => {
  it("sizes each server from its node's settings, then its role's, then the defaults", () => {
    const plan = planHcloud("prod", hosts({ manager: { serverType: "cpx31" }, worker: { serverType: "cx32", image: "ubuntu-24.04" }, nodes: { worker2: { serverType: "ccx13", location: "fsn1" } } }), DEV);
    expect(plan.servers.map((s) => `${s.serverName} ${s.serverType} ${s.image} ${s.location} ${s.privateIp}`)).toEqual([
      "prod-manager1 cpx31 debian-12 nbg1 10.10.0.129",
      "prod-worker1 cx32 ubuntu-24.04 nbg1 10.10.0.172",
      "prod-worker2 ccx13 ubuntu-24.04 fsn1 10.10.0.233",
    ]);
    expect(plan.networkRange).toBe("10.10.0.0/16");
  });

  it("widens a small subnet to a /16 network and keeps a large one", () => {
    expect(networkRangeFor("10.10.3.0/24")).toBe("10.10.0.0/16");
    expect(networkRangeFor("10.20.0.0/16")).toBe("10.20.0.0/16");
    expect(networkRangeFor("10.0.0.0/8")).toBe("10.0.0.0/8");
  });

  it("refuses per-node settings for a node that does not exist, with the rest of the config (before any resource)", () => {
    expect(() => config({ nodes: { worker3: { serverType: "cx32" } } })).toThrow(
      'Pulumi.prod.yaml: swarmlab:hosts.nodes.worker3: "worker3" is not a node: expected one of "manager1", "worker1", "worker2" (add it to nodes or remove this entry)',
    );
  });
});

describe("hcloud: firewall", () => {
  it("opens SSH, ping and the published ports to the world, and the swarm ports only to the private subnet", () => {
    const rules = firewallRules({ publishedPorts: [80, 443, 22, 80], subnet: "10.10.0.0/24" });
    const world = ["0.0.0.0/0", "::/0"];
    expect(rules.map((r) => `${r.protocol}/${r.port ?? "-"} ${r.sourceIps.join(",")}`)).toEqual([
      `tcp/22 ${world}`,
      `icmp/- ${world}`,
      `tcp/80 ${world}`,
      `tcp/443 ${world}`,
      "tcp/2377 10.10.0.0/24",
      "tcp/7946 10.10.0.0/24",
      "udp/7946 10.10.0.0/24",
      "udp/4789 10.10.0.0/24",
      "esp/- 10.10.0.0/24",
    ]);
    expect(rules.every((r) => r.direction === "in")).toBe(true);
  });
});

describe("hcloud: cloud-init", () => {
  it("is a #cloud-config that names the host after its node and runs the Docker install script at first boot", () => {
    const text = cloudInit("worker1");
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    const doc = parse(text) as { hostname: string; preserve_hostname: boolean; write_files: { path: string; permissions: string; content: string }[]; runcmd: string[][] };
    expect(doc.hostname).toBe("worker1");
    expect(doc.preserve_hostname).toBe(false);
    expect(doc.write_files).toHaveLength(1);
    expect(doc.write_files[0]).toMatchObject({ path: "/usr/local/sbin/swarmlab-install-docker", permissions: "0755" });
    expect(doc.write_files[0].content.startsWith("#!/bin/bash\nset -euo pipefail\nhost='worker1'\n")).toBe(true);
    expect(doc.write_files[0].content).toContain("apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends docker.io");
    expect(doc.runcmd).toEqual([["/usr/local/sbin/swarmlab-install-docker"]]);
  });
});

describe("hcloud: resources", () => {
  beforeAll(async () => {
    await setupMocks();
  });

  async function build(h: Record<string, unknown>, name: string) {
    const { createHosts } = await import("../../components/hosts");
    const cfg = loadClusterConfig(
      { "swarmlab:name": name, "swarmlab:hosts": JSON.stringify({ kind: "hcloud", ...h }), "swarmlab:nodes": JSON.stringify([{ name: "manager1", role: "manager" }, { name: "worker1", labels: { zone: "a" } }]) },
      `Pulumi.${name}.yaml`,
    );
    const list = createHosts(cfg);
    await registered(list.flatMap((x) => x.dependsOn));
    return list;
  }

  it("creates a key, a network with its subnet, a firewall and one server per node, and hands out Host objects", async () => {
    const list = await build({ publishedPorts: [80, 443, 8080], worker: { serverType: "cx32" } }, "hc");
    const key = findResource("hc-key", "hcloud:index/sshKey:SshKey");
    expect(key.inputs).toMatchObject({ name: "swarmlab-hc", publicKey: FAKE_PUBLIC_KEY, labels: { "swarmlab.cluster": "hc" } });
    // the generated cluster key (swarmlab's ssh-keygen command) is the key hcloud installs
    expect(recorded(COMMAND_TYPE).map((c) => c.name)).toContain("hc-key-keygen");

    const net = findResource("hc-network", "hcloud:index/network:Network");
    expect(net.inputs).toMatchObject({ name: "swarmlab-hc", ipRange: "10.10.0.0/16" });
    const subnet = findResource("hc-subnet", "hcloud:index/networkSubnet:NetworkSubnet");
    expect(subnet.inputs).toEqual({ networkId: fakeNumericId("hc-network"), type: "cloud", networkZone: "eu-central", ipRange: "10.10.0.0/24" });

    const fw = findResource("hc-firewall", "hcloud:index/firewall:Firewall");
    expect((fw.inputs.rules as { port?: string }[]).map((r) => r.port)).toEqual(["22", undefined, "80", "443", "8080", "2377", "7946", "7946", "4789", undefined]);

    const m1 = findResource("hc-manager1", "hcloud:index/server:Server");
    const w1 = findResource("hc-worker1", "hcloud:index/server:Server");
    expect(m1.inputs).toMatchObject({
      name: "hc-manager1",
      serverType: "cx22",
      image: "debian-12",
      location: "nbg1",
      sshKeys: [String(fakeNumericId("hc-key"))],
      firewallIds: [fakeNumericId("hc-firewall")],
      labels: { "swarmlab.cluster": "hc", "swarmlab.node": "manager1", "swarmlab.role": "manager" },
      publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
      networks: [{ networkId: fakeNumericId("hc-network"), ip: "10.10.0.129" }],
      userData: cloudInit("manager1"),
    });
    expect(w1.inputs.serverType).toBe("cx32");
    // a server joins the network only once the subnet exists
    expect(namesOf(m1.dependencies)).toContain("hc-subnet");

    expect(list.map((h) => h.name)).toEqual(["manager1", "worker1"]);
    expect(await resolve(list[0].address)).toBe(fakePublicIp("hc-manager1"));
    expect(await resolve(list[0].advertiseAddress)).toBe("10.10.0.129");
    expect(await resolve(list[1].ssh)).toEqual({ host: fakePublicIp("hc-worker1"), port: 22, user: "root", privateKey: `${FAKE_PRIVATE_KEY}\n` });
    expect(await resolve(list[1].instance)).toBe(String(fakeNumericId("hc-worker1")));
    expect(list[1].labels).toEqual({ zone: "a" });
  });

  it("uses a key pair from config instead of generating one", async () => {
    const list = await build({ publicKey: "ssh-ed25519 AAAAmine me@host", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nmine\n-----END OPENSSH PRIVATE KEY-----" }, "own");
    expect(findResource("own-key", "hcloud:index/sshKey:SshKey").inputs.publicKey).toBe("ssh-ed25519 AAAAmine me@host");
    expect(recorded(COMMAND_TYPE).map((c) => c.name)).not.toContain("own-key-keygen");
    expect((await resolve(list[0].ssh)).privateKey).toBe("-----BEGIN OPENSSH PRIVATE KEY-----\nmine\n-----END OPENSSH PRIVATE KEY-----\n");
  });
});
