/**
 * Pulumi mocks for swarmlab's unit tests: every registered resource is recorded (type, name,
 * inputs, and the resource options the engine would see), unknown invokes throw.
 *
 * How swarmlab's resources look to the mocks:
 * - `Command` (components/command/provider.ts) is a `pulumi.dynamic.Resource` created with
 *   module "swarmlab" and type "Command", so its type token is `pulumi-nodejs:dynamic/swarmlab:Command`
 *   (dynamic resources are always `pulumi-nodejs:dynamic[/<module>]:<type>`). Its inputs carry an
 *   extra `__provider` property: the provider object serialized to JavaScript text by
 *   `runtime.serializeFunction` (a long string; the recording leaves it out of `inputs` and keeps it in
 *   `providerSource`). Inputs given as `undefined` (Command passes `stdout`/`stderr: undefined`)
 *   do not appear at all.
 * - Under vitest that serialization cannot work: vitest rewrites `import * as cp from "child_process"`
 *   into its own module objects, which Pulumi's closure serializer does not recognise as modules
 *   (it fails on a native function inside child_process). Loaded as CommonJS (checked with tsx, in
 *   a child `node --import tsx` process in test/unit/graph.test.ts) it works.
 *   So `setupMocks` replaces `serializeFunction` with a stub that returns PROVIDER_STUB as the
 *   provider text; nothing else in the SDK is changed.
 * - Component resources (`swarmlab:hosts:DockerLab`, `swarmlab:swarm:SwarmCluster`...) reach
 *   `newResource` too, with `custom: false` and empty inputs; their state is ignored by the SDK.
 * - Secret inputs arrive wrapped (`{ [specialSigKey]: specialSecretSig, value }`); the recording
 *   unwraps them into `inputs` and lists where they were in `secretInputs` ("environment",
 *   "connection.privateKey"...).
 * - `additionalSecretOutputs` is applied by the engine, not by the mock monitor: under mocks the
 *   outputs it names are NOT secret (`pulumi.isSecret` answers false). Assert on the recorded list.
 * - `dependsOn`, `parent` and `additionalSecretOutputs` are not part of `MockResourceArgs`: they are
 *   only in the RegisterResourceRequest the SDK sends to the monitor. `setupMocks` wraps the mock
 *   monitor's `registerResource` to read them from that request. `dependencies` is what the engine
 *   would get: explicit `dependsOn` plus every resource an input Output came from (implicit
 *   dependencies), as URNs; `propertyDependencies` has the implicit ones per input property.
 */
import { createRequire } from "module";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { asPulumiConfig } from "./config";

export const COMMAND_TYPE = "pulumi-nodejs:dynamic/swarmlab:Command";

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs as the provider would receive them (secrets unwrapped), without `__provider`. */
  inputs: Record<string, unknown>;
  /** Paths of the inputs that were secrets ("environment", "connection"...). */
  secretInputs: string[];
  custom: boolean;
  urn: string;
  /** Parent URN ("" for none; the root stack does not exist under mocks). */
  parent: string;
  /** URNs of every direct dependency, explicit (`dependsOn`) and implicit (inputs from other resources). */
  dependencies: string[];
  /** Implicit dependencies per input property. */
  propertyDependencies: Record<string, string[]>;
  additionalSecretOutputs: string[];
  /** The serialized dynamic provider (dynamic resources only). */
  providerSource?: string;
}

/** What `__provider` holds under these mocks (see the note at the top). */
export const PROVIDER_STUB = "/* dynamic provider: not serialized under vitest */";

/** Makes dynamic resources registrable under vitest (see the note at the top). */
function stubProviderSerialization(): void {
  // The SDK's own copy of the module, as its dynamic/index.js requires it (same require cache).
  const req = createRequire(path.join(process.cwd(), "package.json"));
  const sc = req("@pulumi/pulumi/runtime/closure/serializeClosure") as { serializeFunction: unknown };
  sc.serializeFunction = async () => ({ text: PROVIDER_STUB, exportName: "handler", containsSecrets: false });
}

export const FAKE_TOKENS = {
  worker: "SWMTKN-1-aaa-bbb",
  manager: "SWMTKN-1-aaa-ccc",
  clusterId: "fake-cluster-id",
};

/** The swarm itself (components/swarm/bootstrap.ts): a dynamic resource of its own. */
export const BOOTSTRAP_TYPE = "pulumi-nodejs:dynamic/swarmlab:SwarmBootstrap";

export const FAKE_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
export const FAKE_PUBLIC_KEY = "ssh-ed25519 AAAA test";
/** What the registry certificate command prints under the mocks (a CA, a certificate, a key). */
export const FAKE_TLS = {
  ca: "-----BEGIN CERTIFICATE-----\nZmFrZSBjYQ==\n-----END CERTIFICATE-----\n",
  cert: "-----BEGIN CERTIFICATE-----\nZmFrZSBjZXJ0\n-----END CERTIFICATE-----\n",
  key: "-----BEGIN EC PRIVATE KEY-----\nZmFrZSBrZXk=\n-----END EC PRIVATE KEY-----\n",
};

