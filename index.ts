import * as pulumi from "@pulumi/pulumi";
import { quietRpcDebug } from "./components/command/quietDebug";
import { crossCheck } from "./components/config/crossChecks";
import { ConfigError } from "./components/config/errors";
import { loadClusterConfig } from "./components/config/load";
import { createHosts } from "./components/hosts";
import { ClusterServices } from "./components/services";
import { buildImages, planBuilds } from "./components/services/build";
import { readRegistryTls } from "./components/services/registryTls";
import { deployStacks, loadStacks, stacksOutput } from "./components/stacks";
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
  quietRpcDebug();
  const source = `Pulumi.${pulumi.getStack()}.yaml`;
  const root = process.cwd();

  // Everything the user wrote is checked before any resource is registered: the config, the
  // manager set against the last deployment, every stack file, and what the stacks ask of the cluster.
  const cfg = loadClusterConfig(pulumi.runtime.allConfig(), source);
  const quorum = checkQuorum(await previousManagers(), cfg.nodes);
  quorum.warnings.forEach((w) => pulumi.log.warn(w));
  if (quorum.errors.length) throw new ConfigError(quorum.errors.map((message) => ({ source, path: "swarmlab:nodes", message })));
  const stackFiles = loadStacks(cfg, root, { configSource: source, env: process.env });
  const impossible = crossCheck(cfg, stackFiles);
  if (impossible.length) throw new ConfigError(impossible);
  // services with `build:` are built and pushed to the cluster registry: refused here without one
  const builds = planBuilds(stackFiles, { root, registryEnabled: cfg.registry.enabled });
  const registryTls = cfg.registry.enabled ? readRegistryTls(cfg.registry.tls, { root, source }) : undefined;

  const hosts = createHosts(cfg);
  const swarm = new SwarmCluster(cfg.name, { hosts, swarm: cfg.swarm });
  const services = new ClusterServices(`${cfg.name}-services`, { cfg, swarm, hosts, source, registryTls });

  // docker.Image (and so the docker provider plugin) only when a stack builds something
  const auth = cfg.registry.auth;
  const built = builds.length && services.registryAddress
    ? buildImages(stackFiles, { registry: services.registryAddress, root, auth: auth && { username: auth.username, password: pulumi.secret(auth.password) } }, { dependsOn: services.ready })
    : undefined;
  const stacks = deployStacks(stackFiles, {
    manager: swarm.manager,
    root,
    traefikNetwork: cfg.traefik.enabled ? cfg.traefik.network : undefined,
    traefikCertResolver: cfg.traefik.enabled ? cfg.traefik.acme?.resolver : undefined,
    // Services that do not choose get what the kernels support (auto: vip/ingress with IPVS, dnsrr/host without).
    defaults: swarm.modes.apply((m) => ({ endpointMode: m.endpointMode, publishMode: m.publishMode })),
    clusterLabels: { "swarmlab.cluster": cfg.name },
    dependsOn: [...swarm.ready, ...services.ready],
    images: built,
  });

  return {
    cluster: cfg.name,
    nodes: swarm.nodes,
    leaderAddress: swarm.leaderAddress,
    dockerHost: swarm.dockerHost,
    joinCommands: swarm.joinCommands,
    networkModes: swarm.modes.apply((m) => ({ publishMode: m.publishMode, endpointMode: m.endpointMode })),
    registry: services.registryAddress,
    // for npm run push (a secret, like the join commands)
    registryLogin: cfg.registry.enabled && auth ? pulumi.secret({ username: auth.username, password: auth.password }) : undefined,
    // PEM of the CA the engines trust for the registry (registry.tls): trust it on your machine too
    registryCa: services.registryCa,
    urls: services.urls,
    // For `npm run ssh` and `docker context create`: the key that every node accepts for root.
    sshPrivateKey: pulumi.secret(pulumi.output(hosts[0].ssh).apply((s) => s.privateKey)),
    // per stack, per service: swarm name, mode, desired replicas
    stacks: stacksOutput(stacks, stackFiles),
  };
};
