import bcrypt from "bcryptjs";
import * as pulumi from "@pulumi/pulumi";
import { formerType } from "../typeAliases";
import { Command } from "../command/provider";
import type { ClusterConfig } from "../config/cluster";
import { ConfigError } from "../config/errors";
import type { Host } from "../hosts/host";
import { parseStack } from "../stacks/load";
import { planObjects, readObjectContents } from "../stacks/secrets";
import { type PreparedStack, StackDeployment } from "../stacks/deployment";
import type { SwarmCluster } from "../swarm/cluster";
import { ImageDelivery, managerOnlyImages } from "./images";
import { OverlayNetwork } from "./network";
import { REGISTRY_STACK, htpasswdLine, registryAddress, registryCompose, trustRegistryScript } from "./registry";
import {
  type RegistryTlsMaterial,
  certificateScript,
  installCertificateScript,
  installedCertificateCheck,
  parseCertificates,
  removeCertificateScript,
  trustCaScript,
  trustedCaCheck,
  untrustCaScript,
} from "./registryTls";
import { TRAEFIK_STACK, traefikCompose, visualizerCompose } from "./traefik";

const bcryptHtpasswd = (username: string, password: string) => htpasswdLine(username, password, (pw, salt) => bcrypt.hashSync(pw, salt));

/** A stack swarmlab writes itself (registry, Traefik, visualizer), checked by the same schema as users' files. */
export function systemStack(name: string, text: string, values: Record<string, string> = {}): PreparedStack {
  const source = `swarmlab's ${name} stack`;
  const loaded = parseStack(text, source, { name });
  const read = readObjectContents(loaded.stack, source, { values });
  const planned = planObjects(name, loaded.stack, read.contents, source);
  const problems = [...read.problems, ...planned.problems];
  if (problems.length) throw new ConfigError(problems);
  return { name, file: source, stack: planned.stack, uploads: planned.uploads, images: {}, warnings: loaded.warnings };
}

export interface ClusterAddonsArgs {
  cfg: ClusterConfig;
  swarm: SwarmCluster;
  hosts: Host[];
  /** The config file named in errors. */
  source: string;
  /** The registry's own certificate files (registry.tls.certFile...), read before anything was registered. */
  registryTls?: RegistryTlsMaterial;
  /** The local ID of each side-loaded image, read by the preflight (else read here). */
  sideLoadIds?: Record<string, string>;
  /** The images the application stacks run: side-loaded into every node even when an add-on runs them too. */
  stackImages?: string[];
}

/**
 * What the classic lab sets up by hand once the swarm is up: images copied into the nodes, overlay
 * networks, a registry every node can pull from, Traefik as the ingress and the visualizer.
 */
export class ClusterAddons extends pulumi.ComponentResource {
  /** Everything the add-ons made, once in place. */
  readonly ready: pulumi.Resource[] = [];
  /**
   * What any stack must wait for: side-loaded images, overlay networks (Traefik's included), the
   * nodes' trust of the registry. Not Traefik's own deploy: stacks deploy beside it.
   */
  readonly forStacks: pulumi.Resource[] = [];
  /** The registry deployed (and logged in to): what a stack whose images are in it waits for too. */
  readonly registryReady: pulumi.Resource[] = [];
  readonly registryAddress?: pulumi.Output<string>;
  /** The CA engines trust for the registry (registry.tls), to trust it elsewhere too. */
  readonly registryCa?: pulumi.Output<string>;
  readonly urls: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ClusterAddonsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:addons:ClusterAddons", name, {}, formerType("swarmlab:services:ClusterServices", opts));
    const { cfg, swarm } = args;
    // Pinned services (the registry's volume, host-published ports) live on the first manager; the
    // commands that deploy them run on whichever manager answers (swarm.managerTargets).
    const manager = swarm.managers[0];
    const managers = swarm.managerTargets;
    const after = { parent: this, dependsOn: swarm.ready, deletedWith: swarm.teardownWith };
    const labels = { "swarmlab.cluster": cfg.name };
    // (the overlay MTU only when not Docker's default: the stack files stay as they were then)
    const defaults = pulumi.all([swarm.modes, swarm.overlayMtu]).apply(([m, mtu]) => ({ endpointMode: m.endpointMode, publishMode: m.publishMode, ...(mtu === undefined ? {} : { overlayMtu: mtu }) }));
    // Traefik and the visualizer answer where the URLs point: with host-mode ports, on the first manager.
    const deploy = (id: string, stack: PreparedStack, dependsOn: pulumi.Resource[], pinHostPorts = false) =>
      // dependsOn goes to the deploy command itself: a component's dependsOn does not hold back its children
      new StackDeployment(
        `${name}-${id}`,
        { stack, managers, clusterId: swarm.clusterId, defaults, render: { clusterLabels: labels, ...(pinHostPorts ? { hostPortsOn: manager.name } : {}) }, dependsOn },
        { parent: this, dependsOn, deletedWith: swarm.teardownWith },
      );