/** The node id a mocked `swarm join` prints for a node. */
export function fakeNodeId(nodeName: string): string {
  return `id-${nodeName}`;
}

/** What a swarmlab Command prints, by its label ("manager1: swarm init", "cluster SSH key"...). */
export function fakeStdout(label: string): string {
  const [who, what] = label.includes(": ") ? label.split(": ", 2) : ["", label];
  if (what === "swarm join") return `${fakeNodeId(who)}\n`;
  if (label === "cluster SSH key") return `${FAKE_PRIVATE_KEY}\n-----SWARMLAB-PUBLIC-----\n${FAKE_PUBLIC_KEY}\n`;
  if (label === "registry CA and certificate (openssl)") return [FAKE_TLS.ca, FAKE_TLS.cert, FAKE_TLS.key].join("-----SWARMLAB-SPLIT-----\n");
  if (what === "engine check") return "engine=28.0.0\nipvs=yes\n";
  if (what === "node settings") return "manager active\n";
  if (label === "node list") return `{"Hostname":"manager1","Status":"Ready","Availability":"Active","ManagerStatus":"Leader"}\n`;
  if (label.startsWith("lab node ")) return `container-${label.slice("lab node ".length)}\n`;
  if (what === "host check") return `docker=present\nmachine=machine-${who}\nhostname=${who}\n`;
  if (label.startsWith("vagrant VM ")) {
    const vm = label.slice("vagrant VM ".length);
    return `id=vm-${vm}\n-----SWARMLAB-SSH-CONFIG-----\nHost ${vm}\n  HostName 127.0.0.1\n  User vagrant\n  Port 2222\n-----SWARMLAB-KEY-----\n${FAKE_PRIVATE_KEY}\n`;
  }
  return "";
}

/** A stable numeric ID per resource name (cloud providers whose IDs are numbers). */
export function fakeNumericId(name: string): number {
  let h = 7;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000;
  return h + 1;
}

/** The public address a mocked cloud server gets: 203.0.113.0/24 (TEST-NET-3), stable per name. */
export function fakePublicIp(name: string): string {
  return `203.0.113.${fakeNumericId(name) % 250}`;
}

function isSecretValue(v: unknown): v is { value: unknown } {
  return !!v && typeof v === "object" && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** Replaces secret wrappers by their values, noting where they were. */
function unwrapSecrets(v: unknown, at: string, found: string[]): unknown {
  if (isSecretValue(v)) {
    found.push(at);
    return unwrapSecrets(v.value, at, []);
  }
  if (Array.isArray(v)) return v.map((x, i) => unwrapSecrets(x, `${at}[${i}]`, found));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x, at ? `${at}.${k}` : k, found)]));
  }
  return v;
}

interface RequestExtras {
  urn: string;
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  additionalSecretOutputs: string[];
}

/** The parts of the protobuf RegisterResourceRequest the wrapper reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (value: { getUrnsList(): string[] }, key: string) => void): void };
}

export interface Mocked {
  /** Every resource registered so far, in registration order. */
  resources: RecordedResource[];
  /** Invokes that reached the mocks (each one threw). */
  calls: string[];
}

let current: Mocked | undefined;

/**
 * Installs the mocks; call it before importing or constructing any resource (in `beforeAll`).
 * Organization "organization", project "swarmlab", stack "dev", not a preview (outputs are known).
 */
export async function setupMocks(): Promise<Mocked> {
  const mocked: Mocked = { resources: [], calls: [] };
  const extras = new Map<string, RequestExtras>();
  current = mocked;
  stubProviderSerialization();
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        // The program reads its own last deployment (a read, not a registration): never deployed, no outputs.
        if (args.type === "pulumi:pulumi:StackReference") return { id: args.name, state: { name: args.name, outputs: {} } };
        const { __provider, ...wrapped } = args.inputs as Record<string, unknown>;
        const secretInputs: string[] = [];
        const inputs = unwrapSecrets(wrapped, "", secretInputs) as Record<string, unknown>;
        const extra = extras.get(`${args.type}::${args.name}`);
        if (!extra) throw new Error(`mocks: no request recorded for ${args.type} ${args.name}`);
        mocked.resources.push({
          type: args.type,
          name: args.name,
          inputs,
          secretInputs,
          custom: args.custom ?? false,
          ...extra,
          ...(typeof __provider === "string" ? { providerSource: __provider } : {}),
        });
        const state: Record<string, unknown> = { ...wrapped };
        if (args.type === COMMAND_TYPE) {
          const out = fakeStdout(String(inputs.label));
          state.stdout = out;
          state.stderr = "";
        }
        if (args.type === BOOTSTRAP_TYPE) Object.assign(state, { clusterId: FAKE_TOKENS.clusterId, worker: FAKE_TOKENS.worker, manager: FAKE_TOKENS.manager, event: "initialised on manager1" });
        if (args.type.startsWith("hcloud:")) {
          // Hetzner Cloud IDs are numbers (networkId, firewallIds take them as such); servers get a public IPv4.
          if (args.type === "hcloud:index/server:Server") state.ipv4Address = fakePublicIp(args.name);
          return { id: String(fakeNumericId(args.name)), state };
        }
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        mocked.calls.push(args.token);
        // The SDK rethrows an invoke failure as `new Error(err.details)` (a gRPC error's field), so
        // the message goes in `details` too, or the test would see an empty message.
        const error = new Error("unexpected invoke " + args.token) as Error & { details: string };
        error.details = error.message;
        throw error;
      },
    },
    "swarmlab",
    "dev",
    false,
    "organization",
  );
  // Wrap the mock monitor to see the request itself: dependsOn, parent and secret outputs are only there.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: (err: unknown, resp: unknown) => void): unknown;
    newUrn(parent: string, type: string, name: string): string;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((value, key) => {
      propertyDependencies[key] = value.getUrnsList();
    });
    extras.set(`${req.getType()}::${req.getName()}`, {
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return original(req, cb);
  };
  return mocked;
}

