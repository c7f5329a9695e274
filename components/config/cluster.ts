import { z } from "zod";
import { cidrSubnet, dockerName, goDuration, imageReference, overlaps, parseCidr } from "./dockerRules";
import { checkHostsAgainstNodes, hostsSchema } from "./hosts";

/** The cluster name: swarmlab's own rule (it prefixes container, volume, network and server names, and is a label value). */
export const dnsName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "a lower-case DNS name (letters, digits, '-')");

export const roleSchema = z.enum(["manager", "worker"]).describe("manager nodes run the Raft store and schedule; workers only run tasks");
export type Role = z.infer<typeof roleSchema>;

export const availabilitySchema = z.enum(["active", "pause", "drain"]).describe("docker node update --availability");
export type Availability = z.infer<typeof availabilitySchema>;

const labelKey = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/, "a label key (letters, digits, '.', '_', '-', '/')");
export const labelsSchema = z.record(labelKey, z.string()).describe("key=value labels");

export const nodeSchema = z
  .object({
    name: dockerName("node").describe("node name: the container/VM name and the swarm hostname"),
    role: roleSchema.default("worker"),
    labels: labelsSchema.default({}),
    availability: availabilitySchema.default("active"),
  })
  .strict();
export type NodeConfig = z.infer<typeof nodeSchema>;

export const overlayNetworkSchema = z
  .object({
    name: dockerName("network"),
    attachable: z.boolean().default(true).describe("standalone containers may join it (docker run --network)"),
    encrypted: z.boolean().default(false).describe("IPsec between nodes for this network's VXLAN traffic (costs CPU)"),
    subnet: cidrSubnet("10.20.0.0/24").optional(),
    mtu: z.number().int().min(68).max(65535).optional().describe("MTU of the network's interfaces (default: swarm.mtu)"),
    labels: labelsSchema.default({}),
  })
  .strict();
export type OverlayNetworkConfig = z.infer<typeof overlayNetworkSchema>;

