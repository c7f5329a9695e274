import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Command } from "../command/provider";
import { shellQuote } from "../command/ssh";
import type { NodeConfig } from "../config/cluster";
import { ConfigError } from "../config/errors";
import type { DockerLabHosts } from "../config/hosts";
import { assignAddresses } from "./addresses";
import { type Host, labLabels } from "./host";
import { SshKeyPair } from "./sshKey";

export interface LabNodePlan {
  node: NodeConfig;
  container: string;
  volume: string;
  ip: string;
  /** Set when nodes are reached through ports published on 127.0.0.1 (Docker Desktop). */
  sshPort?: number;
  /** Then the first manager also publishes these on 127.0.0.1, each at its own number: the cluster's service ports. */
  ports: number[];
}

export interface LabPlan {
  network: string;
  subnet: string;
  /** The lab network's MTU (hosts.mtu); unset: the engine's default. */
  mtu?: number;
  nodes: LabNodePlan[];
}

/**
 * `servicePorts`: what the cluster's services publish (Traefik, registry, visualizer). With published
 * reachability the first manager publishes them and `hosts.publishPorts` on 127.0.0.1, where the
 * URLs point: the routing mesh (or host-mode tasks on that manager) takes them on.
 */
export function planLab(cluster: string, hosts: DockerLabHosts, nodes: NodeConfig[], published: boolean, servicePorts: number[] = []): LabPlan {
  const ips = assignAddresses(hosts.subnet, nodes.map((n) => n.name), hosts.addresses);
  const first = nodes.find((n) => n.role === "manager");
  const ports = published ? [...new Set([...servicePorts, ...hosts.publishPorts])].sort((a, b) => a - b) : [];
  return {
    network: `swarmlab-${cluster}`,
    subnet: hosts.subnet,
    ...(hosts.mtu === undefined ? {} : { mtu: hosts.mtu }),
    nodes: nodes.map((node) => {
      const ip = ips.get(node.name) as string;
      return {
        node,
        container: `${cluster}-${node.name}`,
        volume: `${cluster}-${node.name}-docker`,
        ip,
        sshPort: published ? hosts.sshPortBase + Number(ip.split(".")[3]) : undefined,
        ports: node === first ? ports : [],
      };
    }),
  };
}

/** Linux reaches container IPs directly; Docker Desktop (macOS, Windows) or a remote engine does not. */
export function usePublishedPorts(hosts: DockerLabHosts, platform: string, env: NodeJS.ProcessEnv): boolean {
  if (hosts.reachability !== "auto") return hosts.reachability === "published";
  const remoteEngine = (hosts.dockerHost ?? env.DOCKER_HOST ?? "").match(/^(tcp|ssh):/);
  return platform !== "linux" || !!remoteEngine;
}

/**
 * `privileged: auto`: users' engines accept --privileged, some hardened or nested ones refuse it
 * ("unable to apply caps"). One throw-away container tells which; the answer is stable per engine.
 * Any other failure (engine down, image missing, timeout) is no answer: it stops the run (a
 * ConfigError naming the key) rather than flip the nodes' security flags, which would replace every node.
 */
export function engineAcceptsPrivileged(image: string, env: NodeJS.ProcessEnv, source = "swarmlab config"): boolean {
  const args = ["run", "--rm", "--privileged", "--network", "none", "--entrypoint", "true", image];
  const probe = spawnSync("docker", args, { env, encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
  if (probe.status === 0) return true;
  const said = (probe.stderr ?? "").trim();
  if (/unable to apply caps|operation not permitted/i.test(said)) return false;
  const why = probe.error ? probe.error.message : said.split("\n").filter(Boolean).slice(-2).join(" ") || `exit code ${probe.status}`;
  throw new ConfigError([{
    source,
    path: "swarmlab:hosts.privileged",
    message: `is "auto", and the probe that tells whether this engine accepts --privileged failed (docker ${args.join(" ")}: ${why}): fix the engine or the image, or set it to true or false`,
  }]);
}

/** Where answers about this machine's engines are kept between runs (`$SWARMLAB_CACHE`, else the user's cache folder). */
export function engineCacheFile(env: NodeJS.ProcessEnv): string {
  const base = env.SWARMLAB_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "swarmlab");
  return path.join(base, "engines.json");
}

/**
 * engineAcceptsPrivileged, remembered per engine (its ID and version, `docker info`) in
 * `cacheFile`: the probe starts a container, about 0.3 s before anything else at every run. An
 * engine that does not say who it is is probed (and the probe reports why it cannot answer).
 */
export function engineAcceptsPrivilegedRemembered(image: string, env: NodeJS.ProcessEnv, source: string, cacheFile = engineCacheFile(env)): boolean {
  const info = spawnSync("docker", ["info", "--format", "{{.ID}} {{.ServerVersion}}"], { env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 });
  const engine = info.status === 0 ? info.stdout.trim() : "";
  if (!engine) return engineAcceptsPrivileged(image, env, source);
  let known: Record<string, { privileged?: boolean }> = {};
  try {
    const read: unknown = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
    // (a file edited by hand into something else than an object is asked again, then rewritten)
    if (read && typeof read === "object" && !Array.isArray(read)) known = read as typeof known;
  } catch {
    // none yet, or unreadable: asked again
  }
  const remembered = known[engine]?.privileged;
  if (typeof remembered === "boolean") return remembered;
  const privileged = engineAcceptsPrivileged(image, env, source);
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    fs.writeFileSync(cacheFile, `${JSON.stringify({ ...known, [engine]: { privileged } }, null, 2)}\n`);
  } catch {
    // a cache that cannot be written only costs the probe next time
  }
  return privileged;
}