function mocks(): Mocked {
  if (!current) throw new Error("call setupMocks() first");
  return current;
}

/** Every recorded resource, optionally of one type token. */
export function recorded(type?: string): RecordedResource[] {
  return mocks().resources.filter((r) => type === undefined || r.type === type);
}

/** The one recorded resource of this name (and type, when names repeat across types); throws otherwise. */
export function findResource(name: string, type?: string): RecordedResource {
  const found = recorded(type).filter((r) => r.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one recorded resource named ${name}${type ? ` of type ${type}` : ""}, found ${found.length}`);
  }
  return found[0];
}

/** The recorded swarmlab Command of this name. */
export function findCommand(name: string): RecordedResource {
  return findResource(name, COMMAND_TYPE);
}

/**
 * The dependencies that come from `dependsOn` rather than from inputs: the request carries only
 * the union, so this is every dependency that no input property accounts for (a resource both in
 * `dependsOn` and behind an input shows up as implicit only).
 */
export function dependsOnOf(r: RecordedResource): string[] {
  const implicit = new Set(Object.values(r.propertyDependencies).flat());
  return r.dependencies.filter((urn) => !implicit.has(urn));
}

/** Names of the resources a URN list points at (for readable dependency assertions). */
export function namesOf(urns: readonly string[]): string[] {
  return urns.map((urn) => urn.slice(urn.lastIndexOf("::") + 2)).sort();
}

/**
 * The value of an Output (or any Input). Under mocks outside preview every value is known, so
 * the apply callback runs; an unknown value would leave this pending, which the test timeout catches.
 */
export function resolve<T>(value: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((res) => {
    pulumi.output(value).apply((v) => {
      res(v);
      return v;
    });
  });
}

/** Waits until the given resources are registered (their URNs are known), so every recording is in. */
export async function registered(resources: readonly pulumi.Resource[]): Promise<void> {
  await Promise.all(resources.map((r) => resolve(r.urn)));
}

export { asPulumiConfig };

/**
 * The config, its hosts and swarm, built under the mocks (setupMocks first) as index.ts builds
 * them; resolves once every resource of the swarm is registered.
 */
export async function swarmUnderMocks(values: Record<string, unknown>) {
  // imported after setupMocks, as a Pulumi program would be loaded after the runtime is set up
  const { loadClusterConfig } = await import("../../components/config/load");
  const { createHosts } = await import("../../components/hosts");
  const { SwarmCluster } = await import("../../components/swarm/cluster");
  const cfg = loadClusterConfig(asPulumiConfig(values), "Pulumi.dev.yaml");
  const hosts = createHosts(cfg);
  const swarm = new SwarmCluster(cfg.name, { hosts, swarm: cfg.swarm });
  // Every resource is upstream of the node list, which leaderAddress reads: once it resolves, all are in.
  await resolve(swarm.leaderAddress);
  await registered([swarm, ...swarm.ready]);
  return { cfg, hosts, swarm };
}

/** swarmUnderMocks, then the cluster services on that swarm, registered. */
export async function servicesUnderMocks(values: Record<string, unknown>, name: string) {
  const { cfg, hosts, swarm } = await swarmUnderMocks(values);
  const { ClusterAddons } = await import("../../components/addons");
  const services = new ClusterAddons(name, { cfg, swarm, hosts, source: "Pulumi.dev.yaml" });
  await registered([services, ...services.ready]);
  return { cfg, hosts, swarm, services };
}

/**
 * Runs `fn` with this file's own handler of unhandled promise rejections in place of the others
 * (vitest's, which would fail the run), and returns their messages once they have all come in.
 */
export async function unhandledRejections(fn: () => Promise<void>): Promise<string[]> {
  const others = process.listeners("unhandledRejection");
  const seen: string[] = [];
  const collect = (reason: unknown) => seen.push(reason instanceof Error ? reason.message : String(reason));
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 50)); // rejections are reported after the microtasks run
  } finally {
    process.off("unhandledRejection", collect);
    others.forEach((l) => process.on("unhandledRejection", l));
  }
  return seen;
}
