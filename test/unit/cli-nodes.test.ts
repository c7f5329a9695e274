/**
 * cli/lib/nodes.ts: the nodes `npm run ssh`, `status` and `push` connect to, read from the stack's
 * outputs (each node's SSH target and key), and which node a command goes to.
 */
import { describe, expect, it } from "vitest";
import { chooseNode, describeConnection, leaderName, managersLeaderFirst, nodeConnections, registryManager } from "../../cli/lib/nodes";
import { parseStackOutputs } from "../../cli/lib/stackOutputs";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ncluster\n-----END OPENSSH PRIVATE KEY-----\n";
const VM_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nvm2\n-----END OPENSSH PRIVATE KEY-----\n";

const row = (name: string, role: string, address = "127.0.0.1", sshPort = 22) => ({ name, role, address, sshPort, labels: {}, availability: "active" });

/** A published lab (every node at 127.0.0.1) as its outputs read today. */
const published = parseStackOutputs({
  cluster: "lab",
  nodes: [row("manager1", "manager", "127.0.0.1", 22210), row("manager2", "manager", "127.0.0.1", 22211), row("worker1", "worker", "127.0.0.1", 22212)],
  leader: "manager2",
  leaderAddress: "127.0.0.1",
  sshPrivateKey: KEY,
  sshTargets: {
    manager1: { host: "127.0.0.1", port: 22210, user: "root" },
    manager2: { host: "127.0.0.1", port: 22211, user: "root" },
    worker1: { host: "127.0.0.1", port: 22212, user: "root" },
  },
  joinCommands: { worker: "docker swarm join ...", manager: "docker swarm join ..." },
  urls: { traefik: "http://127.0.0.1:80/" },
});

describe("node connections", () => {
  it("use each node's SSH target: user, port, bastion, host key; the per-node key where the node has its own", () => {
    const out = parseStackOutputs({
      nodes: [row("vm1", "manager", "192.168.56.10"), row("vm2", "worker", "192.168.56.11")],
      sshPrivateKey: KEY,
      sshPrivateKeys: { vm2: VM_KEY },
      sshTargets: {
        vm1: { host: "192.168.121.5", port: 22, user: "vagrant" },
        vm2: { host: "10.0.0.7", port: 2222, user: "admin", hostKey: "ssh-ed25519 AAAAvm2", jump: { host: "bastion.example", port: 22, user: "jump" } },
      },
    });
    expect(nodeConnections(out)).toEqual([
      { name: "vm1", role: "manager", host: "192.168.121.5", port: 22, user: "vagrant", privateKey: KEY },
      { name: "vm2", role: "worker", host: "10.0.0.7", port: 2222, user: "admin", hostKey: "ssh-ed25519 AAAAvm2", jump: { host: "bastion.example", port: 22, user: "jump" }, privateKey: VM_KEY },
    ]);
  });

  it("fall back to root at the node's address for stacks deployed before sshTargets", () => {
    const out = parseStackOutputs({ nodes: [row("manager1", "manager", "172.28.0.2")], sshPrivateKey: KEY });
    expect(nodeConnections(out)).toEqual([{ name: "manager1", role: "manager", host: "172.28.0.2", port: 22, user: "root", privateKey: KEY }]);
  });

  it("refuse a node without a key", () => {
    expect(() => nodeConnections(parseStackOutputs({ nodes: [row("manager1", "manager")] }))).toThrow("the stack has no SSH key for node manager1: run npm run up");
  });

  it("describe themselves for messages", () => {
    expect(describeConnection({ user: "root", host: "172.28.0.2", port: 22 })).toBe("root@172.28.0.2:22");
    expect(describeConnection({ user: "admin", host: "10.0.0.7", port: 2222, jump: { user: "jump", host: "bastion", port: 22 } })).toBe("admin@10.0.0.7:2222 via jump@bastion:22");
  });
});

describe("choosing the node", () => {
  const nodes = nodeConnections(published);

  it("the leader is named by the leader output, not found by its address (every node is at 127.0.0.1 here)", () => {
    expect(leaderName(published)).toBe("manager2");
    expect(chooseNode(nodes, leaderName(published)).name).toBe("manager2");
    expect(chooseNode(nodes, leaderName(published)).port).toBe(22211);
  });

  it("older stacks: the one manager at leaderAddress, else the first manager", () => {
    const old = (leaderAddress: string) => ({ ...published, leader: undefined, leaderAddress });
    expect(leaderName(old("127.0.0.1"))).toBe("manager1");
    const direct = { ...published, leader: undefined, leaderAddress: "172.28.0.3", nodes: [row("manager1", "manager", "172.28.0.2"), row("manager2", "manager", "172.28.0.3")] };
    expect(leaderName(direct)).toBe("manager2");
    expect(leaderName({ ...published, leader: "gone" })).toBe("manager1");
  });

  it("a node named on the command line wins; an unknown one is an error listing the nodes", () => {
    expect(chooseNode(nodes, "manager2", "worker1").name).toBe("worker1");
    expect(() => chooseNode(nodes, "manager2", "worker9")).toThrow('no node named "worker9" in this stack (nodes: manager1, manager2, worker1)');
    expect(() => chooseNode([], undefined)).toThrow("the stack has no nodes yet: run npm run up");
  });

  it("status asks the leader first, then the other managers in configuration order, never a worker", () => {
    expect(managersLeaderFirst(nodes, "manager2").map((n) => n.name)).toEqual(["manager2", "manager1"]);
    expect(managersLeaderFirst(nodes, undefined).map((n) => n.name)).toEqual(["manager1", "manager2"]);
  });

  it("push tunnels to the first manager, where the registry is pinned", () => {
    expect(registryManager(nodes).name).toBe("manager1");
    expect(() => registryManager(nodes.filter((n) => n.role === "worker"))).toThrow("the stack has no manager: run npm run up");
  });
});
