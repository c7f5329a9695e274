import * as pulumi from "@pulumi/pulumi";
import { type ClusterConfig, servicePorts } from "../config/cluster";
import { ConfigError, formatPath } from "../config/errors";
import { checkHostsAgainstNodes } from "../config/hosts";
import { DockerLab } from "./dockerLab";
import { HcloudServers } from "./hcloud";
import type { Host } from "./host";
import { SshMachines } from "./ssh";
import { VagrantLab } from "./vagrant";

/**
 * One function per host kind, each returning the same `Host[]`. Adding a kind (a cloud, say) is one
 * new file in this folder and one line here. Problems that need both hosts and nodes (an ssh node
 * without an inventory entry...) are reported here, before any resource is registered.
 */
export function createHosts(cfg: ClusterConfig, opts: pulumi.ComponentResourceOptions = {}, source = `Pulumi.${pulumi.getStack()}.yaml`): Host[] {
  const h = cfg.hosts;
  const problems = checkHostsAgainstNodes(h, cfg.nodes.map((n) => n.name));
  if (problems.length) {
    throw new ConfigError(problems.map((p) => ({ source, path: `swarmlab:${formatPath(p.path)}`, message: p.message })));
  }
  const args = { cluster: cfg.name, nodes: cfg.nodes };
  switch (h.kind) {
    case "docker-lab":
      return new DockerLab(cfg.name, { ...args, hosts: h, servicePorts: servicePorts(cfg).map(([, port]) => port) }, opts).hosts;
    case "ssh":
      return new SshMachines(cfg.name, { ...args, hosts: h, dialTimeoutSeconds: cfg.swarm.readyTimeoutSeconds }, opts).hosts;
    case "vagrant":
      return new VagrantLab(cfg.name, { ...args, hosts: h }, opts).hosts;
    case "hcloud":
      return new HcloudServers(cfg.name, { ...args, hosts: h }, opts).hosts;
  }
}