    // The add-ons' images (every add-on runs on the managers) go to the managers only, unless a
    // stack runs them too; each add-on waits for the copies of its own image, the stacks for the others.
    const addOnImages = [
      ...(cfg.registry.enabled ? [cfg.registry.image] : []),
      ...(cfg.traefik.enabled ? [cfg.traefik.image] : []),
      ...(cfg.visualizer.enabled ? [cfg.visualizer.image] : []),
    ];
    const managersOnly = managerOnlyImages(cfg.images.sideLoad, addOnImages, args.stackImages ?? []);
    const images = cfg.images.sideLoad.length
      ? new ImageDelivery(`${name}-images`, { images: cfg.images.sideLoad, managersOnly, ids: args.sideLoadIds, hosts: args.hosts, source: args.source, after: swarm.ready, sshRetrySeconds: cfg.swarm.sshRetrySeconds, readySeconds: cfg.swarm.readyTimeoutSeconds },
        // not `after`: the engine holds a component's children back until its dependsOn is done,
        // and the copies into node containers need the containers only (the SSH ones get `after` each)
        { parent: this, deletedWith: swarm.teardownWith })
      : undefined;
    if (images) {
      this.ready.push(...images.loaded);
      this.forStacks.push(...cfg.images.sideLoad.filter((i) => !managersOnly.includes(i)).flatMap((i) => images.loadsOf(i)));
    }
    const imageLoaded = (image: string) => [...swarm.ready, ...(images?.loadsOf(image) ?? [])];

    const networks = [
      ...(cfg.traefik.enabled ? [{ name: cfg.traefik.network, attachable: true, encrypted: false, labels: {} }] : []),
      ...cfg.networks,
    ].map((n) => new OverlayNetwork(`${name}-net-${n.name}`, { network: n, managers, clusterLabels: labels, defaultMtu: swarm.overlayMtu }, after));
    this.ready.push(...networks);
    this.forStacks.push(...networks);

    const managerAddress = pulumi.output(manager.address);
    const urls: Record<string, pulumi.Output<string>> = {};

    if (cfg.registry.enabled) {
      const address = pulumi.output(manager.advertiseAddress).apply((a) => registryAddress(a, cfg.registry.port));
      const tls = cfg.registry.tls ? this.registryTls(name, args, after) : undefined;
      const trust = tls ? tls.trust : args.hosts.map(
        (h) =>
          new Command(`${name}-trust-registry-${h.name}`, {
            label: `${h.name}: trust the registry`,
            create: address.apply(trustRegistryScript),
            connection: h.ssh,
            triggers: [h.instance],
          }, after),
      );
      this.registryCa = tls?.ca;
      const auth = cfg.registry.auth;
      const values: Record<string, string> = auth ? { REGISTRY_HTPASSWD: bcryptHtpasswd(auth.username, auth.password) } : {};
      const stack = systemStack(REGISTRY_STACK, registryCompose(cfg.registry, manager.name, !!auth), values);
      const registry = deploy("registry", stack, [...imageLoaded(cfg.registry.image), ...trust]);
      this.ready.push(registry, ...trust);
      this.forStacks.push(...trust);
      this.registryReady.push(registry);
      if (auth) {
        // Stacks deploy with --with-registry-auth from whichever manager answers: the deploying
        // manager's own login is what reaches the nodes, so every manager logs in.
        const loginScript = address.apply((a) => `printf '%s' "$SWARMLAB_REGISTRY_PASSWORD" | docker login -u "$SWARMLAB_REGISTRY_USER" --password-stdin ${a} >/dev/null\necho ok`);
        for (const [i, m] of swarm.managers.entries()) {
          const login = new Command(`${name}-registry-login-${m.name}`, {
            label: `${m.name}: docker login to the registry`,
            create: loginScript,
            delete: address.apply((a) => `docker logout ${a} >/dev/null 2>&1 || true`),
            environment: pulumi.secret({ SWARMLAB_REGISTRY_USER: auth.username, SWARMLAB_REGISTRY_PASSWORD: auth.password }),
            connection: m.ssh,
            redact: pulumi.secret([auth.password]),
            triggers: [m.instance],
            ignoreUnreachableOnDelete: true,
          // the first manager's login had this name before every manager logged in
          }, { parent: this, dependsOn: [registry], deletedWith: swarm.teardownWith, aliases: i === 0 ? [{ name: `${name}-registry-login` }] : [] });
          this.ready.push(login);
          this.registryReady.push(login);
        }
      }
      this.registryAddress = address;
      urls.registry = managerAddress.apply((a) => `${tls ? "https" : "http"}://${a}:${cfg.registry.port}/v2/`);
    }

