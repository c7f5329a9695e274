import * as pulumi from "@pulumi/pulumi";
import { quietRpcDebug } from "./components/command/quietDebug";
import { cheapSdkStacks } from "./components/command/sdkStacks";
import { createHosts } from "./components/hosts";
import { preflight } from "./components/preflight";
import { ClusterAddons } from "./components/addons";
import { buildImages } from "./components/stacks/build";
import { keepLastOnFailure, reportFailuresOnce } from "./components/outputs";
import { deployStacks, registryPort, stackImages, stacksOutput } from "./components/stacks";
import { exposedRoutes } from "./components/stacks/routes";
import { SwarmCluster } from "./components/swarm/cluster";
import { readPreviousManagers } from "./components/swarm/previous";

export = async () => {
  quietRpcDebug();
  cheapSdkStacks();
  reportFailuresOnce();
  const source = `Pulumi.${pulumi.getStack()}.yaml`;
  const root = process.cwd();

  // Every check of the input (all problems at once), then of this machine, before any resource is
  // registered (components/preflight.ts). The last deployment of this very stack gives its managers
  // for the quorum checks (none on the first `up` or `preview`; failing to read them is an error)
  // and its outputs to keep when a resource fails.
  const self = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  const last = new pulumi.StackReference(self);
  const previous = readPreviousManagers(self, last);
  previous.catch(() => undefined); // awaited by the preflight (its error is reported there), later by the swarm
  const { cfg, stackFiles, builds, registryTls, sideLoadIds, warnings } = await preflight(pulumi.runtime.allConfig(), {
    source,
    root,
    env: process.env,
    previousManagers: () => previous,
  });
  warnings.forEach((w) => pulumi.log.warn(w));

  const hosts = createHosts(cfg);
  const swarm = new SwarmCluster(cfg.name, { hosts, swarm: cfg.swarm, previousManagers: await previous });
  const services = new ClusterAddons(`${cfg.name}-services`, { cfg, swarm, hosts, source, registryTls, sideLoadIds, stackImages: stackImages(stackFiles) });

  // docker.Image (and so the docker provider plugin) only when a stack builds something
  const auth = cfg.registry.auth;
  const built = builds.length && services.registryAddress
    ? buildImages(stackFiles, { registry: services.registryAddress, root, auth: auth && { username: auth.username, password: pulumi.secret(auth.password) } }, { dependsOn: services.ready })
    : undefined;
  // Stacks wait for what they use: the registry only when they build images or run images of a
  // registry on its port (<manager>:5000/app); Traefik's deploy goes on beside them (they need its
  // network, not Traefik itself). A plain list: the engine skips what depends on a failed resource.
  const usesRegistry = builds.length > 0 || stackImages(stackFiles).some((i) => registryPort(i) === cfg.registry.port);
  const stacksAfter = [...swarm.ready, ...services.forStacks, ...(usesRegistry ? services.registryReady : [])];
  const stacks = deployStacks(stackFiles, {
    managers: swarm.managerTargets,
    clusterId: swarm.clusterId,
    root,
    traefikNetwork: cfg.traefik.enabled ? cfg.traefik.network : undefined,
    traefikCertResolver: cfg.traefik.enabled ? cfg.traefik.acme?.resolver : undefined,
    // Services that do not choose get what the kernels support (auto: vip/ingress with IPVS, dnsrr/host without).
    // and the cluster's overlay MTU for the networks the stacks create (only when not Docker's default)
    defaults: pulumi.all([swarm.modes, swarm.overlayMtu]).apply(([m, mtu]) => ({ endpointMode: m.endpointMode, publishMode: m.publishMode, ...(mtu === undefined ? {} : { overlayMtu: mtu }) })),
    clusterLabels: { "swarmlab.cluster": cfg.name },
    dependsOn: stacksAfter,
    images: built,
  }, { deletedWith: swarm.teardownWith }); // a lab removed whole takes its stacks with it

  return keepLastOnFailure({
    cluster: cfg.name,
    // the swarm's ID, and what the last run that changed it did (kept, initialised, recovered)
    swarm: swarm.swarm,
    nodes: swarm.nodes,
    leaderAddress: swarm.leaderAddress,
    dockerHost: swarm.dockerHost,
    joinCommands: swarm.joinCommands,
    // autolock: the key that unlocks a manager that restarted locked, and that a restore needs (a secret)
    autolock: cfg.swarm.autolock,
    unlockKey: swarm.unlockKey,
    networkModes: swarm.modes.apply((m) => ({ publishMode: m.publishMode, endpointMode: m.endpointMode })),
    registry: services.registryAddress,
    // for npm run push (a secret, like the join commands)
    registryLogin: cfg.registry.enabled && auth ? pulumi.secret({ username: auth.username, password: auth.password }) : undefined,
    // PEM of the CA the engines trust for the registry (registry.tls): trust it on your machine too
    registryCa: services.registryCa,
    urls: services.urls,
    // what the stacks expose through Traefik, each with a curl that answers before any DNS exists
    routes: cfg.traefik.enabled
      ? pulumi.output(swarm.managers[0].address).apply((address) => exposedRoutes(stackFiles, { address, httpPort: cfg.traefik.httpPort, httpsPort: cfg.traefik.httpsPort }))
      : undefined,
    // For `npm run ssh` and `docker context create`: the key that every node accepts for root.
    sshPrivateKey: pulumi.secret(pulumi.output(hosts[0].ssh).apply((s) => s.privateKey)),
    // For npm run ssh/status/push: the leader by name (with published ports every address is 127.0.0.1).
    leader: swarm.leaderName,
    // How each node is reached over SSH (user, host, port, bastion, host key), by node name: no key, not a secret.
    sshTargets: pulumi.unsecret(
      pulumi.all(hosts.map((h) => pulumi.output(h.ssh).apply((t) => [h.name, { host: t.host, port: t.port, user: t.user, hostKey: t.hostKey, jump: t.jump }] as const))).apply(Object.fromEntries),
    ),
    // The keys of the nodes that do not take sshPrivateKey (each Vagrant VM has its own), by node name.
    sshPrivateKeys: pulumi.secret(
      pulumi.all(hosts.map((h) => pulumi.output(h.ssh))).apply((ts) => Object.fromEntries(ts.flatMap((t, i) => (t.privateKey === ts[0].privateKey ? [] : [[hosts[i].name, t.privateKey]])))),
    ),
    // per stack, per service: swarm name, mode, desired replicas
    stacks: stacksOutput(stacks, stackFiles),
  }, last);
};