/** What a node needs to run dockerd inside a container: --privileged, or the explicit set for engines that refuse it. */
export function securityFlags(privileged: boolean): string[] {
  if (privileged) return ["--privileged"];
  return [
    "--cap-add ALL",
    "--cap-drop SYS_RESOURCE",
    "--security-opt seccomp=unconfined",
    "--security-opt apparmor=unconfined",
    "--device-cgroup-rule 'a *:* rwm'",
    "-v /sys/fs/cgroup:/sys/fs/cgroup:rw",
  ];
}

function labelFlags(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `--label ${shellQuote(`${k}=${v}`)}`)
    .join(" ");
}

/** Shell text that creates a node (volume + container) and prints the container ID. Idempotent. */
export function nodeCreateScript(cluster: string, hosts: DockerLabHosts & { privileged: boolean }, plan: LabPlan, n: LabNodePlan): string {
  const labels = labLabels(cluster, { "swarmlab.node": n.node.name, "swarmlab.role": n.node.role });
  const run = [
    "docker run -d",
    `--name ${n.container}`,
    `--hostname ${n.node.name}`,
    `--network ${plan.network} --ip ${n.ip}`,
    labelFlags(labels),
    "--restart unless-stopped",
    ...securityFlags(hosts.privileged),
    "--tmpfs /run --tmpfs /tmp",
    `-v ${n.volume}:/var/lib/docker`,
    n.sshPort ? `-p 127.0.0.1:${n.sshPort}:22` : "",
    ...n.ports.map((p) => `-p 127.0.0.1:${p}:${p}`),
    '-e SWARMLAB_AUTHORIZED_KEYS="$SWARMLAB_PUBLIC_KEY"',
    hosts.image,
  ].filter(Boolean);
  return [
    // A container of this name left by an interrupted run is ours only if it carries our labels.
    `owner=$(docker inspect -f '{{index .Config.Labels "swarmlab.cluster"}}' ${n.container} 2>/dev/null || true)`,
    `if [ -n "$owner" ] && [ "$owner" != ${shellQuote(cluster)} ]; then echo "container ${n.container} exists and belongs to cluster $owner" >&2; exit 1; fi`,
    `if docker inspect ${n.container} >/dev/null 2>&1 && [ -z "$owner" ]; then echo "container ${n.container} exists and was not made by swarmlab: rename it or change swarmlab:name" >&2; exit 1; fi`,
    // Ours already (an interrupted run, or a stopped node): start it again, its swarm state intact.
    `if [ -n "$owner" ]; then docker start ${n.container} >/dev/null; docker inspect -f '{{.Id}}' ${n.container}; exit 0; fi`,
    `docker volume create ${labelFlags(labels)} ${n.volume} >/dev/null`,
    `${run.join(" ")} >/dev/null`,
    `docker inspect -f '{{.Id}}' ${n.container}`,
  ].join("\n");
}

/** Starts a stopped node (keeping its volume and swarm state) and prints its ID. */
export function nodeStartScript(n: LabNodePlan): string {
  return `docker start ${n.container} >/dev/null\ndocker inspect -f '{{.Id}}' ${n.container}`;
}

/** The real state of a node: its ID while it runs, "stopped" when not, a failure when it is gone. */
export function nodeCheckScript(n: LabNodePlan): string {
  return [
    `running=$(docker inspect -f '{{.State.Running}}' ${n.container})`, // fails (gone) when there is no such container
    `if [ "$running" = true ]; then docker inspect -f '{{.Id}}' ${n.container}; else echo stopped; fi`,
  ].join("\n");
}

