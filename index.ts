import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./components/config/errors";
import { loadClusterConfig } from "./components/config/load";
import { createHosts } from "./components/hosts";
import { SwarmCluster } from "./components/swarm/cluster";
import { checkQuorum } from "./components/swarm/quorum";

/** Managers of the last deployment, read from this stack's own outputs (none on the first run). */
async function previousManagers(): Promise<string[]> {
  try {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const nodes = (await self.getOutputDetails("nodes")).value as { name: string; role: string }[] | undefined;
    return (nodes ?? []).filter((n) => n.role === "manager").map((n) => n.name);
  } catch {
    return [];
  }
}

export = async () => {
  // Everything the user wrote is checked before any resource is registered.
  const cfg = loadClusterConfig(pulumi.runtime.allConfig(), `Pulumi.${pulumi.getStack()}.yaml`);
  const quorum = checkQuorum(await previousManagers(), cfg.nodes);
  quorum.warnings.forEach((w) => pulumi.log.warn(w));
  if (quorum.errors.length) {
    throw new ConfigError(quorum.errors.map((message) => ({ source: `Pulumi.${pulumi.getStack()}.yaml`, path: "swarmlab:nodes", message })));
  }

  const hosts = createHosts(cfg);
  const swarm = new SwarmCluster(cfg.name, { hosts, swarm: cfg.swarm });

  return {
    cluster: cfg.name,
    nodes: swarm.nodes,
    leaderAddress: swarm.leaderAddress,
    dockerHost: swarm.dockerHost,
    joinCommands: swarm.joinCommands,
    // For `npm run ssh` and `docker context create`: the key that every node accepts for root.
    sshPrivateKey: pulumi.secret(pulumi.output(hosts[0].ssh).apply((s) => s.privateKey)),
  };
};
