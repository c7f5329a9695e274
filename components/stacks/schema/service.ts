/** A service: its keys, the swarmlab extension (x-swarmlab.expose), and the compose keys a swarm ignores. */
import { z } from "zod";
import { imageReferenceProblem, ruleString } from "../../config/dockerRules";
import { deploySchema } from "./deploy";
import { fileReference, serviceNetworks, serviceVolume } from "./mounts";
import { portEntry } from "./ports";
import { HOSTNAME, count, duration, listOrDict, oneOf, portNumber, stringOrList, withExtensions } from "./primitives";

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

export const ignoredShape = Object.fromEntries(
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
