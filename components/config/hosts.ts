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
    dockerHost: z.string().optional().describe("the engine hosting the lab (default: DOCKER_HOST or the local socket)"),
  })
  .strict();
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
    privateKeyFile: z.string().optional().describe("path of the private key (or set swarmlab:sshPrivateKey as a secret)"),
    bastion: z
      .object({ address: z.string().min(1), port: port.default(22), user: z.string().min(1).default("root") })
      .strict()
      .optional(),
    installDocker: z.boolean().default(true).describe("install Docker on hosts that lack it (Debian, Ubuntu)"),
    hosts: z.record(z.string(), sshHostSchema).describe("one entry per node name"),
  })
  .strict();
export type SshHosts = z.infer<typeof sshHostsSchema>;

/** VirtualBox or libvirt VMs through Vagrant, as in the classic lab. */
export const vagrantSchema = z
  .object({
    kind: z.literal("vagrant"),
    box: z.string().default("debian/bookworm64"),
    provider: z.enum(["virtualbox", "libvirt"]).default("virtualbox"),
    cpus: z.number().int().min(1).default(2),
    memory: z.number().int().min(512).default(2048).describe("MiB per VM"),
    subnet: cidr.default("192.168.56.0/24").describe("private network; nodes get .10 and up"),
    domain: z.string().default("lan").describe("hostnames are docker.<domain>, docker.worker1.<domain>..."),
  })
  .strict();

/** Hetzner Cloud servers. */
export const hcloudSchema = z
  .object({
    kind: z.literal("hcloud"),
    location: z.string().default("nbg1"),
    serverType: z.string().default("cx22"),
    image: z.string().default("debian-12"),
    networkZone: z.string().default("eu-central"),
    subnet: cidr.default("10.10.0.0/24"),
    publishedPorts: z.array(port).default([80, 443]).describe("ports opened to the world besides 22"),
  })
  .strict();

export const hostsSchema = z.discriminatedUnion("kind", [dockerLabSchema, sshHostsSchema, vagrantSchema, hcloudSchema]);
export type HostsConfig = z.infer<typeof hostsSchema>;
