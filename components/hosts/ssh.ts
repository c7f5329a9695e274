import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Command } from "../command/provider";
import { keyFileText, type SshTarget } from "../command/ssh";
import type { NodeConfig } from "../config/cluster";
import { ConfigError } from "../config/errors";
import type { SshHosts } from "../config/hosts";
import type { Host } from "./host";
import { installDockerScript } from "./install";
import { parseKeyValues } from "../command/shell";

/** How swarmlab reaches one machine of the inventory (the key is added later, as a secret). */
export interface SshNodePlan {
  node: NodeConfig;
  address: string;
  advertiseAddress: string;
  target: Omit<SshTarget, "privateKey">;
}

/** Inventory entry + defaults -> connection, per node, in node order. Assumes checkHostsAgainstNodes passed. */
export function planSshHosts(hosts: SshHosts, nodes: NodeConfig[]): SshNodePlan[] {
  return nodes.map((node) => {
    const e = hosts.hosts[node.name];
    if (!e) throw new Error(`node "${node.name}" has no inventory entry in hosts.hosts`);
    const target: Omit<SshTarget, "privateKey"> = { host: e.address, port: e.port ?? hosts.port, user: e.user ?? hosts.user };
    if (e.hostKey) target.hostKey = e.hostKey.trim();
    if (hosts.bastion) target.jump = { host: hosts.bastion.address, port: hosts.bastion.port, user: hosts.bastion.user };
    return { node, address: e.address, advertiseAddress: e.advertiseAddress ?? e.address, target };
  });
}

/** `~/x` and project-relative paths, as a user writes them in a stack file. */
export function resolveKeyPath(file: string, root: string, home = os.homedir()): string {
  if (file === "~" || file.startsWith("~/")) return path.join(home, file.slice(1));
  return path.resolve(root, file);
}

/**
 * The private key from config (a secret) or from a file. The preflight reads it first, so that a
 * missing file is one ConfigError among the others, before anything runs.
 */
export function loadPrivateKey(hosts: SshHosts, root: string, source = "swarmlab config"): string {
  if (hosts.privateKey) return keyFileText(hosts.privateKey);
  const file = resolveKeyPath(hosts.privateKeyFile as string, root);
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new ConfigError([{ source, path: "swarmlab:hosts.privateKeyFile", message: `cannot read ${file} (${code}): expected a private key file (a path relative to the project, or ~/...)` }]);
  }
}

/** What the host check prints: whether Docker was installed, and the identity of the machine. */
export function parseHostCheck(stdout: string): { docker: string; machine: string; hostname: string } {
  const kv = parseKeyValues(stdout);
  return { docker: kv.docker ?? "", machine: kv.machine ?? "", hostname: kv.hostname ?? "" };
}

export interface SshHostsArgs {
  cluster: string;
  hosts: SshHosts;
  nodes: NodeConfig[];
  /** Where a relative privateKeyFile is looked up (the project). */
  root?: string;
  /** How long to keep dialling a host that does not answer yet. */
  dialTimeoutSeconds?: number;
}

/**
 * Machines that already exist. Per host one command over SSH (host key verified when given,
 * through the bastion when there is one) that installs Docker where it is missing and prints the
 * machine ID: `instance` changes when the address leads to a different machine. Nothing is deleted
 * on destroy: the swarm layer makes each host leave the swarm and the machines keep running.
 */
export class SshMachines extends pulumi.ComponentResource {
  readonly hosts: Host[];

  constructor(name: string, args: SshHostsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:hosts:SshMachines", name, {}, opts);
    const privateKey = pulumi.secret(loadPrivateKey(args.hosts, args.root ?? process.cwd()));
    this.hosts = planSshHosts(args.hosts, args.nodes).map((p) => {
      const ssh = pulumi.secret(privateKey.apply((k): SshTarget => ({ ...p.target, privateKey: k })));
      const check = new Command(
        `${name}-${p.node.name}`,
        {
          label: `${p.node.name}: host check`,
          create: installDockerScript({ host: p.node.name, install: args.hosts.installDocker }),
          connection: ssh,
          // Another address or port is another machine: check it (and install Docker) again.
          triggers: [p.target.host, p.target.port],
          dialTimeoutSeconds: args.dialTimeoutSeconds ?? 120,
          timeoutSeconds: 900,
        },
        { parent: this },
      );
      const out = check.stdout.apply(parseHostCheck);
      out.apply((o) => {
        if (o.hostname && o.hostname !== p.node.name) {
          pulumi.log.warn(
            `${p.node.name}: the machine at ${p.address} is called "${o.hostname}", and the swarm lists nodes by hostname: name the node "${o.hostname}" in nodes (or rename the machine) so that node removal and leader lookup find it`,
            this,
          );
        }
      });
      const host: Host = {
        name: p.node.name,
        role: p.node.role,
        labels: p.node.labels,
        availability: p.node.availability,
        address: p.address,
        advertiseAddress: p.advertiseAddress,
        ssh,
        instance: out.apply((o) => o.machine),
        dependsOn: [check],
      };
      return host;
    });
    this.registerOutputs({});
  }
}
