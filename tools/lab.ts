/**
 * The lab that the end-to-end tests and the benchmark drive: one Pulumi stack ("e2e") of this very
 * project, through the Automation API against a file backend under test/e2e/.work, checked with
 * the docker CLI. (Development tooling: nothing in components/ or cli/ imports it.)
 * Every e2e file reuses the same lab; `pulumi up` is idempotent, so each file first applies the
 * configuration it needs and pays only for what changes.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, type ConfigMap, type Stack } from "@pulumi/pulumi/automation";

export const ROOT = path.resolve(__dirname, "..");
/** One lab per name: parallel developers (or CI jobs) can each run theirs with SWARMLAB_E2E_NAME. */
export const CLUSTER = process.env.SWARMLAB_E2E_NAME ?? "e2e";
export const STACK = CLUSTER;
export const WORK = path.join(ROOT, "test/e2e/.work", CLUSTER);
const SUBNET = process.env.SWARMLAB_E2E_SUBNET ?? "172.29.0.0/24";
export const PASSPHRASE = "swarmlab-e2e";

/** The images the offline image script builds (tools/offline/images.sh writes them to images.env). */
export function labImages(): Record<string, string> {
  const file = path.join(process.env.SWARMLAB_CACHE ?? path.join(os.homedir(), ".cache/swarmlab"), "images.env");
  const out: Record<string, string> = {
    SWARMLAB_NODE_IMAGE: "swarmlab/node:latest",
  };
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
      if (m) out[m[1]] = m[2].trim();
    }
  }
  return out;
}

function pulumiVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/pulumi/package.json"), "utf8")).version as string;
}

export function pulumiRoot(): string {
  return path.join(process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "versions", pulumiVersion());
}

/** What the e2e tests need; each missing item is named so the reader knows what to install. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (spawnSync("docker", ["info"], { stdio: "ignore" }).status !== 0) missing.push("a running Docker engine (bash tools/offline/dockerd.sh)");
  if (!fs.existsSync(path.join(pulumiRoot(), "bin/pulumi"))) missing.push(`the Pulumi CLI under ${pulumiRoot()} (bash tools/offline/toolchain.sh)`);
  if (spawnSync("docker", ["image", "inspect", labImages().SWARMLAB_NODE_IMAGE], { stdio: "ignore" }).status !== 0) {
    missing.push(`the lab node image ${labImages().SWARMLAB_NODE_IMAGE} (bash tools/offline/images.sh)`);
  }
  return missing;
}

/** The lab the tests start from: the classic three nodes, on a subnet of its own. */
export function baseConfig(): Record<string, unknown> {
  return {
    name: CLUSTER,
    hosts: {
      kind: "docker-lab",
      image: labImages().SWARMLAB_NODE_IMAGE,
      subnet: SUBNET,
    },
    nodes: [
      { name: "manager1", role: "manager" },
      { name: "worker1", role: "worker", labels: { zone: "a" } },
      { name: "worker2", role: "worker", labels: { zone: "b" } },
    ],
  };
}

/** An overlay network of the user's own, with every setting swarmlab knows. */
export const BACKEND_NETWORK = { name: "backend", attachable: true, encrypted: true, subnet: "10.231.0.0/24", labels: { tier: "backend" } };

/** The lab with what the classic lab sets up by hand: registry, Traefik, the whoami demo (images side-loaded). */
export function servicesConfig(): Record<string, unknown> {
  const img = labImages();
  return {
    ...baseConfig(),
    images: { sideLoad: [img.SWARMLAB_REGISTRY_IMAGE, img.SWARMLAB_TRAEFIK_IMAGE, img.SWARMLAB_WHOAMI_IMAGE] },
    registry: { enabled: true, image: img.SWARMLAB_REGISTRY_IMAGE, port: 5000 },
    traefik: { enabled: true, image: img.SWARMLAB_TRAEFIK_IMAGE },
    networks: [BACKEND_NETWORK],
    stacks: [
      { name: "whoami", file: "stacks/whoami.yaml", images: { whoami: img.SWARMLAB_WHOAMI_IMAGE } },
      { name: "sticky", file: "test/fixtures/stacks/sticky.yaml", images: { whoami: img.SWARMLAB_WHOAMI_IMAGE } },
    ],
  };
}

/** Config values as Pulumi stores them; keys listed in `secret` are encrypted (pulumi config set --secret). */
export function toConfigMap(cfg: Record<string, unknown>, secret: string[] = []): ConfigMap {
  const map: ConfigMap = {};
  for (const [k, v] of Object.entries(cfg)) map[`swarmlab:${k}`] = { value: typeof v === "string" ? v : JSON.stringify(v), secret: secret.includes(k) };
  return map;
}

/** A stack of this project with its own file backend under test/e2e/.work/<name> (the shared lab's, or a host kind's own). */
export async function ownStack(name: string): Promise<{ stack: Stack; work: string; env: Record<string, string> }> {
  const work = path.join(ROOT, "test/e2e/.work", name);
  fs.mkdirSync(path.join(work, "state"), { recursive: true });
  // PULUMI_PARALLEL_DIFF and the preload as cli/lib.sh sets them for npm run up: the tests run the engine as users do.
  const env = {
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_PARALLEL_DIFF: "true",
    NODE_OPTIONS: [`--require "${path.join(ROOT, "cli/lazySdkModules.cjs")}"`, process.env.NODE_OPTIONS].filter(Boolean).join(" "),
  };
  const pulumiCommand = await PulumiCommand.get({ root: pulumiRoot(), skipVersionCheck: true });
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: ROOT }, { pulumiCommand, envVars: env });
  return { stack, work, env };
}

