import { z } from "zod";

const port = z.number().int().min(1).max(65535);
const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "an IPv4 address like 192.168.56.10");
const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "a CIDR subnet like 172.28.0.0/24");

/** The embedded default: every node is a container running its own dockerd and sshd (like kind). */
export const dockerLabSchema = z
  .object({
    kind: z.literal("docker-lab"),
    image: z.string().default("swarmlab/node:latest").describe("lab node image (built from images/node when missing)"),
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
    subnet: cidr.default("192.168.56.0/24").describe("private network; each node gets a fixed address from .10 up, derived from its name"),
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
    subnet: cidr.default("10.10.0.0/24").describe("private subnet; each node gets a fixed address from .10 up, derived from its name"),
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

/** A problem found by comparing hosts with nodes: the path under `hosts` and what is wrong. */
export interface HostsProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Cross-checks that need the node list: every ssh node has an inventory entry and every entry a
 * node; per-node hcloud overrides name configured nodes. Run before any resource is registered.
 */
export function checkHostsAgainstNodes(hosts: HostsConfig, nodeNames: readonly string[]): HostsProblem[] {
  const problems: HostsProblem[] = [];
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
