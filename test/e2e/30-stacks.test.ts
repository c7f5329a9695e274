/**
 * Application stacks on the lab: typed stack files deployed with `docker stack deploy`, changed
 * through the configuration (replicas, image overrides, another file, secret content) and removed
 * with it. Every check runs right after `pulumi up` returns: the deploy waits for convergence.
 */
import { execFileSync } from "child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { contentHash } from "../../components/stacks/secrets";
import { baseConfig, CLUSTER, e2eEnabled, labImages, labStack, nodeDocker, setConfig, stateText, up, type UpResult } from "./lab";

const WHOAMI = labImages().SWARMLAB_WHOAMI_IMAGE ?? "swarmlab/whoami:latest";
const WHOAMI_V2 = labImages().SWARMLAB_WHOAMI_V2_IMAGE ?? "swarmlab/whoami:v2";
const WEB = "test/fixtures/stacks/web.yaml";
const WEB_BROKEN = "test/fixtures/stacks/web-broken.yaml";
const ZONED = "test/fixtures/stacks/zoned.yaml";

interface StackRef {
  name: string;
  file: string;
  images?: Record<string, string>;
  replicas?: Record<string, number>;
  secrets?: Record<string, string>;
}

/** The workers share rack r1, the manager has none: a spread over racks differs from the scheduler's own per-node balance. */
function racked(): Record<string, unknown>[] {
  return (baseConfig().nodes as { role: string; labels?: Record<string, string> }[]).map((n) => (n.role === "worker" ? { ...n, labels: { ...n.labels, rack: "r1" } } : n));
}

function withStacks(stacks: StackRef[]): Record<string, unknown> {
  return { ...baseConfig(), nodes: racked(), images: { sideLoad: [WHOAMI, WHOAMI_V2] }, stacks };
}

/** Running tasks of web_app on the manager (no rack) and on the two workers (rack r1) together. */
function perRack(): { none: number; r1: number; workers: number[] } {
  const n = perNode("web_app");
  return { none: n.manager1 ?? 0, r1: (n.worker1 ?? 0) + (n.worker2 ?? 0), workers: [n.worker1 ?? 0, n.worker2 ?? 0] };
}

const web = (extra: Partial<StackRef> = {}): StackRef => ({ name: "web", file: WEB, ...extra });
const zoned = (token: string): StackRef => ({ name: "zoned", file: ZONED, secrets: { ZONED_TOKEN: token } });

/** The config with `swarmlab:stacks` as a Pulumi secret (it holds secret content), as `pulumi config set --secret` does. */
const configure = (cfg: Record<string, unknown>) => setConfig(cfg, ["stacks"]);

/** `pulumi up` with that config. */
const upStacks = (cfg: Record<string, unknown>): Promise<UpResult> => up(cfg, ["stacks"]);

interface Task {
  id: string;
  node: string;
  state: string;
}

/** Tasks of a service that should be running: node and current state. */
function tasks(service: string): Task[] {
  return nodeDocker("manager1", ["service", "ps", service, "--filter", "desired-state=running", "--format", "{{.ID}}|{{.Node}}|{{.CurrentState}}"])
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [id, node, state] = l.split("|");
      return { id, node, state };
    });
}

/** Running tasks per node: { manager1: 2, ... }. */
function perNode(service: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks(service).filter((x) => x.state.startsWith("Running"))) out[t.node] = (out[t.node] ?? 0) + 1;
  return out;
}

function inspect(service: string, format: string): string {
  return nodeDocker("manager1", ["service", "inspect", "-f", format, service]).trim();
}

function labelled(kind: "service" | "network" | "secret" | "config", stack: string): string[] {
  return nodeDocker("manager1", [kind, "ls", "--filter", `label=com.docker.stack.namespace=${stack}`, "--format", "{{.Name}}"]).trim().split("\n").filter(Boolean).sort();
}

/** The container of a service's task on a node (the node's own engine). */
function containerOn(node: string, service: string): string {
  return nodeDocker(node, ["ps", "-q", "--no-trunc", "--filter", `label=com.docker.swarm.service.name=${service}`]).trim().split("\n")[0];
}