/** Takes down a stack of its own after its tests: destroy (a failure here is only cleanup), the stack, its config file, its state. */
export async function dropOwnStack(stack: Stack | undefined, name: string, work: string): Promise<void> {
  if (stack) {
    await stack.destroy({ color: "never" }).catch(() => undefined);
    await stack.workspace.removeStack(name).catch(() => undefined);
  }
  fs.rmSync(path.join(ROOT, `Pulumi.${name}.yaml`), { force: true });
  if (work) fs.rmSync(work, { recursive: true, force: true });
}

/** What a `pulumi up` changed, leaving out what stayed the same: [] for a run that changed nothing. */
export function changedKinds(summary: { resourceChanges?: Record<string, number> }): string[] {
  return Object.keys(summary.resourceChanges ?? {}).filter((k) => k !== "same" && k !== "read");
}

let stackPromise: Promise<Stack> | undefined;

/** The e2e stack, created once per test process. */
export function labStack(): Promise<Stack> {
  stackPromise ??= ownStack(STACK).then((s) => s.stack);
  return stackPromise;
}

/** Times the named steps of a test file, for a line of figures at its end (never for assertions). */
export function stepTimer(): { timings: Record<string, number>; timed: <T>(what: string, f: () => Promise<T>) => Promise<T> } {
  const timings: Record<string, number> = {};
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await f();
    } finally {
      timings[what] = Math.round((Date.now() - t) / 1000);
    }
  };
  return { timings, timed };
}

/** Replaces the whole `swarmlab:` config of the e2e stack. */
export async function setConfig(cfg: Record<string, unknown>, secret: string[] = []): Promise<Stack> {
  const stack = await labStack();
  const current = await stack.getAllConfig();
  const stale = Object.keys(current).filter((k) => k.startsWith("swarmlab:") && !(k.slice("swarmlab:".length) in cfg));
  if (stale.length) await stack.removeAllConfig(stale);
  await stack.setAllConfig(toConfigMap(cfg, secret));
  return stack;
}

export interface UpResult {
  stdout: string;
  /** The engine's event stream of the run (debug diagnostics included), one JSON document per event. */
  events: string;
  changes: Record<string, number>;
  outputs: Record<string, unknown>;
}

/** `pulumi up` with the given config; the text it printed is kept for secret scans. */
export async function up(cfg: Record<string, unknown>, secret: string[] = []): Promise<UpResult> {
  const stack = await setConfig(cfg, secret);
  let text = "";
  const events: string[] = [];
  // continueOnError as `npm run up` passes it: one unreachable node does not stop the others
  const res = await stack.up({ onOutput: (o) => (text += o), onEvent: (e) => events.push(JSON.stringify(e)), color: "never", continueOnError: true });
  const outputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(res.outputs)) outputs[k] = v.value;
  return { stdout: text, events: events.join("\n"), changes: (res.summary.resourceChanges ?? {}) as Record<string, number>, outputs };
}

/** The environment the npm CLI helpers (ssh, status, push) need to read the lab's stack. */
export function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, SWARMLAB_STACK: STACK, PULUMI_BACKEND_URL: `file://${WORK}/state`, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE };
}

/** Runs docker inside a node container (the node's own engine). */
export function nodeDocker(node: string, args: string[]): string {
  return execFileSync("docker", ["exec", `${CLUSTER}-${node}`, "docker", ...args], { encoding: "utf8" });
}

/** Runs the docker CLI of the machine itself. */
export function docker(args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8" });
}

export interface SwarmNode {
  Hostname: string;
  Status: string;
  Availability: string;
  ManagerStatus: string;
  ID: string;
}

export function nodeList(manager = "manager1"): SwarmNode[] {
  return nodeDocker(manager, ["node", "ls", "--format", "{{json .}}"])
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SwarmNode);
}

export function nodeLabels(node: string, manager = "manager1"): Record<string, string> {
  return JSON.parse(nodeDocker(manager, ["node", "inspect", "-f", "{{json .Spec.Labels}}", node])) as Record<string, string>;
}

/** Names of every container, volume and network carrying the cluster's label on this machine. */
export function labelledObjects(cluster = CLUSTER): string[] {
  const f = `label=swarmlab.cluster=${cluster}`;
  return [
    ...docker(["ps", "-a", "--filter", f, "--format", "container {{.Names}}"]).split("\n"),
    ...docker(["volume", "ls", "--filter", f, "--format", "volume {{.Name}}"]).split("\n"),
    ...docker(["network", "ls", "--filter", f, "--format", "network {{.Name}}"]).split("\n"),
  ].filter(Boolean);
}

/** Polls until check() returns true (swarm convergence is asynchronous), or fails with the last state. */
export async function eventually(what: string, check: () => boolean | string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: boolean | string = false;
  while (Date.now() < deadline) {
    try {
      last = check();
      if (last === true) return;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${what}: not reached after ${timeoutMs / 1000} s (last: ${String(last)})`);
}

/** Pulumi's own logs of the operations since `since` (ms), as text (~/.pulumi/logs), for secret scans. */
export function pulumiLogsText(since: number): string {
  const dir = path.join(process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "logs");
  if (!fs.existsSync(dir)) return "";
  return fs
    .readdirSync(dir)
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).mtimeMs >= since)
    .map((f) => fs.readFileSync(f, "latin1"))
    .join("\n");
}

/** The state files of a stack's file backend (default: the shared lab's), as text, for secret scans. */
export function stateText(work = WORK): string {
  const dir = path.join(work, "state/.pulumi/stacks");
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".json")) files.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
}