export const registrySchema = z
  .object({
    enabled: z.boolean().default(true),
    image: imageReference.default("registry:2").describe("registry image (CNCF distribution)"),
    port: z.number().int().min(1).max(65535).default(5000),
    tls: z
      .object({
        certFile: z.string().min(1).optional().describe("PEM certificate (with its chain) for the registry address; with keyFile"),
        keyFile: z.string().min(1).optional().describe("its PEM private key"),
        caFile: z.string().min(1).optional().describe("CA every engine is told to trust (leave out for a publicly trusted certificate)"),
      })
      .strict()
      .optional()
      .describe("HTTPS: {} has swarmlab make a CA and a certificate for the registry address; or the files of your own"),
    auth: z
      .object({
        username: z.string().min(1),
        password: z.string().min(8).describe("kept as a Pulumi secret"),
        allowPlainHttp: z.boolean().default(false).describe("accept basic auth over plain HTTP (lab only)"),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RegistryConfig = z.infer<typeof registrySchema>;

export const publishModeSchema = z
  .enum(["auto", "ingress", "host"])
  .describe("auto: the swarm routing mesh (ingress) where the kernel has IPVS, host-mode publishing where it has not");

export const traefikSchema = z
  .object({
    enabled: z.boolean().default(true),
    image: imageReference.default("traefik:v3.5"),
    network: dockerName("network").default("traefik-public").describe("overlay network shared by Traefik and exposed services"),
    httpPort: z.number().int().min(1).max(65535).default(80),
    httpsPort: z.number().int().min(1).max(65535).default(443),
    dashboardPort: z.number().int().min(1).max(65535).default(8080),
    dashboard: z.boolean().default(true),
    dashboardAuth: z
      .object({
        username: z.string().min(1),
        password: z.string().min(8).describe("kept as a Pulumi secret; stored on the swarm as a bcrypt htpasswd line"),
      })
      .strict()
      .optional()
      .describe("basic auth in front of the dashboard and API"),
    acme: z
      .object({
        email: z.string().email(),
        resolver: z.string().default("letsencrypt"),
        staging: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict();
export type TraefikConfig = z.infer<typeof traefikSchema>;

/**
 * swarmlab's own board (images/board; built by tools/offline/images.sh, or `docker build -t
 * swarmlab/board:<version> images/board`): the default visualizer. The tag is images/board/package.json's version.
 */
export const BOARD_IMAGE = "swarmlab/board:0.1.0";

export const visualizerSchema = z
  .object({
    enabled: z.boolean().default(false),
    image: imageReference.default(BOARD_IMAGE).describe("the board (default) or another visualizer listening on 8080, e.g. dockersamples/visualizer"),
    port: z.number().int().min(1).max(65535).default(8081),
  })
  .strict();

/**
 * The board's image is built by the project (images/board), not served by a registry: enabled without being
 * side-loaded, every node would try to pull it and fail. A warning, not an error: it may be on the nodes already.
 */
export function visualizerWarnings(cfg: Pick<ClusterConfig, "visualizer" | "images">, source: string): string[] {
  const { enabled, image } = cfg.visualizer;
  if (!enabled || !image.startsWith("swarmlab/board:") || cfg.images.sideLoad.includes(image)) return [];
  return [
    `${source}: swarmlab:visualizer.image: ${image} is built by swarmlab, not pulled from a registry: build it ` +
      `(bash tools/offline/images.sh --only board, or docker build -t ${image} images/board) and list it in swarmlab:images.sideLoad, ` +
      `or the nodes cannot start the board (or choose image: dockersamples/visualizer)`,
  ];
}

/** A rotation trigger: any value; a change of value rotates. */
const trigger = z.union([z.string(), z.number(), z.boolean()]).optional();

export const swarmSchema = z
  .object({
    publishMode: publishModeSchema.default("auto"),
    endpointMode: z
      .enum(["auto", "vip", "dnsrr"])
      .default("auto")
      .describe("auto: virtual IPs where the kernel has IPVS, DNS round robin where it has not"),
    dataPathPort: z.number().int().min(1024).max(65535).optional().describe("VXLAN port (default 4789)"),
    defaultAddrPool: cidrSubnet("10.0.0.0/8").optional().describe("CIDR pool for overlay networks (docker swarm init --default-addr-pool)"),
    readyTimeoutSeconds: z.number().int().min(10).default(300),
    sshRetrySeconds: z
      .number()
      .int()
      .min(0)
      .default(60)
      .describe("how long an SSH failure before a command starts (refused, timed out, banner exchange, reset) is retried, with backoff"),
    forceNewCluster: z
      .boolean()
      .default(false)
      .describe("recover a swarm that lost its Raft quorum for good: docker swarm init --force-new-cluster on a surviving manager (refused while quorum holds)"),
    autolock: z.boolean().default(false).describe("docker swarm update --autolock: managers restart locked until unlocked with the key (the unlockKey output)"),
    rotateUnlockKey: trigger.describe("any value: changing it rotates the unlock key (docker swarm unlock-key --rotate)"),
    rotateJoinTokens: trigger.describe("any value: changing it rotates both join tokens (docker swarm join-token --rotate)"),
    rotateCA: trigger.describe("any value: changing it rotates the cluster's root CA (docker swarm ca --rotate) and so the join tokens"),
    certExpiry: goDuration({ min: "1h", example: "2160h", why: "swarmkit's shortest node certificate" }).optional().describe("validity of node certificates, a Go duration (docker's default 2160h, 90 days)"),
    dispatcherHeartbeat: goDuration({ min: "1ns", example: "5s", why: "a positive period" }).optional().describe("how often nodes report to the managers (docker's default 5s)"),
    taskHistoryLimit: z.number().int().optional().describe("finished tasks kept per slot (docker's default 5; negative: never removed)"),
    snapshotInterval: z.number().int().min(0).optional().describe("Raft log entries between snapshots (docker's default 10000)"),
    maxSnapshots: z.number().int().min(0).optional().describe("older Raft snapshots kept (docker's default 0)"),
    mtu: z
      .union([z.literal("auto"), z.number().int().min(68).max(65535)])
      .default("auto")
      .describe("MTU of the overlay networks swarmlab makes (networks, Traefik's, the stacks' own); auto: the nodes' advertise interface MTU minus VXLAN's 50 bytes"),
  })
  .strict();
export type SwarmConfig = z.infer<typeof swarmSchema>;

export const stackRefSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "a stack name (lower-case letters, digits, '_', '-')"),
    file: z.string().min(1).describe("path of the stack file, relative to the project"),
    images: z.record(z.string(), imageReference).default({}).describe("image overrides: service name or image -> reference"),
    replicas: z.record(z.string(), z.number().int().min(0)).optional().describe("replica overrides: service name -> desired tasks"),
    secrets: z
      .record(z.string(), z.string())
      .optional()
      .describe("content of the stack's `environment: NAME` secrets, by NAME; set with pulumi config set --secret --path"),
    timeoutSeconds: z.number().int().min(10).optional().describe("how long a deploy may take to converge (default 300)"),
  })
  .strict();
export type StackRef = z.infer<typeof stackRefSchema>;

export const imagesSchema = z
  .object({
    sideLoad: z.array(imageReference).default([]).describe("local images copied into every node (like kind load docker-image)"),
  })
  .strict();

/** Every config key under the `swarmlab:` namespace, with its defaults: the one place defaults live. */
const clusterObject = z
  .object({
    name: dnsName.default("lab").describe("cluster name: prefix of every resource and value of the swarmlab.cluster label"),
    hosts: hostsSchema.prefault({ kind: "docker-lab" }),
    nodes: z.array(nodeSchema).min(1),
    swarm: swarmSchema.prefault({}),
    networks: z.array(overlayNetworkSchema).default([]),
    registry: registrySchema.prefault({ enabled: false }),
    traefik: traefikSchema.prefault({ enabled: false }),
    visualizer: visualizerSchema.prefault({}),
    images: imagesSchema.prefault({}),
    stacks: z.array(stackRefSchema).default([]),
  })
  .strict();
export type ClusterConfig = z.infer<typeof clusterObject>;
export type ClusterInput = z.input<typeof clusterObject>;
export const clusterSchema = clusterObject.superRefine(checkCluster);

/** The TCP ports the cluster's own services publish, with the key that sets each ("traefik.httpPort"). */
export function servicePorts(c: Pick<ClusterConfig, "traefik" | "registry" | "visualizer">): [string, number][] {
  const t = c.traefik;
  return [
    ...(t.enabled ? ([["traefik.httpPort", t.httpPort], ["traefik.httpsPort", t.httpsPort]] as [string, number][]) : []),
    ...(t.enabled && t.dashboard ? ([["traefik.dashboardPort", t.dashboardPort]] as [string, number][]) : []),
    ...(c.registry.enabled ? ([["registry.port", c.registry.port]] as [string, number][]) : []),
    ...(c.visualizer.enabled ? ([["visualizer.port", c.visualizer.port]] as [string, number][]) : []),
  ];
}

function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

/** Cross-field rules: they need the whole config, so they run after each field is valid. */
function checkCluster(c: ClusterConfig, ctx: z.RefinementCtx): void {
  const names = c.nodes.map((n) => n.name);
  for (const dup of duplicates(names)) {
    ctx.addIssue({ code: "custom", path: ["nodes", names.lastIndexOf(dup), "name"], message: `duplicate node name "${dup}": node names must be unique` });
  }
  const managers = c.nodes.filter((n) => n.role === "manager");
  if (managers.length === 0) {
    ctx.addIssue({ code: "custom", path: ["nodes"], message: 'expected at least one node with role "manager", got none' });
  }
  for (const p of checkHostsAgainstNodes(c.hosts, c.nodes)) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
  checkSubnets(c, ctx);
  const nets = c.networks.map((n) => n.name);
  for (const dup of duplicates(nets)) {
    ctx.addIssue({ code: "custom", path: ["networks", nets.lastIndexOf(dup), "name"], message: `duplicate network name "${dup}"` });
  }
  if (c.traefik.enabled && nets.includes(c.traefik.network)) {
    ctx.addIssue({
      code: "custom",
      path: ["networks", nets.indexOf(c.traefik.network), "name"],
      message: `"${c.traefik.network}" is the Traefik network, which swarmlab creates itself: remove it here or change traefik.network`,
    });
  }
  const stacks = c.stacks.map((s) => s.name);
  for (const dup of duplicates(stacks)) {
    ctx.addIssue({ code: "custom", path: ["stacks", stacks.lastIndexOf(dup), "name"], message: `duplicate stack name "${dup}"` });
  }
  const reg = c.registry;
  if (reg.enabled && reg.auth && !reg.tls && !reg.auth.allowPlainHttp) {
    ctx.addIssue({
      code: "custom",
      path: ["registry", "auth"],
      message: "basic auth over plain HTTP sends the password in clear text: serve the registry over TLS (registry.tls: {}) or set registry.auth.allowPlainHttp: true (lab only)",
    });
  }
  if (reg.tls && !reg.tls.certFile !== !reg.tls.keyFile) {
    ctx.addIssue({
      code: "custom",
      path: ["registry", "tls", reg.tls.certFile ? "keyFile" : "certFile"],
      message: "certFile and keyFile go together: give both, or neither to have swarmlab make a CA and a certificate",
    });
  }
  if (reg.tls?.caFile && !reg.tls.certFile) {
    ctx.addIssue({ code: "custom", path: ["registry", "tls", "caFile"], message: "is the CA of your own certificate: give certFile and keyFile too (without them swarmlab makes its own CA)" });
  }
  const seen = new Map<number, string>();
  for (const [key, port] of servicePorts(c)) {
    const other = seen.get(port);
    if (other) {
      const [section, field] = key.split(".");
      ctx.addIssue({ code: "custom", path: [section, field], message: `port ${port} is already published by ${other}` });
    } else seen.set(port, key);
  }
  if (c.traefik.dashboardAuth && !c.traefik.dashboard) {
    ctx.addIssue({ code: "custom", path: ["traefik", "dashboardAuth"], message: "protects the dashboard, which is off: set traefik.dashboard: true or remove dashboardAuth" });
  }
  if (c.traefik.acme && c.traefik.enabled === false) {
    ctx.addIssue({ code: "custom", path: ["traefik", "acme"], message: "ACME needs traefik.enabled: true" });
  }
}

/** Overlay networks must not overlap each other, nor the network the nodes themselves are on. */
function checkSubnets(c: ClusterConfig, ctx: z.RefinementCtx): void {
  const seen: { cidr: Exclude<ReturnType<typeof parseCidr>, string>; key: string }[] = [];
  if (c.hosts.kind !== "ssh") {
    const lab = parseCidr(c.hosts.subnet);
    if (typeof lab !== "string") seen.push({ cidr: lab, key: `hosts.subnet (${c.hosts.subnet}, the nodes' own network)` });
  }
  // the pool overlay networks get their subnets from: one of them on the nodes' own network breaks routing
  const pool = c.swarm.defaultAddrPool === undefined ? undefined : parseCidr(c.swarm.defaultAddrPool);
  if (pool && typeof pool !== "string") {
    const other = seen.find((s) => overlaps(s.cidr, pool));
    if (other) ctx.addIssue({ code: "custom", path: ["swarm", "defaultAddrPool"], message: `${c.swarm.defaultAddrPool} overlaps ${other.key}: overlay networks would get addresses of the nodes' own network; choose a pool apart from it` });
  }
  c.networks.forEach((n, i) => {
    const cidr = n.subnet === undefined ? undefined : parseCidr(n.subnet);
    if (!cidr || typeof cidr === "string") return;
    const other = seen.find((s) => overlaps(s.cidr, cidr));
    if (other) ctx.addIssue({ code: "custom", path: ["networks", i, "subnet"], message: `${n.subnet} overlaps ${other.key}: give each network a range of its own` });
    else seen.push({ cidr, key: `networks[${i}].subnet (${n.subnet})` });
  });
}
