import { stringify } from "yaml";
import { ConfigError, validate } from "../config/errors";
import {
  type Deploy,
  type Expose,
  type FileReference,
  IGNORED_SERVICE_KEYS,
  type ListOrDict,
  type PortRule,
  type PublishMode,
  type Service,
  type ServiceVolume,
  type Stack,
  isHostPath,
  isRecord,
  parseVolumeSpec,
  portRules,
  serviceNetworkNames,
  stackNameSchema,
} from "./schema";
import { escapeDollars } from "./interpolate";
import { overlayMtuOption } from "../swarm/mtu";

/** Compose file format emitted: the newest that docker/cli 20.10 (Debian's engine) still accepts. */
export const COMPOSE_VERSION = "3.9";

export interface RenderOptions {
  /** Stack name: prefixes Traefik router and service names (`<stack>_<service>`). */
  name: string;
  /** File or key named in errors (default: the stack name). */
  source?: string;
  /** External overlay network Traefik watches, e.g. "traefik-public"; needed by `x-swarmlab.expose`. */
  traefikNetwork?: string;
  /** Traefik entrypoint for exposed services that do not name one; default: Traefik's default entrypoints. */
  traefikEntrypoint?: string;
  /** The cluster's ACME certificate resolver: what `expose.tls` routers get their certificates from. */
  traefikCertResolver?: string;
  /** Image overrides: service name or original image reference -> image reference to deploy. */
  images?: Record<string, string>;
  /** Cluster-wide defaults for services that do not set them (no IPVS: dnsrr + host publishing). */
  defaults?: { endpointMode?: "vip" | "dnsrr"; publishMode?: PublishMode; overlayMtu?: number };
  /** Labels put on every service and on every object the stack creates (`swarmlab.cluster=<name>`). */
  clusterLabels?: Record<string, string>;
  /**
   * The node where the cluster's URLs point (the first manager): a service whose ports end up
   * published in host mode is pinned there, else it could answer on another node than its URL's.
   */
  hostPortsOn?: string;
}

type Json = Record<string, unknown>;

/** Validate a stack name (what `docker stack deploy` accepts and swarmlab's labels rely on). */
export function validateStackName(name: string, source: string): string {
  return validate(stackNameSchema, name, { source, path: ["name"] });
}

// ---------------------------------------------------------------------------------------------
// Normalisation helpers
// ---------------------------------------------------------------------------------------------

/** list_or_dict -> mapping; list entries without "=" map to null (the value comes from the environment). */
function toMap(value: ListOrDict | undefined): Record<string, string | null> {
  if (!value) return {};
  if (Array.isArray(value)) {
    return Object.fromEntries(value.map((entry) => {
      const at = entry.indexOf("=");
      return at < 0 ? [entry, null] : [entry.slice(0, at), entry.slice(at + 1)];
    }));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? null : String(v)]));
}

/** extra_hosts as "host:ip" entries (a mapping becomes entries in key order). */
function toHostList(value: ListOrDict): string[] {
  return Array.isArray(value) ? value : Object.entries(toMap(value)).map(([host, ip]) => `${host}:${ip ?? ""}`);
}

function longVolume(volume: ServiceVolume): Json {
  if (typeof volume !== "string") return { ...volume };
  const { source, target, modes } = parseVolumeSpec(volume) ?? { target: volume, modes: [] };
  const out: Json = { type: source && isHostPath(source) ? "bind" : "volume", target };
  if (source) out.source = source;
  if (modes.includes("ro")) out.read_only = true;
  if (modes.includes("nocopy")) out.volume = { nocopy: true };
  const propagation = modes.find((m) => /^r?(shared|slave|private)$/.test(m));
  if (propagation) out.bind = { propagation };
  return out;
}

function longReference(ref: FileReference): Json {
  return typeof ref === "string" ? { source: ref } : { ...ref };
}

