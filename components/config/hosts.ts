import { z } from "zod";
import { imageReference, parseCidr, ruleString } from "./dockerRules";

const port = z.number().int().min(1).max(65535);
const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "an IPv4 address like 192.168.56.10");

/** Most nodes a lab subnet holds: addresses .10 to .249 of its first /24, one per node. */
export const MAX_LAB_NODES = 240;

/**
 * The network nodes get fixed addresses in (docker-lab, vagrant, hcloud): valid CIDR, and a /24 or
 * larger, since addresses are taken from .10 to .249 of its first /24.
 */
const labSubnet = (example: string) =>
  ruleString((v) => {
    const c = parseCidr(v, example);
    if (typeof c === "string") return c;
    if (c.bits > 24) return `expected a /24 or larger network (a prefix length of 24 or less: nodes get addresses .10 to .249 of its first /24), got ${JSON.stringify(v)}`;
    return undefined;
  });
const cidr = labSubnet("172.28.0.0/24");

/** The embedded default: every node is a container running its own dockerd and sshd (like kind). */
export const dockerLabSchema = z
  .object({
    kind: z.literal("docker-lab"),
    image: imageReference.default("swarmlab/node:latest").describe("lab node image (built from images/node when missing)"),
    subnet: cidr.default("172.28.0.0/24").describe("subnet of the lab network; nodes get static addresses from .10 up"),
    privileged: z
      .union([z.boolean(), z.literal("auto")])
      .default("auto")
      .describe("run nodes with --privileged; false: an explicit capability set for engines that refuse it; auto: probe the engine"),
    reachability: z
      .enum(["auto", "direct", "published"])
      .default("auto")
      .describe("how Pulumi reaches the nodes: their IPs (Linux) or ports published on 127.0.0.1 (Docker Desktop)"),
    sshPortBase: port.default(22200).describe("with published reachability: node i's SSH is 127.0.0.1:<base+i>"),
    publishPorts: z
      .array(port)
      .default([])
      .describe("with published reachability: ports the first manager publishes on 127.0.0.1 besides the cluster services' (a stack's own ports)"),
    dockerHost: z.string().optional().describe("the engine hosting the lab (default: DOCKER_HOST or the local socket)"),
    mtu: z.number().int().min(68).max(65535).optional().describe("MTU of the lab network (default: the engine's, 1500): below 1500 it stands in for a cloud network (Hetzner's is 1450)"),
    addresses: z
      .record(z.string(), ipv4)
      .default({})
      .describe("pinned node addresses (node name -> IP in the subnet); the others are derived from their names"),
  })
  .strict()
  .superRefine((h, ctx) => {
    const prefix = h.subnet.split("/")[0].split(".").slice(0, 3).join(".");
    const seen = new Map<string, string>();
    for (const [name, ip] of Object.entries(h.addresses)) {
      const host = Number(ip.split(".")[3]);
      const path = ["addresses", name];
      if (!ip.startsWith(`${prefix}.`) || host < 2 || host > 254) {
        ctx.addIssue({ code: "custom", path, message: `expected an address from ${prefix}.2 to ${prefix}.254 (hosts.subnet ${h.subnet}), got "${ip}"` });
      } else if (seen.has(ip)) {
        ctx.addIssue({ code: "custom", path, message: `${ip} is already pinned for node "${seen.get(ip)}"` });
      }
      seen.set(ip, name);
    }
  });
export type DockerLabHosts = z.infer<typeof dockerLabSchema>;

const sshHostSchema = z
  .object({
    address: z.string().min(1).describe("address or name reachable from the machine running Pulumi"),
    advertiseAddress: ipv4.optional().describe("address other nodes use (default: address)"),
    port: port.optional(),
    user: z.string().min(1).optional(),
    hostKey: z.string().optional().describe("the host's public key (ssh-ed25519 AAAA...); verified when given"),
  })
  .strict();

