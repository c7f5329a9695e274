import { z } from "zod";
import { cidrSubnet, imageReferenceProblem, type NameKind, nameProblem, ruleString } from "./dockerRules";
import { describeValue, formatPath, formatProblem } from "./errors";

/*
 * Stack files: the subset of the compose format that `docker stack deploy` honours (compose file
 * format 3.x, as docker/cli validates it), plus the swarmlab shorthand `x-swarmlab`. Keys that
 * docker stack deploy ignores are accepted and reported as warnings (see stackWarnings).
 */

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

type Kind = "string" | "number" | "boolean" | "array" | "object" | "null";
type Branches = Partial<Record<Kind, z.ZodType>>;
type BranchOutput<B extends Branches> = { [K in keyof B]: B[K] extends z.ZodType ? z.output<B[K]> : never }[keyof B];

function kindOf(value: unknown): Kind | undefined {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const t = typeof value;
  return t === "string" || t === "number" || t === "boolean" || t === "object" ? t : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return kindOf(value) === "object";
}

/**
 * A value with several accepted YAML shapes (compose's `oneOf`). The branch is picked by shape, so
 * a mistake inside a long-syntax object is reported at its own path instead of as "no match".
 */
export function oneOf<B extends Branches>(expected: string, branches: B) {
  return z.unknown().transform((value, ctx): BranchOutput<B> => {
    const kind = kindOf(value);
    const schema = kind ? branches[kind] : undefined;
    if (!schema) {
      ctx.addIssue({ code: "custom", message: `expected ${expected}, got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data as BranchOutput<B>;
    for (const issue of result.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}

/** `x-*` keys are compose extensions (anchors, notes): dropped before validation, except ours. */
function stripExtensions(value: unknown): unknown {
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith("x-") || key === "x-swarmlab"));
}

/** A strict object that also tolerates `x-*` extension keys. */
function withExtensions<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.preprocess(stripExtensions, z.strictObject(shape));
}

/** Check a string with a function returning an error message (or nothing when the value is fine). */
function checkedString(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = check(value);
    if (message) ctx.addIssue({ code: "custom", message: `${message}, got ${describeValue(value)}`, input: value });
  });
}

const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;
export const duration = z.string().regex(GO_DURATION, 'a duration like "10s" or "1m30s"');
const byteSize = z.string().regex(/^[0-9]+(\.[0-9]+)?\s?[kKmMgGtTpP]?[iI]?[bB]?$/, 'a size like "512M" or "2G"');
const cpus = oneOf('a number of CPUs like 0.5 or "0.5"', {
  number: z.number().positive(),
  string: z.string().regex(/^[0-9]+(\.[0-9]+)?$/, 'a number of CPUs like "0.5"'),
});
const count = z.number().int().min(0);
export const portNumber = z.number().int().min(1).max(65535);
const stringOrList = oneOf("a string or a list of strings", { string: z.string(), array: z.array(z.string()) });
const scalar = oneOf("a string, a number, true/false or null", {
  string: z.string(),
  number: z.number(),
  boolean: z.boolean(),
  null: z.null(),
});
/** compose's list_or_dict: `["KEY=value", ...]` or `{ KEY: value }`. */
export const listOrDict = oneOf('a list of "KEY=value" strings or a mapping', {
  array: z.array(z.string()),
  object: z.record(z.string(), scalar),
});
export type ListOrDict = z.infer<typeof listOrDict>;
const driverOpts = z.record(z.string(), oneOf("a string or a number", { string: z.string(), number: z.number() }));
const external = oneOf("true, false or a mapping with a name", {
  boolean: z.boolean(),
  object: z.strictObject({ name: z.string().describe("name of the existing object") }),
});
const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export const STACK_NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const stackNameSchema = z.string().regex(STACK_NAME, "a stack name of lower-case letters, digits, _ and - (starting with a letter or digit)");

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

export type PortProtocol = "tcp" | "udp" | "sctp";
export type PublishMode = "ingress" | "host";
/** One published port after expansion of ranges: what the long syntax says. */
export interface PortRule {
  target: number;
  published?: number;
  protocol: PortProtocol;
  mode?: PublishMode;
  hostIp?: string;
}

const PORT_SPEC = /^(?:(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\]):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(tcp|udp|sctp))?$/;
const PORT_FORMS = 'a port like "80", "8080:80", "8080:80/udp" or "8000-8010:8000-8010"';

function portRange(text: string): [number, number] | undefined {
  const [start, end = start] = text.split("-").map(Number);
  return start >= 1 && end <= 65535 && start <= end ? [start, end] : undefined;
}

/** Short syntax -> one rule per port (ranges expanded), or an error message. */
export function parsePortSpec(spec: string | number): PortRule[] | string {
  const match = PORT_SPEC.exec(String(spec));
  if (!match) return `expected ${PORT_FORMS}`;
  const [, hostIp, publishedText, targetText, protocol = "tcp"] = match;
  const target = portRange(targetText);
  const published = publishedText ? portRange(publishedText) : undefined;
  if (!target || (publishedText && !published)) return "expected ports between 1 and 65535 (ranges low-high)";
  if (published && published[1] - published[0] !== target[1] - target[0]) {
    return "expected a published range as long as the target range";
  }
  const rules: PortRule[] = [];
  for (let i = 0; i <= target[1] - target[0]; i++) {
    const rule: PortRule = { target: target[0] + i, protocol: protocol as PortProtocol };
    if (published) rule.published = published[0] + i;
    if (hostIp) rule.hostIp = hostIp;
    rules.push(rule);
  }
  return rules;
}

const portLong = z
  .strictObject({
    target: portNumber.describe("port inside the container"),
    published: portNumber.optional().describe("port published on the swarm (ingress) or on the node (host)"),
    protocol: z.enum(["tcp", "udp", "sctp"]).optional().describe("default tcp"),
    mode: z.enum(["ingress", "host"]).optional().describe("ingress: routing mesh on every node; host: only where a task runs"),
  })
  .describe("long port syntax");
export type PortLong = z.infer<typeof portLong>;

const portShort = checkedString((s) => {
  const parsed = parsePortSpec(s);
  return typeof parsed === "string" ? parsed : undefined;
});
export const portEntry = oneOf(`${PORT_FORMS} or a mapping with target, published, protocol and mode`, {
  number: portNumber,
  string: portShort,
  object: portLong,
});
export type PortEntry = z.infer<typeof portEntry>;

/** Any port entry -> its rules (short syntax expanded). Only call on validated entries. */
export function portRules(entry: PortEntry): PortRule[] {
  if (typeof entry === "object") return [{ ...entry, protocol: entry.protocol ?? "tcp" }];
  const parsed = parsePortSpec(entry);
  return typeof parsed === "string" ? [] : parsed;
}

// ---------------------------------------------------------------------------------------------
// Service volumes, networks, secrets and configs
// ---------------------------------------------------------------------------------------------

const VOLUME_MODES = ["ro", "rw", "z", "Z", "nocopy", "shared", "rshared", "slave", "rslave", "private", "rprivate", "cached", "delegated", "consistent"];
const PROPAGATIONS = ["shared", "rshared", "slave", "rslave", "private", "rprivate"] as const;
const VOLUME_SHORT = /^(?:([^:]+):)?(\/[^:]*)(?::([a-zA-Z,]+))?$/;

export interface VolumeShort {
  source?: string;
  target: string;
  modes: string[];
}

/** `src:/dst[:ro]` or `/dst` -> parts, or undefined when it is not that shape. */
export function parseVolumeSpec(spec: string): VolumeShort | undefined {
  const match = VOLUME_SHORT.exec(spec);
  if (!match) return undefined;
  const modes = match[3] ? match[3].split(",") : [];
  if (!modes.every((m) => VOLUME_MODES.includes(m))) return undefined;
  return { source: match[1], target: match[2], modes };
}

/** A source that is a path on the node (bind mount) rather than a volume name. */
export function isHostPath(source: string): boolean {
  return /^[/.~]/.test(source);
}

const volumeLong = z
  .strictObject({
    type: z.enum(["volume", "bind", "tmpfs"]).describe("volume: a named or anonymous volume; bind: a path on the node; tmpfs: memory"),
    source: z.string().optional().describe("volume name (type volume) or node path (type bind)"),
    target: z.string().describe("path inside the container"),
    read_only: z.boolean().optional(),
    consistency: z.string().optional().describe("ignored on Linux"),
    bind: z.strictObject({ propagation: z.enum(PROPAGATIONS).optional() }).optional(),
    volume: z.strictObject({ nocopy: z.boolean().optional() }).optional(),
    tmpfs: z.strictObject({ size: count.optional().describe("bytes") }).optional(),
  })
  .describe("long volume syntax");
export type VolumeLong = z.infer<typeof volumeLong>;

const volumeShort = checkedString((s) =>
  parseVolumeSpec(s) ? undefined : 'expected "source:/target", "source:/target:ro" or "/target"',
);
export const serviceVolume = oneOf('"source:/target[:ro]" or a mapping with type, source and target', {
  string: volumeShort,
  object: volumeLong,
});
export type ServiceVolume = z.infer<typeof serviceVolume>;

const fileReferenceLong = z.strictObject({
  source: z.string().describe("name under the top-level secrets/configs"),
  target: z.string().optional().describe("file name or path inside the container"),
  uid: z.string().optional(),
  gid: z.string().optional(),
  mode: count.optional().describe("file mode; write it in octal (0440)"),
});
/** A service's secret or config: a name, or source/target/uid/gid/mode. */
export const fileReference = oneOf("a name or a mapping with source, target, uid, gid and mode", {
  string: z.string(),
  object: fileReferenceLong,
});
export type FileReference = z.infer<typeof fileReference>;

const serviceNetworkEntry = z
  .strictObject({
    aliases: z.array(z.string()).optional().describe("extra DNS names of the service on this network"),
    ipv4_address: z.string().optional(),
    ipv6_address: z.string().optional(),
  })
  .nullable();
export const serviceNetworks = oneOf("a list of network names or a mapping of network name to settings", {
  array: z.array(z.string()),
  object: z.record(z.string(), serviceNetworkEntry),
});
export type ServiceNetworks = z.infer<typeof serviceNetworks>;

// ---------------------------------------------------------------------------------------------
// deploy
// ---------------------------------------------------------------------------------------------

const CONSTRAINT_ATTRIBUTE = String.raw`(?:node\.(?:id|hostname|role|platform\.os|platform\.arch|labels\.[^\s=!]+)|engine\.labels\.[^\s=!]+)`;
const CONSTRAINT = new RegExp(String.raw`^\s*(${CONSTRAINT_ATTRIBUTE})\s*(==|!=)\s*(\S(?:.*\S)?)\s*$`);
/** Swarm spreads over labels only: any other attribute (node.id, node.hostname...) puts every node in one group, and has no effect. */
const SPREAD = /^(?:node|engine)\.labels\.[^\s=!]+$/i;

/** `node.role == manager`, `node.labels.db != true`, ...: an error message, or nothing when valid. */
export function constraintError(constraint: string): string | undefined {
  const match = CONSTRAINT.exec(constraint);
  if (!match) {
    return 'expected "<attribute> == <value>" or "<attribute> != <value>" with attribute node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>';
  }
  if (match[1] === "node.role" && !["manager", "worker"].includes(match[3])) return "expected node.role == manager or node.role == worker";
  return undefined;
}

const placement = z.strictObject({
  constraints: z.array(checkedString(constraintError)).optional().describe('e.g. "node.role == manager", "node.labels.db == true"'),
  preferences: z
    .array(
      z.strictObject({
        spread: z
          .string()
          .regex(SPREAD, 'node.labels.<name> or engine.labels.<name> (swarm spreads over labels only: node.id, node.hostname and the rest are ignored)')
          .describe("spread tasks evenly over the values of this label"),
      }),
    )
    .optional(),
  max_replicas_per_node: count.optional(),
});

function rolloutConfig<A extends readonly [string, ...string[]]>(failureActions: A) {
  return z.strictObject({
    parallelism: count.optional().describe("tasks changed at once (0: all)"),
    delay: duration.optional().describe("wait between batches"),
    failure_action: z.enum(failureActions).optional(),
    monitor: duration.optional().describe("how long to watch each task for failure"),
    max_failure_ratio: z.number().min(0).max(1).optional(),
    order: z.enum(["stop-first", "start-first"]).optional(),
  });
}
export const updateConfig = rolloutConfig(["continue", "pause", "rollback"] as const);
export const rollbackConfig = rolloutConfig(["continue", "pause"] as const);

export const restartPolicy = z.strictObject({
  condition: z.enum(["none", "on-failure", "any"]).optional(),
  delay: duration.optional(),
  max_attempts: count.optional(),
  window: duration.optional().describe("how long a restart must run to count as a success"),
});

const resourceSet = {
  cpus: cpus.optional(),
  memory: byteSize.optional(),
};
export const resources = z.strictObject({
  limits: z.strictObject({ ...resourceSet, pids: count.optional() }).optional(),
  reservations: z
    .strictObject({
      ...resourceSet,
      generic_resources: z
        .array(z.strictObject({ discrete_resource_spec: z.strictObject({ kind: z.string(), value: z.number() }) }))
        .optional(),
    })
    .optional(),
});

export const deploySchema = z.strictObject({
  mode: z.enum(["replicated", "global"]).optional().describe("global: one task on every eligible node"),
  replicas: count.optional().describe("number of tasks (replicated mode)"),
  placement: placement.optional(),
  update_config: updateConfig.optional(),
  rollback_config: rollbackConfig.optional(),
  restart_policy: restartPolicy.optional(),
  resources: resources.optional(),
  endpoint_mode: z.enum(["vip", "dnsrr"]).optional().describe("vip: one virtual IP; dnsrr: DNS round robin over the tasks"),
  labels: listOrDict.optional().describe("labels of the service (Traefik reads these)"),
});
export type Deploy = z.infer<typeof deploySchema>;

// ---------------------------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------------------------

export const exposeSchema = z.strictObject({
  host: z.string().regex(HOSTNAME, 'a host name like "whoami.lab.local"').describe("Traefik routes requests for this host name"),
  port: portNumber.describe("port the service listens on inside its containers"),
  sticky: z.boolean().optional().describe("sticky sessions with a cookie (default false)"),
  path: z.string().regex(/^\/\S*$/, 'a path starting with "/"').optional().describe("only requests under this path prefix"),
  entrypoint: z.string().min(1).optional().describe("Traefik entrypoint (default: the cluster's; websecure with tls)"),
  tls: z.boolean().optional().describe("serve over HTTPS on websecure (certificates from the cluster's ACME resolver when set), and redirect HTTP to it"),
});
export type Expose = z.infer<typeof exposeSchema>;
export const swarmlabExtension = z.strictObject({ expose: exposeSchema.optional() });

/** Keys docker stack deploy ignores: accepted, warned about, dropped from the output; some with advice. */
export const IGNORED_SERVICE_KEYS = {
  build: "",
  cgroup_parent: "",
  cgroupns_mode: "",
  container_name: "",
  cpu_quota: "use deploy.resources.limits.cpus",
  cpu_shares: "use deploy.resources.limits.cpus",
  cpus: "use deploy.resources.limits.cpus",
  cpuset: "",
  depends_on: "",
  devices: "",
  domainname: "",
  expose: "services on the same network reach each other on every port",
  external_links: "",
  ipc: "",
  links: "services on the same network reach each other by service name",
  mac_address: "",
  mem_limit: "use deploy.resources.limits.memory",
  mem_reservation: "use deploy.resources.reservations.memory",
  memswap_limit: "",
  network_mode: "",
  oom_kill_disable: "",
  pid: "",
  platform: "",
  privileged: "",
  profiles: "",
  pull_policy: "",
  restart: "use deploy.restart_policy",
  runtime: "",
  scale: "use deploy.replicas",
  security_opt: "",
  shm_size: "",
  storage_opt: "",
  tmpfs: "use a volume with type: tmpfs",
  userns_mode: "",
  volumes_from: "",
} as const;
export type IgnoredServiceKey = keyof typeof IGNORED_SERVICE_KEYS;

const ignoredShape = Object.fromEntries(
  Object.keys(IGNORED_SERVICE_KEYS).map((key) => [key, z.unknown().optional().describe("ignored by docker stack deploy")]),
) as { [K in IgnoredServiceKey]: z.ZodOptional<z.ZodUnknown> };

export const serviceSchema = withExtensions({
  // a value with `$` is one not interpolated (a failed variable, or a system stack read without environment): its own problem, if any
  image: ruleString((v) => (v.includes("$") ? undefined : imageReferenceProblem(v))).optional().describe("image reference; required unless an image override names this service"),
  command: stringOrList.optional(),
  entrypoint: stringOrList.optional(),
  environment: listOrDict.optional(),
  env_file: stringOrList.optional().describe("KEY=value files, relative to the stack file: swarmlab reads them where Pulumi runs, into environment"),
  ports: z.array(portEntry).optional(),
  networks: serviceNetworks.optional(),
  volumes: z.array(serviceVolume).optional(),
  secrets: z.array(fileReference).optional(),
  configs: z.array(fileReference).optional(),
  healthcheck: z
    .strictObject({
      test: stringOrList.optional().describe('["CMD", ...], ["CMD-SHELL", "..."] or a shell string'),
      interval: duration.optional(),
      timeout: duration.optional(),
      start_period: duration.optional(),
      retries: count.optional(),
      disable: z.boolean().optional(),
    })
    .optional(),
  labels: listOrDict.optional().describe("container labels (Traefik reads deploy.labels)"),
  user: z.string().optional(),
  working_dir: z.string().optional(),
  stop_grace_period: duration.optional(),
  stop_signal: z.string().optional(),
  hostname: z.string().optional(),
  cap_add: z.array(z.string()).optional(),
  cap_drop: z.array(z.string()).optional(),
  init: z.boolean().optional(),
  sysctls: listOrDict.optional(),
  ulimits: z
    .record(z.string(), oneOf("a number or a mapping with soft and hard", { number: z.number().int(), object: z.strictObject({ soft: z.number().int(), hard: z.number().int() }) }))
    .optional(),
  logging: z
    .strictObject({
      driver: z.string().optional(),
      options: z.record(z.string(), oneOf("a string, a number or null", { string: z.string(), number: z.number(), null: z.null() })).optional(),
    })
    .optional(),
  extra_hosts: listOrDict.optional().describe('"host:ip" entries or a mapping host -> ip'),
  dns: stringOrList.optional(),
  dns_search: stringOrList.optional(),
  tty: z.boolean().optional(),
  stdin_open: z.boolean().optional(),
  read_only: z.boolean().optional(),
  isolation: z.string().optional(),
  deploy: deploySchema.nullable().optional(),
  "x-swarmlab": swarmlabExtension.optional().describe("swarmlab shorthand (expose through Traefik)"),
  ...ignoredShape,
});
export type Service = z.infer<typeof serviceSchema>;

// ---------------------------------------------------------------------------------------------
// Top level
// ---------------------------------------------------------------------------------------------

export const networkSchema = withExtensions({
  name: z.string().optional().describe("actual network name (default <stack>_<key>)"),
  driver: z.string().optional().describe("overlay (default in a swarm)"),
  driver_opts: driverOpts.optional(),
  attachable: z.boolean().optional().describe("standalone containers may join"),
  external: external.optional().describe("exists already; not created or removed by the stack"),
  internal: z.boolean().optional(),
  ipam: z
    .strictObject({
      driver: z.string().optional(),
      config: z
        .array(
          z.strictObject({
            subnet: cidrSubnet("10.20.0.0/24").describe("e.g. 10.20.0.0/24"),
          }),
        )
        .optional(),
    })
    .optional(),
  labels: listOrDict.optional(),
}).nullable();
export type Network = z.infer<typeof networkSchema>;

export const volumeSchema = withExtensions({
  name: z.string().optional(),
  driver: z.string().optional(),
  driver_opts: driverOpts.optional(),
  external: external.optional(),
  labels: listOrDict.optional(),
}).nullable();
export type Volume = z.infer<typeof volumeSchema>;

/** Exactly one place the content comes from: a file, an environment variable, or an existing object. */
function oneSource(kinds: string) {
  return (value: { file?: string; environment?: string; external?: unknown }, ctx: z.RefinementCtx) => {
    const sources = [value.file, value.environment, value.external ? true : undefined].filter((s) => s !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({ code: "custom", message: `expected exactly one of ${kinds}, got ${sources.length}`, input: value });
    }
  };
}

export const secretSchema = withExtensions({
  name: z.string().optional(),
  file: z.string().optional().describe("read on the machine that runs docker stack deploy"),
  environment: z.string().optional().describe("environment variable holding the content"),
  external: external.optional(),
  labels: listOrDict.optional(),
  driver: z.string().optional(),
  driver_opts: driverOpts.optional(),
  template_driver: z.string().optional(),
}).superRefine(oneSource("file, environment or external: true"));
export type Secret = z.infer<typeof secretSchema>;

export const configSchema = withExtensions({
  name: z.string().optional(),
  file: z.string().optional().describe("read on the machine that runs docker stack deploy"),
  external: external.optional(),
  labels: listOrDict.optional(),
  template_driver: z.string().optional(),
}).superRefine(oneSource("file or external: true"));
export type Config = z.infer<typeof configSchema>;

const stackObject = withExtensions({
  version: z.string().optional().describe("accepted and ignored"),
  name: stackNameSchema.optional().describe("stack name (default: the file name)"),
  services: z.record(z.string(), serviceSchema),
  networks: z.record(z.string(), networkSchema).optional(),
  volumes: z.record(z.string(), volumeSchema).optional(),
  secrets: z.record(z.string(), secretSchema).optional(),
  configs: z.record(z.string(), configSchema).optional(),
});
/** The fields of a stack file; the rules across fields are in crossFieldProblems. */
export const stackSchema = stackObject;
export type Stack = z.infer<typeof stackSchema>;

// ---------------------------------------------------------------------------------------------
// Cross-field rules, run on the file as written: each rule reads only the fields it needs, each
// parsed on its own, so that a file with errors elsewhere gets every problem in one report.
// ---------------------------------------------------------------------------------------------

/** Network names a service joins, with the path of each mention. */
export function serviceNetworkNames(networks: ServiceNetworks | undefined): { name: string; at: PropertyKey }[] {
  if (!networks) return [];
  if (Array.isArray(networks)) return networks.map((name, i) => ({ name, at: i }));
  return Object.keys(networks).map((name) => ({ name, at: name }));
}

/** The named volume a service volume refers to, if any (not binds, tmpfs or anonymous volumes). */
export function namedVolume(volume: ServiceVolume): string | undefined {
  if (typeof volume === "string") {
    const source = parseVolumeSpec(volume)?.source;
    return source && !isHostPath(source) ? source : undefined;
  }
  return volume.type === "volume" ? volume.source : undefined;
}

/** `value` parsed by `schema`, or undefined when it is invalid (its own error is reported by the schema). */
function valid<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/** Each valid item of a list (invalid ones are the schema's to report), with its index. */
function validItems<S extends z.ZodType>(schema: S, list: unknown): [z.output<S>, number][] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, i) => {
    const v = valid(schema, item);
    return v === undefined ? [] : [[v, i] as [z.output<S>, number]];
  });
}

export interface CrossFieldProblem {
  path: PropertyKey[];
  message: string;
}

/** What no single field can tell: references to top-level objects, ports published twice, modes that exclude each other. */
export function crossFieldProblems(doc: unknown): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (!isRecord(doc) || !isRecord(doc.services)) return problems;
  const problem = (path: PropertyKey[], message: string) => problems.push({ path, message });
  const declared = (names: unknown) => new Set(isRecord(names) ? Object.keys(names) : []);
  const top = { network: declared(doc.networks), volume: declared(doc.volumes), secret: declared(doc.secrets), config: declared(doc.configs) };
  const published = new Map<string, string>();

  for (const [name, service] of Object.entries(doc.services)) {
    const at = (...path: PropertyKey[]) => ["services", name, ...path];
    if (!isRecord(service)) continue;
    if (service.image === undefined && service.build === undefined) {
      problem(at("image"), "is required (docker stack deploy runs an existing image; it does not build one)");
    }
    for (const { name: net, at: i } of serviceNetworkNames(valid(serviceNetworks, service.networks))) {
      if (net !== "default" && !top.network.has(net)) problem(at("networks", i), `network "${net}" is not declared under the top-level networks`);
    }
    for (const kind of ["secret", "config"] as const) {
      for (const [ref, i] of validItems(fileReference, service[`${kind}s`])) {
        const source = typeof ref === "string" ? ref : ref.source;
        if (!top[kind].has(source)) problem(at(`${kind}s`, i), `${kind} "${source}" is not declared under the top-level ${kind}s`);
      }
    }
    for (const [volume, i] of validItems(serviceVolume, service.volumes)) {
      const source = namedVolume(volume);
      if (source && !top.volume.has(source)) problem(at("volumes", i), `volume "${source}" is not declared under the top-level volumes`);
    }
    const deploy = isRecord(service.deploy) ? service.deploy : {};
    if (deploy.mode === "global" && deploy.replicas !== undefined) {
      problem(at("deploy", "replicas"), "cannot be set with mode: global (a global service runs one task on every eligible node)");
    }
    for (const [entry, i] of validItems(portEntry, service.ports)) {
      if (deploy.endpoint_mode === "dnsrr" && typeof entry === "object" && entry.mode === "ingress") {
        problem(at("ports", i, "mode"), "ingress publishing cannot be used with endpoint_mode: dnsrr (use mode: host)");
      }
      for (const rule of portRules(entry)) {
        if (rule.published === undefined) continue;
        const key = `${rule.published}/${rule.protocol}`;
        const first = published.get(key);
        if (first) problem(at("ports", i), `published port ${key} is already used by ${first}`);
        else published.set(key, formatPath(at("ports", i)));
      }
    }
  }
  problems.push(...externalProblems(doc));
  return problems;
}

/** What docker's compose loader refuses with `external:` (docker/cli loader.go LoadNetworks, LoadVolumes). */
function externalProblems(doc: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  for (const kind of ["network", "volume"] as const) {
    const defs = doc[`${kind}s`];
    if (!isRecord(defs)) continue;
    for (const [key, def] of Object.entries(defs)) {
      if (!isRecord(def) || !def.external) continue;
      const at = [`${kind}s`, key];
      if (kind === "volume") {
        for (const field of ["driver", "driver_opts", "labels"]) {
          if (def[field] !== undefined) problems.push({ path: [...at, field], message: `cannot be set on an external volume (docker: conflicting parameters "external" and "${field}"): the volume exists already, with its own` });
        }
      }
      if (isRecord(def.external) && def.external.name !== undefined && def.name !== undefined) {
        problems.push({ path: [...at, "external", "name"], message: `conflicts with ${kind}s.${key}.name (docker: "${kind}.external.name and ${kind}.name conflict; only use ${kind}.name"): keep name: and external: true` });
      }
    }
  }
  return problems;
}

/**
 * The names docker gives what a stack creates, checked against docker's rules: each service is
 * `<stack>_<service>`, each network and volume `<stack>_<key>` unless it sets `name:`.
 */
export function swarmNameProblems(doc: unknown, stack: string): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (!isRecord(doc)) return problems;
  const check = (kind: NameKind, path: PropertyKey[], name: string, full: string) => {
    const message = nameProblem(kind, name, full);
    if (message) problems.push({ path, message });
  };
  for (const name of isRecord(doc.services) ? Object.keys(doc.services) : []) check("service", ["services", name], name, `${stack}_${name}`);
  for (const kind of ["network", "volume"] as const) {
    const defs = doc[`${kind}s`];
    for (const [key, def] of isRecord(defs) ? Object.entries(defs) : []) {
      const d = isRecord(def) ? def : {};
      if (d.external || (kind === "volume" && d.driver !== undefined && d.driver !== "local")) continue; // not created, or another driver's rules
      if (typeof d.name === "string") check(kind, [`${kind}s`, key, "name"], d.name, d.name);
      else check(kind, [`${kind}s`, key], key, `${stack}_${key}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Warnings
// ---------------------------------------------------------------------------------------------

/** Everything in a valid stack that will not do what it seems to: one line each, like an error. */
export function stackWarnings(stack: Stack, source: string): string[] {
  const warnings: string[] = [];
  const warn = (path: PropertyKey[], message: string) => warnings.push(formatProblem({ source, path: formatPath(path), message }));
  for (const [name, service] of Object.entries(stack.services)) {
    for (const [key, advice] of Object.entries(IGNORED_SERVICE_KEYS)) {
      if (service[key as IgnoredServiceKey] === undefined) continue;
      if (key === "build") {
        // built by components/services/build.ts; planBuilds refuses it when the cluster has no registry
        warn(["services", name, key], "docker stack deploy ignores it: swarmlab builds the image and pushes it to the cluster registry when the cluster has one (swarmlab:registry), unless an image override names the service");
        continue;
      }
      warn(["services", name, key], `has no effect on a swarm (docker stack deploy ignores it)${advice ? `; ${advice}` : ""}`);
    }
    (service.ports ?? []).forEach((entry, i) => {
      const hostIp = portRules(entry)[0]?.hostIp;
      if (hostIp) warn(["services", name, "ports", i], `the host IP ${hostIp} has no effect on a swarm (docker stack deploy ignores it)`);
    });
  }
  return warnings;
}
