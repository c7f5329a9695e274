import type * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../config/cluster";
import { DockerLab } from "./dockerLab";
import type { Host } from "./host";

/**
 * One function per host kind, each returning the same `Host[]`. Adding a kind (a cloud, say) is one
 * new file in this folder and one line here.
 */
export function createHosts(cfg: ClusterConfig, opts: pulumi.ComponentResourceOptions = {}): Host[] {
  const h = cfg.hosts;
  switch (h.kind) {
    case "docker-lab":
      return new DockerLab(cfg.name, { cluster: cfg.name, hosts: h, nodes: cfg.nodes }, opts).hosts;
    default:
      throw new Error(`hosts.kind "${h.kind}" is described by the configuration schema but not implemented yet in this version of swarmlab`);
  }
}