/** Machines that already exist, reached over SSH. */
export const sshHostsSchema = z
  .object({
    kind: z.literal("ssh"),
    user: z.string().min(1).default("root"),
    port: port.default(22),
    privateKeyFile: z.string().min(1).optional().describe("path of the private key, relative to the project or absolute"),
    privateKey: z
      .string()
      .min(1)
      .optional()
      .describe('the private key itself, kept as a secret: pulumi config set --secret --path swarmlab:hosts.privateKey -- "$(cat KEYFILE)"'),
    bastion: z
      .object({ address: z.string().min(1), port: port.default(22), user: z.string().min(1).default("root") })
      .strict()
      .optional(),
    installDocker: z.boolean().default(true).describe("install Docker on hosts that lack it (Debian, Ubuntu)"),
    hosts: z.record(z.string(), sshHostSchema).describe("one entry per node name"),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (!h.privateKey && !h.privateKeyFile) {
      ctx.addIssue({
        code: "custom",
        path: ["privateKey"],
        message: 'expected a private key: set hosts.privateKeyFile to its path, or the key itself with: pulumi config set --secret --path swarmlab:hosts.privateKey -- "$(cat KEYFILE)"',
      });
    }
    if (h.privateKey && h.privateKeyFile) {
      ctx.addIssue({ code: "custom", path: ["privateKeyFile"], message: "expected either hosts.privateKey or hosts.privateKeyFile, got both" });
    }
  });
export type SshHosts = z.infer<typeof sshHostsSchema>;

/** VirtualBox or libvirt VMs through Vagrant, as in the classic lab. */
export const vagrantSchema = z
  .object({
    kind: z.literal("vagrant"),
    box: z.string().default("debian/bookworm64"),
    provider: z.enum(["virtualbox", "libvirt"]).default("virtualbox"),
    libvirtDriver: z
      .enum(["kvm", "qemu"])
      .default("kvm")
      .describe("libvirt only: kvm (hardware virtualisation) or qemu (software emulation, slower: where nested KVM cannot boot a guest)"),
    cpus: z.number().int().min(1).default(2),
    memory: z.number().int().min(512).default(2048).describe("MiB per VM"),
    subnet: labSubnet("192.168.56.0/24").default("192.168.56.0/24").describe("private network; each node gets a fixed address from .10 up, derived from its name"),
    domain: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "a DNS domain like lan or lab.example.com")
      .default("lan")
      .describe("hostnames are docker.<domain>, docker.worker1.<domain>..."),
  })
  .strict();
export type VagrantHosts = z.infer<typeof vagrantSchema>;

/** Server size and image, at the top level of hosts, per role (hosts.manager / hosts.worker) or per node (hosts.nodes.<name>). */
const serverShape = {
  location: z.string().min(1).optional().describe("hcloud location: nbg1, fsn1, hel1, ash, hil, sin"),
  serverType: z.string().min(1).optional().describe("hcloud server type: cx22, cpx31..."),
  image: z.string().min(1).optional().describe("hcloud image: debian-12, ubuntu-24.04..."),
};
const serverSchema = z.object(serverShape).strict();
export type ServerSettings = z.infer<typeof serverSchema>;

/** Hetzner Cloud servers. */
export const hcloudSchema = z
  .object({
    kind: z.literal("hcloud"),
    location: z.string().default("nbg1"),
    serverType: z.string().default("cx22"),
    image: z.string().default("debian-12"),
    manager: serverSchema.optional().describe("overrides for manager nodes"),
    worker: serverSchema.optional().describe("overrides for worker nodes"),
    nodes: z.record(z.string(), serverSchema).default({}).describe("overrides per node name (win over the role's)"),
    networkZone: z.string().default("eu-central"),
    subnet: labSubnet("10.10.0.0/24").default("10.10.0.0/24").describe("private subnet; each node gets a fixed address from .10 up, derived from its name"),
    publishedPorts: z.array(port).default([80, 443]).describe("ports opened to the world besides 22"),
    publicKey: z.string().min(1).optional().describe("an existing key pair to use instead of the generated cluster key (with privateKey)"),
    privateKey: z.string().min(1).optional().describe("set with pulumi config set --secret --path swarmlab:hosts.privateKey"),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (!!h.publicKey !== !!h.privateKey) {
      ctx.addIssue({
        code: "custom",
        path: [h.publicKey ? "privateKey" : "publicKey"],
        message: "expected both hosts.publicKey and hosts.privateKey (an existing key pair), or neither (swarmlab generates the cluster key)",
      });
    }
  });
