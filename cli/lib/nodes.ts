/**
 * Which node a helper talks to, and how: pure functions over the stack outputs. Each node is
 * reached the way Pulumi reaches it (user, host, port, bastion, host key of its SSH target), not
 * by guessing root@address.
 */
import type { SshTarget } from "../../components/command/ssh";
import type { StackOutputs } from "./stackOutputs";

/** A node and its SSH target, key included (kept in memory; on disk only in a private temporary file while in use). */
export interface NodeConnection extends SshTarget {
  name: string;
  role: string;
}

/** Every node of the outputs with its connection. Stacks deployed before `sshTargets` existed were labs: root at the node's address. */
export function nodeConnections(out: StackOutputs): NodeConnection[] {
  return out.nodes.map((n) => {
    const target = out.sshTargets?.[n.name] ?? { host: n.address, port: n.sshPort, user: "root" };
    const privateKey = out.sshPrivateKeys?.[n.name] ?? out.sshPrivateKey;
    if (!privateKey) throw new Error(`the stack has no SSH key for node ${n.name}: run npm run up`);
    return { ...target, name: n.name, role: n.role, privateKey };
  });
}

/**
 * The leader's node name: the `leader` output; for older stacks the one manager at `leaderAddress`
 * (with published ports every node is at 127.0.0.1, so an address alone names no one), else the
 * first manager.
 */
export function leaderName(out: StackOutputs): string | undefined {
  if (out.leader && out.nodes.some((n) => n.name === out.leader)) return out.leader;
  const managers = out.nodes.filter((n) => n.role === "manager");
  const at = managers.filter((n) => n.address === out.leaderAddress);
  return (at.length === 1 ? at[0] : (managers[0] ?? out.nodes[0]))?.name;
}

/** The managers to ask for the swarm's state: the leader first, then the others in configuration order. */
export function managersLeaderFirst(nodes: NodeConnection[], leader: string | undefined): NodeConnection[] {
  const managers = nodes.filter((n) => n.role === "manager");
  const first = nodes.find((n) => n.name === leader);
  return first ? [first, ...managers.filter((n) => n !== first)] : managers;
}

/** The node named on the command line, else the leader; an unknown name is an error that lists the nodes. */
export function chooseNode(nodes: NodeConnection[], leader: string | undefined, requested?: string): NodeConnection {
  if (!nodes.length) throw new Error("the stack has no nodes yet: run npm run up");
  if (requested !== undefined) {
    const named = nodes.find((n) => n.name === requested);
    if (!named) throw new Error(`no node named "${requested}" in this stack (nodes: ${nodes.map((n) => n.name).join(", ")})`);
    return named;
  }
  return nodes.find((n) => n.name === leader) ?? nodes.find((n) => n.role === "manager") ?? nodes[0];
}

/** The manager that runs the registry: it is pinned to the first manager in configuration order. */
export function registryManager(nodes: NodeConnection[]): NodeConnection {
  const manager = nodes.find((n) => n.role === "manager");
  if (!manager) throw new Error("the stack has no manager: run npm run up");
  return manager;
}

/** `vagrant@192.168.121.5:22`, `admin@10.0.0.5:22 via jump@bastion.example:2222`: for messages. */
export function describeConnection(n: Pick<SshTarget, "user" | "host" | "port" | "jump">): string {
  const at = (t: { user: string; host: string; port: number }) => `${t.user}@${t.host}:${t.port}`;
  return n.jump ? `${at(n)} via ${at(n.jump)}` : at(n);
}