/** Object definitions at the top level: labels as a mapping (plus the cluster's unless external), external as true + name. */
function normaliseObjects(objects: Record<string, Json | null> | undefined, clusterLabels: Record<string, string>): Json | undefined {
  if (!objects) return undefined;
  const out: Json = {};
  for (const [key, definition] of Object.entries(objects)) {
    const def: Json = { ...(definition ?? {}) };
    if (isRecord(def.external)) {
      def.name = def.external.name;
      def.external = true;
    }
    const labels = def.external ? toMap(def.labels as ListOrDict | undefined) : { ...toMap(def.labels as ListOrDict | undefined), ...clusterLabels };
    if (Object.keys(labels).length > 0) def.labels = labels;
    else delete def.labels;
    out[key] = def;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Traefik
// ---------------------------------------------------------------------------------------------

/** Where exposed services are routed: the Traefik network, the default entrypoint, the ACME resolver. */
export interface TraefikRouting {
  network: string;
  entrypoint?: string;
  certResolver?: string;
}

/**
 * Traefik v3 labels (swarm provider) routing `expose.host` (and path) to the service's port. With
 * `tls`, the router serves HTTPS on websecure (certificates from the ACME resolver when the cluster
 * has one, else Traefik's default certificate) and a second router on web redirects HTTP to it.
 */
export function traefikLabels(stackName: string, serviceName: string, expose: Expose, routing: TraefikRouting): Record<string, string> {
  const id = `${stackName}_${serviceName}`.replace(/[^a-zA-Z0-9_-]/g, "-");
  const router = `traefik.http.routers.${id}`;
  const service = `traefik.http.services.${id}.loadbalancer`;
  const rule = expose.path ? `Host(\`${expose.host}\`) && PathPrefix(\`${expose.path}\`)` : `Host(\`${expose.host}\`)`;
  const labels: Record<string, string> = {
    "traefik.enable": "true",
    "traefik.swarm.network": routing.network,
    [`${router}.rule`]: rule,
    [`${service}.server.port`]: String(expose.port),
  };
  const entrypoints = expose.entrypoint ?? (expose.tls ? "websecure" : routing.entrypoint);
  if (entrypoints) labels[`${router}.entrypoints`] = entrypoints;
  if (expose.tls) {
    labels[`${router}.tls`] = "true";
    if (routing.certResolver) labels[`${router}.tls.certresolver`] = routing.certResolver;
    const redirect = `${id}-https`;
    Object.assign(labels, {
      [`traefik.http.routers.${id}-http.rule`]: rule,
      [`traefik.http.routers.${id}-http.entrypoints`]: "web",
      [`traefik.http.routers.${id}-http.middlewares`]: redirect,
      [`traefik.http.routers.${id}-http.service`]: id,
      [`traefik.http.middlewares.${redirect}.redirectscheme.scheme`]: "https",
      [`traefik.http.middlewares.${redirect}.redirectscheme.permanent`]: "true",
    });
  }
  if (expose.sticky) {
    labels[`${service}.sticky.cookie`] = "true";
    labels[`${service}.sticky.cookie.name`] = id;
    if (expose.tls) labels[`${service}.sticky.cookie.secure`] = "true";
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

/** The endpoint mode a service gets: its own, else the default unless it asks for ingress ports. */
function endpointMode(deploy: Deploy, rules: PortRule[], opts: RenderOptions): Deploy["endpoint_mode"] {
  if (deploy.endpoint_mode) return deploy.endpoint_mode;
  const wantsIngress = rules.some((r) => r.mode === "ingress");
  const fallback = opts.defaults?.endpointMode;
  return fallback === "dnsrr" && wantsIngress ? undefined : fallback;
}

function renderPorts(rules: PortRule[], mode: Deploy["endpoint_mode"], opts: RenderOptions): Json[] {
  const fallback: PublishMode = mode === "dnsrr" ? "host" : (opts.defaults?.publishMode ?? "ingress");
  return rules.map(({ target, published, protocol, mode: own }) => {
    const port: Json = { target, protocol, mode: own ?? fallback };
    if (published !== undefined) port.published = published;
    return port;
  });
}

function resolveImage(name: string, service: Service, opts: RenderOptions): string {
  const image = opts.images?.[name] ?? (service.image && opts.images?.[service.image]) ?? service.image;
  if (image) return image;
  throw new ConfigError([{
    source: opts.source ?? opts.name,
    path: `services.${name}.image`,
    message: "is required: docker stack deploy does not build images (build the image and name it, or pass an image override)",
  }]);
}

function renderNetworks(service: Service, expose: boolean, traefikNetwork: string | undefined): Json | undefined {
  const networks: Json = {};
  for (const { name } of serviceNetworkNames(service.networks)) {
    const settings = Array.isArray(service.networks) ? null : service.networks?.[name];
    networks[name] = settings ?? null;
  }
  if (!expose || !traefikNetwork) return Object.keys(networks).length ? networks : undefined;
  // Joining the Traefik network must not take the service off the stack's default network.
  if (Object.keys(networks).length === 0) networks.default = null;
  networks[traefikNetwork] = null;
  return networks;
}

/** The 3.x schema wants cpus as a string ("0.5"). */
function cpusAsString<T extends { cpus?: string | number }>(set: T | undefined): T | undefined {
  return set?.cpus === undefined ? set : { ...set, cpus: String(set.cpus) };
}

function renderService(name: string, service: Service, opts: RenderOptions): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(service)) {
    if (value !== undefined && !(key in IGNORED_SERVICE_KEYS) && !key.startsWith("x-")) out[key] = value;
  }
  const deploy: Deploy = service.deploy ?? {};
  const rules = (service.ports ?? []).flatMap(portRules);
  const mode = endpointMode(deploy, rules, opts);
  const expose = service["x-swarmlab"]?.expose;

  out.image = resolveImage(name, service, opts);
  if (service.environment) out.environment = toMap(service.environment);
  if (service.labels) out.labels = toMap(service.labels);
  if (service.sysctls) out.sysctls = toMap(service.sysctls);
  if (service.extra_hosts) out.extra_hosts = toHostList(service.extra_hosts);
  if (service.ports) out.ports = renderPorts(rules, mode, opts);
  if (service.volumes) out.volumes = service.volumes.map(longVolume);
  if (service.secrets) out.secrets = service.secrets.map(longReference);
  if (service.configs) out.configs = service.configs.map(longReference);
  const networks = renderNetworks(service, expose !== undefined, opts.traefikNetwork);
  if (networks) out.networks = networks;
  else delete out.networks;

  const deployLabels: Record<string, string | null> = { ...toMap(deploy.labels), ...(opts.clusterLabels ?? {}) };
  if (expose) {
    const routing = { network: opts.traefikNetwork ?? "", entrypoint: opts.traefikEntrypoint, certResolver: opts.traefikCertResolver };
    Object.assign(deployLabels, traefikLabels(opts.name, name, expose, routing));
  }
  const renderedDeploy: Json = { ...deploy };
  if (mode) renderedDeploy.endpoint_mode = mode;
  if (deploy.resources) {
    renderedDeploy.resources = { limits: cpusAsString(deploy.resources.limits), reservations: cpusAsString(deploy.resources.reservations) };
  }
  const pin = opts.hostPortsOn && `node.hostname == ${opts.hostPortsOn}`;
  const constraints = deploy.placement?.constraints ?? [];
  if (pin && (out.ports as Json[] | undefined)?.some((p) => p.mode === "host") && !constraints.includes(pin)) {
    renderedDeploy.placement = { ...deploy.placement, constraints: [...constraints, pin] };
  }
  if (Object.keys(deployLabels).length) renderedDeploy.labels = deployLabels;
  if (Object.keys(renderedDeploy).length) out.deploy = renderedDeploy;
  else delete out.deploy;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------

/** Top-level networks plus the Traefik network (external) when a service is exposed. */
function renderTopNetworks(stack: Stack, opts: RenderOptions, exposed: boolean): Json | undefined {
  const networks = normaliseObjects(stack.networks, opts.clusterLabels ?? {});
  if (!exposed) return networks;
  const net = opts.traefikNetwork;
  const source = opts.source ?? opts.name;
  if (!net) {
    throw new ConfigError([{ source, path: "", message: "x-swarmlab.expose needs the cluster's Traefik network (traefikNetwork) to attach services to" }]);
  }
  const declared = stack.networks?.[net];
  if (declared !== undefined && !declared?.external) {
    throw new ConfigError([{ source, path: `networks.${net}`, message: "expected external: true (it is the Traefik network, created by the cluster, not by this stack)" }]);
  }
  return { ...networks, [net]: networks?.[net] ?? { external: true } };
}

const MTU_OPT = "com.docker.network.driver.mtu";

/**
 * The cluster's overlay MTU on the overlay networks this stack creates (declared ones that are
 * not external and do not set the option themselves, and the implicit `default` when a service
 * uses it). Nothing without an MTU: the file stays as before.
 */
function withOverlayMtu(networks: Json | undefined, services: Json, mtu: number | undefined): Json | undefined {
  if (mtu === undefined) return networks;
  const out: Json = { ...networks };
  const usesDefault = Object.values(services).some((svc) => {
    const nets = isRecord(svc) ? svc.networks : undefined;
    return nets === undefined || (isRecord(nets) && "default" in nets);
  });
  if (usesDefault && !("default" in out)) out.default = {};
  for (const [name, def] of Object.entries(out)) {
    const d: Json = isRecord(def) ? def : {};
    if (d.external || (d.driver !== undefined && d.driver !== "overlay")) continue;
    const opts: Json = isRecord(d.driver_opts) ? d.driver_opts : {};
    if (MTU_OPT in opts) continue;
    out[name] = { ...d, driver_opts: { ...opts, [MTU_OPT]: overlayMtuOption(mtu) } };
  }
  return out;
}

/** Recursively sort mapping keys; lists keep their order. Same input => same bytes. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return Object.fromEntries(keys.map((k) => [k, sortKeys(value[k])]));
}

/**
 * A validated stack -> the compose YAML `docker stack deploy -c -` receives: long syntax, mappings
 * for environment and labels, ignored and `x-*` keys dropped, x-swarmlab expanded to Traefik labels,
 * cluster defaults applied, keys sorted.
 */
export function renderCompose(stack: Stack, opts: RenderOptions): string {
  validateStackName(opts.name, opts.source ?? opts.name);
  const services: Json = {};
  for (const [name, service] of Object.entries(stack.services)) services[name] = renderService(name, service, opts);
  const exposed = Object.values(stack.services).some((s) => s["x-swarmlab"]?.expose);
  const labels = opts.clusterLabels ?? {};
  const doc = {
    version: COMPOSE_VERSION,
    services,
    networks: withOverlayMtu(renderTopNetworks(stack, opts, exposed), services, opts.defaults?.overlayMtu),
    volumes: normaliseObjects(stack.volumes, labels),
    secrets: normaliseObjects(stack.secrets, labels),
    configs: normaliseObjects(stack.configs, labels),
  };
  // YAML 1.1 quoting: strings such as "yes" or "0:30" stay strings for docker's YAML 1.1 reader too.
  // `$` doubled: docker interpolates the file again on the manager, where it must stay literal text
  return stringify(escapeDollars(sortKeys(doc)), { version: "1.1", lineWidth: 0, directives: false });
}