describe.runIf(e2eEnabled())("application stacks", () => {
  beforeAll(async () => {
    await upStacks(withStacks([])); // the lab, with the images side-loaded into every node
  }, 900_000);

  it("deploys a stack of 6 replicas spread over the rack label, and one constrained to zone a", async () => {
    const res = await upStacks(withStacks([web(), zoned("token-one")]));
    expect(res.outputs.stacks).toEqual({
      web: { app: { name: "web_app", mode: "replicated", replicas: 6 } },
      zoned: { pinned: { name: "zoned_pinned", mode: "replicated", replicas: 3 } },
    });
    // half on the rack-less manager, half over the two workers of rack r1 (without the preference: 2 per node)
    expect(inspect("web_app", "{{json .Spec.TaskTemplate.Placement.Preferences}}")).toBe('[{"Spread":{"SpreadDescriptor":"node.labels.rack"}}]');
    const racks = perRack();
    expect([racks.none, racks.r1]).toEqual([3, 3]);
    expect(racks.workers.every((n) => n >= 1)).toBe(true);
    expect(inspect("web_app", "{{.Spec.EndpointSpec.Mode}}")).toBe("dnsrr");
    expect(inspect("web_app", "{{index .Spec.Labels \"swarmlab.cluster\"}}")).toBe(CLUSTER);
    // node.labels.zone == a: only worker1
    expect(perNode("zoned_pinned")).toEqual({ worker1: 3 });
    // its env_file was read here: the manager never had the file
    expect(inspect("zoned_pinned", "{{json .Spec.TaskTemplate.ContainerSpec.Env}}")).toBe('["ZONED_MODE=e2e"]');
  }, 300_000);

  it("uploads secrets and configs under content-hashed names; the content never reaches the state in clear", () => {
    const secret = `zoned_token_${contentHash("token-one")}`;
    const config = `zoned_settings_${contentHash("greeting=hello from a config\n")}`;
    expect(labelled("secret", "zoned")).toEqual([secret]);
    expect(labelled("config", "zoned")).toEqual([config]);
    // the files as the engine mounts them into the task (the image has no shell to cat them inside):
    // docker 20.10 keeps both under mounts/secrets/<object id> of the container
    const container = containerOn("worker1", "zoned_pinned");
    const mounted = (kind: "secret" | "config", name: string) => {
      const id = nodeDocker("manager1", [kind, "inspect", "-f", "{{.ID}}", name]).trim();
      return execFileSync("docker", ["exec", `${CLUSTER}-worker1`, "cat", `/var/lib/docker/containers/${container}/mounts/secrets/${id}`], { encoding: "utf8" });
    };
    expect(mounted("secret", secret)).toBe("token-one");
    expect(mounted("config", config)).toBe("greeting=hello from a config\n");
    const state = stateText();
    expect(state.length).toBeGreaterThan(0);
    expect(state.includes("token-one") || state.includes(Buffer.from("token-one").toString("base64"))).toBe(false);
  });

  it("scales to 9 through the configuration; preview --diff shows the replica change", async () => {
    const nine = withStacks([web({ replicas: { app: 9 } }), zoned("token-one")]);
    const stack = await configure(nine);
    const preview = await stack.preview({ diff: true, color: "never" });
    // the compose YAML is the deploy's stdin: the diff shows the very line that changes
    expect(preview.stdout).toMatch(/~ replicas\s*: 6 => 9/);
    // only the web stack's deploy changes (other components of the lab are not this file's business)
    const updated = [...preview.stdout.matchAll(/\(update\)\s*\n\s*\[id=[^\]]*\]\s*\n\s*\[urn=[^\]]*::(stack-[a-z]+-deploy)\]/g)].map((m) => m[1]);
    expect(updated).toEqual(["stack-web-deploy"]);

    const res = await upStacks(nine);
    expect((res.outputs.stacks as Record<string, Record<string, { replicas: number }>>).web.app.replicas).toBe(9);
    // 9 over two racks: 4 and 5, never the 3 per node of a plain balance
    const racks = perRack();
    expect([Math.min(racks.none, racks.r1), Math.max(racks.none, racks.r1)]).toEqual([4, 5]);
  }, 300_000);

  it("rolls out a new image tag two tasks at a time, with a pause between batches", async () => {
    const res = await upStacks(withStacks([web({ replicas: { app: 9 }, images: { app: WHOAMI_V2 } }), zoned("token-one")]));
    expect(res.stdout).toMatch(/stack-web-deploy updated .*\[diff: ~stdin\]/);
    expect(res.stdout).not.toMatch(/stack-zoned-deploy updat/);
    expect(inspect("web_app", "{{.UpdateStatus.State}}")).toBe("completed");
    const current = tasks("web_app");
    expect(current).toHaveLength(9);
    const info = nodeDocker("manager1", ["inspect", "--type", "task", "-f", "{{.CreatedAt}}|{{.Spec.ContainerSpec.Image}}|{{.Status.State}}", ...current.map((t) => t.id)])
      .trim()
      .split("\n")
      .map((l) => l.split("|"));
    expect(info.every(([, image, state]) => image.startsWith(WHOAMI_V2) && state === "running")).toBe(true);
    // parallelism 2: two update slots, each waiting the update delay (3 s) after its task runs
    // before it takes the next; so no three consecutive new tasks were created within 3 s
    const times = info.map(([created]) => Date.parse(created)).sort((a, b) => a - b);
    expect(JSON.parse(inspect("web_app", "{{json .Spec.UpdateConfig}}"))).toMatchObject({ Parallelism: 2, Delay: 3e9, FailureAction: "rollback", Monitor: 4e9, Order: "stop-first" });
    for (let i = 2; i < times.length; i++) expect(times[i] - times[i - 2]).toBeGreaterThanOrEqual(2900);
    // and two at a time indeed: tasks come in pairs created together, not one by one
    const pairs = times.slice(1).filter((t, i) => t - times[i] < 2000).length;
    expect(pairs).toBeGreaterThanOrEqual(3);
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(4 * 2900); // 9 tasks: at least 5 rounds
  }, 300_000);

  it("an update whose new tasks fail rolls back, and pulumi up fails naming the service and the task error", async () => {
    const broken = withStacks([web({ file: WEB_BROKEN, replicas: { app: 9 }, images: { app: WHOAMI_V2 } }), zoned("token-one")]);
    await expect(upStacks(broken)).rejects.toThrow(/service web_app: the update failed and was rolled back[^\n]*\n\s+web_app\.\d+ on \S+ \(Failed [^)]*\): task: non-zero exit \(2\)/);
    // back on the last good definition: no bad arguments, 9 tasks of v2
    expect(inspect("web_app", "{{json .Spec.TaskTemplate.ContainerSpec.Args}}")).toBe("null");
    expect(inspect("web_app", "{{.UpdateStatus.State}}")).toBe("rollback_completed");
    expect(Object.values(perNode("web_app")).reduce((a, b) => a + b, 0)).toBe(9);

    // the configuration back on the good file: the swarm already runs it, so pulumi has nothing to do
    const res = await upStacks(withStacks([web({ replicas: { app: 9 }, images: { app: WHOAMI_V2 } }), zoned("token-one")]));
    expect(res.stdout).not.toMatch(/stack-(web|zoned)-deploy updat/);
  }, 300_000);

  it("a new secret content rotates the secret: new name in use, the old one removed", async () => {
    await upStacks(withStacks([web({ replicas: { app: 9 }, images: { app: WHOAMI_V2 } }), zoned("token-two")]));
    const secret = `zoned_token_${contentHash("token-two")}`;
    expect(labelled("secret", "zoned")).toEqual([secret]);
    expect(inspect("zoned_pinned", "{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}{{end}}")).toBe(secret);
    expect(perNode("zoned_pinned")).toEqual({ worker1: 3 });
    expect(stateText().includes("token-two")).toBe(false);
  }, 300_000);

  it("removing the stacks from the configuration removes their services, networks, secrets and configs", async () => {
    const res = await upStacks(withStacks([]));
    expect(res.outputs.stacks).toEqual({});
    for (const stack of ["web", "zoned"]) {
      for (const kind of ["service", "network", "secret", "config"] as const) expect([stack, kind, labelled(kind, stack)]).toEqual([stack, kind, []]);
    }
    const stack = await labStack();
    await expect(stack.preview({ expectNoChanges: true })).resolves.toBeDefined();
  }, 300_000);
});
