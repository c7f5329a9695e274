import * as pulumi from "@pulumi/pulumi";
import { type ClusterConfig, servicePorts } from "../config/cluster";
import { DockerLab } from "./dockerLab";
import { HcloudServers } from "./hcloud";
import type { Host } from "./host";
import { SshMachines } from "./ssh";
import { VagrantLab } from "./vagrant";

/**
 * One function per host kind, each returning the same `Host[]`. Adding a kind (a cloud, say) is one
 * new file in this folder and one line here. `cfg` has passed loadClusterConfig, which checks hosts
 * against nodes (an ssh node without an inventory entry, an hcloud location outside the zone...).
 */
export function createHosts(cfg: ClusterConfig, opts: pulumi.ComponentResourceOptions = {}): Host[] {
  const h = cfg.hosts;
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