    if (cfg.traefik.enabled) {
      const dashAuth = cfg.traefik.dashboardAuth;
      const users: Record<string, string> = dashAuth ? { TRAEFIK_DASHBOARD_USERS: bcryptHtpasswd(dashAuth.username, dashAuth.password) } : {};
      const traefik = deploy("traefik", systemStack(TRAEFIK_STACK, traefikCompose(cfg.traefik, manager.name), users), [...imageLoaded(cfg.traefik.image), ...networks], true);
      this.ready.push(traefik);
      urls.traefik = managerAddress.apply((a) => `http://${a}:${cfg.traefik.httpPort}/`);
      if (cfg.traefik.dashboard) urls.dashboard = managerAddress.apply((a) => `http://${a}:${cfg.traefik.dashboardPort}/dashboard/`);
    }

    if (cfg.visualizer.enabled) {
      this.ready.push(deploy("visualizer", systemStack("swarmlab-visualizer", visualizerCompose(cfg.visualizer)), imageLoaded(cfg.visualizer.image), true));
      urls.visualizer = managerAddress.apply((a) => `http://${a}:${cfg.visualizer.port}/`);
    }

    this.urls = pulumi.output(urls);
    this.registerOutputs({ urls: this.urls, registryAddress: this.registryAddress, registryCa: this.registryCa });
  }

  /**
   * HTTPS for the registry: the user's certificate, or a CA and certificate made here for the
   * addresses nodes and this machine use; the pair installed on the registry's manager; the CA
   * trusted by every engine (nothing to trust for a publicly trusted certificate without caFile).
   */
  private registryTls(name: string, args: ClusterAddonsArgs, opts: pulumi.CustomResourceOptions): { ca?: pulumi.Output<string>; trust: Command[] } {
    const manager = args.swarm.managers[0];
    const port = args.cfg.registry.port;
    let material: pulumi.Output<RegistryTlsMaterial>;
    if (args.registryTls) {
      material = pulumi.secret(args.registryTls);
    } else {
      const names = pulumi.all([manager.advertiseAddress, manager.address]).apply(([advertise, reachable]) => [advertise, reachable]);
      const gen = new Command(`${name}-registry-certificate`, {
        label: "registry CA and certificate (openssl)",
        create: names.apply((n) => certificateScript(args.cfg.name, n)),
      }, { ...opts, additionalSecretOutputs: ["stdout"] });
      material = pulumi.secret(gen.stdout.apply(parseCertificates));
    }
    const secretEnv = material.apply((m) => ({ SWARMLAB_REGISTRY_CERT: m.cert.trim(), SWARMLAB_REGISTRY_KEY: m.key.trim() }));
    const install = new Command(`${name}-registry-certificate-install`, {
      label: `${manager.name}: install the registry certificate`,
      create: installCertificateScript(),
      delete: removeCertificateScript(),
      check: installedCertificateCheck(),
      environment: pulumi.secret(secretEnv),
      connection: manager.ssh,
      triggers: [manager.instance],
      ignoreUnreachableOnDelete: true,
    }, opts);
    const ca = material.apply((m) => m.ca);
    if (!args.registryTls || args.registryTls.ca) {
      const address = pulumi.output(manager.advertiseAddress).apply((a) => registryAddress(a, port));
      const trust = args.hosts.map(
        (h) =>
          new Command(`${name}-trust-registry-ca-${h.name}`, {
            label: `${h.name}: trust the registry CA`,
            create: address.apply(trustCaScript),
            delete: address.apply(untrustCaScript),
            check: address.apply(trustedCaCheck),
            environment: ca.apply((c) => ({ SWARMLAB_REGISTRY_CA: (c ?? "").trim() })),
            connection: h.ssh,
            triggers: [h.instance],
            ignoreUnreachableOnDelete: true,
          }, opts),
      );
      return { ca: pulumi.unsecret(ca.apply((c) => c ?? "")), trust: [install, ...trust] };
    }
    return { trust: [install] };
  }
}