export function nodeDeleteScript(n: LabNodePlan): string {
  return `docker rm -f ${n.container} >/dev/null 2>&1 || true\ndocker volume rm -f ${n.volume} >/dev/null 2>&1 || true`;
}

/** Creates the lab network unless it exists, and prints its ID (what networkCheckScript compares). */
export function networkCreateScript(cluster: string, plan: LabPlan): string {
  return [
    `docker network inspect ${plan.network} >/dev/null 2>&1 || docker network create --driver bridge --subnet ${plan.subnet}${plan.mtu === undefined ? "" : ` --opt com.docker.network.driver.mtu=${plan.mtu}`} ${labelFlags(labLabels(cluster))} ${plan.network} >/dev/null`,
    networkCheckScript(plan),
  ].join("\n");
}

/** The lab network's ID; fails when it is gone (removed behind swarmlab's back: it is created again). */
export function networkCheckScript(plan: LabPlan): string {
  return `docker network inspect -f '{{.Id}}' ${plan.network}`;
}

export interface DockerLabArgs {
  cluster: string;
  hosts: DockerLabHosts;
  nodes: NodeConfig[];
  /** The ports the cluster's services publish (see planLab). */
  servicePorts?: number[];
}

/**
 * The embedded lab: a bridge network with a fixed subnet and, per node, a container running
 * dockerd and sshd from the lab node image, all created through the docker CLI.
 */
export class DockerLab extends pulumi.ComponentResource {
  readonly hosts: Host[];
  readonly network: string;
  readonly publicKey: pulumi.Output<string>;

  constructor(name: string, args: DockerLabArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:hosts:DockerLab", name, {}, opts);
    const published = usePublishedPorts(args.hosts, process.platform, process.env);
    const environment: Record<string, string> = args.hosts.dockerHost ? { DOCKER_HOST: args.hosts.dockerHost } : {};
    const privileged = args.hosts.privileged === "auto" ? engineAcceptsPrivileged(args.hosts.image, { ...process.env, ...environment }) : args.hosts.privileged;
    const hosts = { ...args.hosts, privileged };
    const plan = planLab(args.cluster, hosts, args.nodes, published, args.servicePorts);
    this.network = plan.network;

    const key = new SshKeyPair(`${name}-key`, { comment: `swarmlab-${args.cluster}` }, { parent: this });
    this.publicKey = key.publicKey;

    const network = new Command(
      `${name}-network`,
      {
        label: `lab network ${plan.network}`,
        // a bridge network's settings cannot change in place
        create: networkCreateScript(args.cluster, plan),
        replaceOnChanges: true,
        delete: `docker network rm ${plan.network} >/dev/null 2>&1 || true`,
        check: networkCheckScript(plan),
        environment,
        // (the MTU only when set: a lab made before hosts.mtu keeps its network)
        triggers: [plan.network, plan.subnet, ...(plan.mtu === undefined ? [] : [plan.mtu])],
      },
      { parent: this },
    );

    this.hosts = plan.nodes.map((n) => {
      const container = new Command(
        `${name}-${n.node.name}`,
        {
          label: `lab node ${n.node.name}`,
          create: nodeCreateScript(args.cluster, hosts, plan, n),
          // Changing the role promotes/demotes in place: the container keeps the label it was made with.
          update: nodeStartScript(n),
          // A node removed behind swarmlab's back is recreated, a stopped one started again.
          check: nodeCheckScript(n),
          delete: nodeDeleteScript(n),
          environment: key.publicKey.apply((k) => ({ ...environment, SWARMLAB_PUBLIC_KEY: k })),
          // published ports are fixed when a container is made: other ports, another container
          triggers: [hosts.image, hosts.privileged, n.ip, n.sshPort ?? null, plan.network, ...(n.ports.length ? [n.ports.join(",")] : [])],
          timeoutSeconds: 300,
        },
        { parent: this, dependsOn: [network] },
      );
      const address = n.sshPort ? "127.0.0.1" : n.ip;
      const lab = { name: n.container, ...(args.hosts.dockerHost ? { dockerHost: args.hosts.dockerHost } : {}) };
      const host: Host = {
        name: n.node.name,
        role: n.node.role,
        labels: n.node.labels,
        availability: n.node.availability,
        address,
        advertiseAddress: n.ip,
        ssh: pulumi.secret(
          pulumi.all([key.privateKey]).apply(([privateKey]) => ({ host: address, port: n.sshPort ?? 22, user: "root", privateKey, container: lab })),
        ),
        instance: container.stdout.apply((s) => s.trim()),
        container: lab,
        dependsOn: [container],
        teardownWith: network,
      };
      return host;
    });

    this.registerOutputs({ network: this.network, publicKey: this.publicKey });
  }
}
