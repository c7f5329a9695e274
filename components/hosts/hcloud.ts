/**
 * Hetzner Cloud servers through @pulumi/hcloud. The shape is the one any cloud follows (an EC2 or
 * DigitalOcean kind is a copy of this file with that provider's resources):
 *   1. plan (pure): per node its size, image, location and a fixed private address;
 *   2. an SSH key (the generated cluster key, or one from config);
 *   3. a private network and subnet: the advertise addresses live there;
 *   4. a firewall: SSH and the published ports open to the world, swarm ports only from the subnet;
 *   5. one server per node with cloud-init user data that installs Docker (pure, unit-tested);
 *   6. Host[]: address = public IPv4, advertiseAddress = private IP, root over SSH.
 * The token is the provider's own config: `pulumi config set --secret hcloud:token ...`.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { keyFileText, type SshTarget } from "../command/ssh";
import type { NodeConfig } from "../config/cluster";
import type { HcloudHosts } from "../config/hosts";
import { assignAddresses } from "./addresses";
import { type Host, labLabels } from "./host";
import { installDockerScript } from "./install";
import { SshKeyPair } from "./sshKey";

export interface CloudServerPlan {
  node: NodeConfig;
  /** The server's name in the cloud (unique per project): `<cluster>-<node>`. Its hostname is the node name. */
  serverName: string;
  serverType: string;
  image: string;
  location: string;
  privateIp: string;
}

export interface HcloudPlan {
  /** The network's range: the subnet widened to a /16 (the subnet must lie inside it). */
  networkRange: string;
  subnet: string;
  servers: CloudServerPlan[];
}

/** 10.10.0.0/24 -> 10.10.0.0/16; a /16 or wider subnet is its own network. */
export function networkRangeFor(subnet: string): string {
  const [base, bits] = subnet.split("/");
  if (Number(bits) <= 16) return subnet;
  const [a, b] = base.split(".");
  return `${a}.${b}.0.0/16`;
}

/** Node settings win over the role's, which win over the top-level defaults. */
export function planHcloud(cluster: string, hosts: HcloudHosts, nodes: NodeConfig[]): HcloudPlan {
  const ips = assignAddresses(hosts.subnet, nodes.map((n) => n.name));
  const servers = nodes.map((node) => {
    const role = node.role === "manager" ? hosts.manager : hosts.worker;
    const own = hosts.nodes[node.name];
    const pick = <K extends "serverType" | "image" | "location">(k: K): string => own?.[k] ?? role?.[k] ?? hosts[k];
    return {
      node,
      serverName: `${cluster}-${node.name}`,
      serverType: pick("serverType"),
      image: pick("image"),
      location: pick("location"),
      privateIp: ips.get(node.name) as string,
    };
  });
  return { networkRange: networkRangeFor(hosts.subnet), subnet: hosts.subnet, servers };
}

export interface FirewallRule {
  direction: "in";
  protocol: "tcp" | "udp" | "icmp" | "esp";
  port?: string;
  sourceIps: string[];
  description: string;
}

const WORLD = ["0.0.0.0/0", "::/0"];

/**
 * SSH, ICMP and the published ports from anywhere; the swarm's own ports (2377/tcp management,
 * 7946/tcp+udp gossip, 4789/udp VXLAN, ESP for encrypted overlays) only from the private subnet.
 * (Hetzner firewalls filter the public interfaces: the swarm ports are simply never open there.)
 */
export function firewallRules(hosts: Pick<HcloudHosts, "publishedPorts" | "subnet">): FirewallRule[] {
  const inner = [hosts.subnet];
  return [
    { direction: "in", protocol: "tcp", port: "22", sourceIps: WORLD, description: "ssh" },
    { direction: "in", protocol: "icmp", sourceIps: WORLD, description: "ping" },
    ...[...new Set(hosts.publishedPorts)].filter((p) => p !== 22).map((p): FirewallRule => ({ direction: "in", protocol: "tcp", port: String(p), sourceIps: WORLD, description: `published port ${p}` })),
    { direction: "in", protocol: "tcp", port: "2377", sourceIps: inner, description: "swarm management" },
    { direction: "in", protocol: "tcp", port: "7946", sourceIps: inner, description: "swarm gossip (tcp)" },
    { direction: "in", protocol: "udp", port: "7946", sourceIps: inner, description: "swarm gossip (udp)" },
    { direction: "in", protocol: "udp", port: "4789", sourceIps: inner, description: "overlay VXLAN" },
    { direction: "in", protocol: "esp", sourceIps: inner, description: "encrypted overlays (IPsec ESP)" },
  ];
}