export type HcloudHosts = z.infer<typeof hcloudSchema>;

export const hostsSchema = z.discriminatedUnion("kind", [dockerLabSchema, sshHostsSchema, vagrantSchema, hcloudSchema]);
export type HostsConfig = z.infer<typeof hostsSchema>;

/** Which network zone each Hetzner location belongs to (a server can only join a subnet of its zone). */
export const LOCATION_ZONES: Record<string, string> = {
  nbg1: "eu-central",
  fsn1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
};

/** A problem found by comparing hosts with nodes: the path under `hosts` and what is wrong. */
export interface HostsProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Cross-checks that need the node list: every ssh node has an inventory entry and every entry a
 * node; per-node hcloud overrides name configured nodes. Run before any resource is registered.
 */
export function checkHostsAgainstNodes(hosts: HostsConfig, nodes: readonly { name: string; role: string }[]): HostsProblem[] {
  const nodeNames = nodes.map((n) => n.name);
  const problems: HostsProblem[] = hosts.kind === "hcloud" ? hcloudZoneProblems(hosts, nodes) : [];
  if (hosts.kind !== "ssh" && nodes.length > MAX_LAB_NODES) {
    problems.push({ path: ["hosts", "subnet"], message: `at most ${MAX_LAB_NODES} nodes get an address in a lab subnet (.10 to .249), got ${nodes.length} nodes` });
  }
  const entries = hosts.kind === "ssh" ? hosts.hosts : hosts.kind === "hcloud" ? hosts.nodes : hosts.kind === "docker-lab" ? hosts.addresses : undefined;
  if (!entries) return problems;
  const where = hosts.kind === "ssh" ? "hosts.hosts" : hosts.kind === "docker-lab" ? "hosts.addresses" : "hosts.nodes";
  if (hosts.kind === "ssh") {
    for (const name of nodeNames) {
      if (!(name in entries)) {
        problems.push({ path: ["hosts", "hosts"], message: `node "${name}" has no inventory entry: add hosts.hosts.${name}.address (the machine it runs on)` });
      }
    }
  }
  for (const name of Object.keys(entries)) {
    if (!nodeNames.includes(name)) {
      problems.push({
        path: [...where.split("."), name],
        message: `"${name}" is not a node: expected one of ${nodeNames.map((n) => `"${n}"`).join(", ")} (add it to nodes or remove this entry)`,
      });
    }
  }
  return problems;
}

/** Every location a node gets (its own, its role's or the default) must be in hosts.networkZone; reported where it is set. */
function hcloudZoneProblems(hosts: HcloudHosts, nodes: readonly { name: string; role: string }[]): HostsProblem[] {
  const problems = new Map<string, HostsProblem>();
  for (const node of nodes) {
    const role = node.role === "manager" ? "manager" : "worker";
    const [path, location] = hosts.nodes[node.name]?.location
      ? [["hosts", "nodes", node.name, "location"], hosts.nodes[node.name].location]
      : hosts[role]?.location
        ? [["hosts", role, "location"], hosts[role]?.location]
        : [["hosts", "location"], hosts.location];
    const zone = LOCATION_ZONES[location as string];
    if (!zone || zone === hosts.networkZone || problems.has(path.join("."))) continue;
    problems.set(path.join("."), {
      path,
      message: `location ${location} is in network zone ${zone}, but hosts.networkZone is ${hosts.networkZone}: servers can only join a private network of their own zone (node ${node.name})`,
    });
  }
  return [...problems.values()];
}