/** cloud-init user data: the node name as hostname (the swarm lists nodes by it) and Docker installed at first boot. */
export function cloudInit(node: string): string {
  const doc = {
    hostname: node,
    preserve_hostname: false,
    write_files: [
      {
        path: "/usr/local/sbin/swarmlab-install-docker",
        permissions: "0755",
        content: `#!/bin/bash\nset -euo pipefail\n${installDockerScript({ host: node, install: true, waitSeconds: 120 })}\n`,
      },
    ],
    runcmd: [["/usr/local/sbin/swarmlab-install-docker"]],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}

export interface HcloudArgs {
  cluster: string;
  hosts: HcloudHosts;
  nodes: NodeConfig[];
}

export class HcloudServers extends pulumi.ComponentResource {
  readonly hosts: Host[];
  readonly publicKey: pulumi.Output<string>;

  constructor(name: string, args: HcloudArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:hosts:HcloudServers", name, {}, opts);
    const plan = planHcloud(args.cluster, args.hosts, args.nodes);
    const labels = labLabels(args.cluster);

    let privateKey: pulumi.Output<string>;
    if (args.hosts.publicKey && args.hosts.privateKey) {
      this.publicKey = pulumi.output(args.hosts.publicKey.trim());
      privateKey = pulumi.secret(keyFileText(args.hosts.privateKey));
    } else {
      const pair = new SshKeyPair(`${name}-key`, { comment: `swarmlab-${args.cluster}` }, { parent: this });
      this.publicKey = pair.publicKey;
      privateKey = pair.privateKey;
    }
    const key = new hcloud.SshKey(`${name}-key`, { name: `swarmlab-${args.cluster}`, publicKey: this.publicKey, labels }, { parent: this });

    const network = new hcloud.Network(`${name}-network`, { name: `swarmlab-${args.cluster}`, ipRange: plan.networkRange, labels }, { parent: this });
    const networkId = network.id.apply(Number);
    const subnet = new hcloud.NetworkSubnet(
      `${name}-subnet`,
      { networkId, type: "cloud", networkZone: args.hosts.networkZone, ipRange: plan.subnet },
      { parent: this },
    );

    const firewall = new hcloud.Firewall(`${name}-firewall`, { name: `swarmlab-${args.cluster}`, rules: firewallRules(args.hosts), labels }, { parent: this });

    this.hosts = plan.servers.map((s) => {
      const server = new hcloud.Server(
        `${name}-${s.node.name}`,
        {
          name: s.serverName,
          serverType: s.serverType,
          image: s.image,
          location: s.location,
          sshKeys: [key.id],
          firewallIds: [firewall.id.apply(Number)],
          userData: cloudInit(s.node.name),
          labels: labLabels(args.cluster, { "swarmlab.node": s.node.name, "swarmlab.role": s.node.role }),
          publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
          networks: [{ networkId, ip: s.privateIp }],
        },
        // The server can only join the network once the subnet exists.
        { parent: this, dependsOn: [subnet] },
      );
      const address = server.ipv4Address;
      const host: Host = {
        name: s.node.name,
        role: s.node.role,
        labels: s.node.labels,
        availability: s.node.availability,
        address,
        advertiseAddress: s.privateIp,
        ssh: pulumi.secret(pulumi.all([address, privateKey]).apply(([ip, k]): SshTarget => ({ host: ip, port: 22, user: "root", privateKey: k }))),
        instance: server.id,
        dependsOn: [server],
      };
      return host;
    });
    this.registerOutputs({ publicKey: this.publicKey });
  }
}
