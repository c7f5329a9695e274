/**
 * The Pulumi program itself (index.ts) under the mocks of test/support/mocks.ts: bad input of every kind
 * (cluster config, stack files, cluster against stacks, certificate files) stops it with the exact
 * message before a single resource is registered; good input registers the cluster.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { BAD_CONFIG_BASE, BAD_CONFIGS, BAD_STACK_ENTRIES, BAD_STACK_FILES, BAD_YAML_FILES } from "./bad-inputs";
import { recordingDocker } from "../support/fakeDocker";
import { withPath, writeFakes } from "../support/fakes";
import { asPulumiConfig, recorded, resolve, setupMocks } from "../support/mocks";
import { tmp } from "../support/tmp";

type Program = () => Promise<Record<string, unknown>>;
let program: Program;
let dir = "";

const LAB = { kind: "docker-lab", privileged: true, reachability: "direct" };
const NODES = [
  { name: "manager1", role: "manager" },
  { name: "worker1", labels: { zone: "a" } },
];

function configure(values: Record<string, unknown>): void {
  const all = { "swarmlab:hosts": LAB, "swarmlab:nodes": NODES, ...values };
  pulumi.runtime.setAllConfig(asPulumiConfig(all));
}

/** Runs the program; what it registered (StackReference reads of its own outputs are not creations). */
async function runWith(values: Record<string, unknown>): Promise<{ error?: string; created: string[] }> {
  configure(values);
  const before = recorded().length;
  let error: string | undefined;
  try {
    // every output resolved: everything the program registers has reached the mocks
    const outputs = await program();
    await Promise.all(Object.values(outputs).map((o) => resolve(o as pulumi.Input<unknown>)));
  } catch (e) {
    error = (e as Error).message;
  }
  return { error, created: recorded().slice(before).map((r) => `${r.type} ${r.name}`) };
}

function stackFile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  await setupMocks();
  dir = tmp("swarmlab-program-");
  program = ((await import("../../index")) as unknown as { default: Program }).default;
});

describe("the program refuses bad input before registering anything", () => {
  // the stack files here are outside the project (in the system's temporary folder): shown whole, never as ../../..
  const rel = (file: string) => file;
  const nothingCreated = (created: string[]) => created.filter((c) => !c.startsWith("pulumi:pulumi:StackReference"));

  it(`the whole catalogue of bad inputs: ${BAD_CONFIGS.length} configurations, ${BAD_STACK_FILES.length + BAD_YAML_FILES.length} stack files and ${BAD_STACK_ENTRIES.length} stack entries, at least 40`, () => {
    expect(BAD_CONFIGS.length + BAD_STACK_FILES.length + BAD_YAML_FILES.length + BAD_STACK_ENTRIES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(BAD_CONFIGS)("catalogue, configuration: %s", async (_what, values, message) => {
    const { error, created } = await runWith({ ...BAD_CONFIG_BASE, ...values });
    expect(error).toBe(message);
    expect(nothingCreated(created)).toEqual([]);
  });

  it.each(BAD_STACK_FILES)("catalogue, stack file: %s", async (_what, text, message) => {
    const file = stackFile("web.yaml", text);
    const { error, created } = await runWith({ "swarmlab:stacks": [{ name: "web", file }] });
    expect(error).toBe(`${rel(file)}: ${message}`);
    expect(nothingCreated(created)).toEqual([]);
  });

  it.each(BAD_YAML_FILES)("catalogue, YAML: %s", async (_what, text, message) => {
    const file = stackFile("web.yaml", text);
    const { error, created } = await runWith({ "swarmlab:stacks": [{ name: "web", file }] });
    expect(error).toBe(`${rel(file)}${message}`);
    expect(nothingCreated(created)).toEqual([]);
  });

  it.each(BAD_STACK_ENTRIES)("catalogue, stack entry: %s", async (_what, entry, message) => {
    const { error, created } = await runWith({ "swarmlab:stacks": [entry] });
    expect(error).toBe(message);
    expect(nothingCreated(created)).toEqual([]);
  });

  it("runs nothing on the machine before every input check passed: no probe container for hosts.privileged: auto", async () => {
    // a docker on PATH that only records its calls: the probe would call it
    const bin = tmp("swarmlab-fake-docker-");
    const calls = path.join(bin, "calls");
    writeFakes(bin, { docker: recordingDocker(calls) });
    await withPath(bin, async () => {
      const bad = stackFile("bad.yaml", "services: {api: {image: x, deploy: {replicas: two}}}\n");
      const auto = { "swarmlab:hosts": { ...LAB, privileged: "auto" } };
      const refused = await runWith({ ...auto, "swarmlab:stacks": [{ name: "bad", file: bad }] });
      expect(refused.error).toBe(`${rel(bad)}: services.api.deploy.replicas: expected a number, got "two"`);
      expect(fs.existsSync(calls)).toBe(false);
      // with good input the probe runs, once, before the nodes are made (this engine does not say
      // who it is, so there is no remembered answer to use)
      const ok = await runWith({ ...auto, "swarmlab:name": "probed" });
      expect(ok.error).toBeUndefined();
      expect(fs.readFileSync(calls, "utf8")).toBe("info --format {{.ID}} {{.ServerVersion}}\nrun --rm --privileged --network none --entrypoint true swarmlab/node:latest\n");
    });
  });

  it.each([
    ["duplicate node names", { "swarmlab:nodes": [{ name: "manager1", role: "manager" }, { name: "manager1" }] }, 'Pulumi.dev.yaml: swarmlab:nodes[1].name: duplicate node name "manager1": node names must be unique'],
    ["an unknown host kind", { "swarmlab:hosts": { kind: "openstack" } }, 'Pulumi.dev.yaml: swarmlab:hosts.kind: expected "docker-lab" | "ssh" | "vagrant" | "hcloud", got "openstack"'],
    ["no manager", { "swarmlab:nodes": [{ name: "worker1" }] }, 'Pulumi.dev.yaml: swarmlab:nodes: expected at least one node with role "manager", got none'],
    ["a registry certificate file that is not there", { "swarmlab:registry": { tls: { certFile: "nope/registry.crt", keyFile: "nope/registry.key" } } }, ""],
  ])("%s", async (_what, values, message) => {
    const { error, created } = await runWith(values);
    if (message) expect(error).toBe(message);
    else expect(error).toMatch(/^Pulumi\.dev\.yaml: swarmlab:registry\.tls\.certFile: cannot read \S+nope\/registry\.crt: ENOENT\nPulumi\.dev\.yaml: swarmlab:registry\.tls\.keyFile: cannot read/);
    expect(created.filter((c) => !c.startsWith("pulumi:pulumi:StackReference"))).toEqual([]);
  });

  it("a stack file with a wrong value, one constrained to a label no node has, and a build without a registry, all at once", async () => {
    const bad = stackFile("bad.yaml", "services: {api: {image: x, deploy: {replicas: two}}}\n");
    const nowhere = stackFile("nowhere.yaml", 'services: {db: {image: postgres, deploy: {placement: {constraints: ["node.labels.disk == ssd"]}}}}\n');
    const built = stackFile("built.yaml", "services: {app: {build: .}}\n");
    const { error, created } = await runWith({ "swarmlab:stacks": [{ name: "bad", file: bad }, { name: "nowhere", file: nowhere }, { name: "built", file: built }] });
    expect(error).toBe(
      [
        `${rel(bad)}: services.api.deploy.replicas: expected a number, got "two"`,
        `${rel(nowhere)}: services.db.deploy.placement.constraints[0]: no node has the label disk=ssd (node labels: zone=a (worker1)): add it to a node in swarmlab:nodes or change the constraint`,
        `${rel(built)}: services.app.build: swarmlab pushes built images to the cluster registry, and this cluster has none: enable it (swarmlab:registry: {enabled: true}), or build and push the image yourself and name it in services.app.image or in an image override for "app" (swarmlab:stacks[].images)`,
      ].join("\n"),
    );
    expect(created.filter((c) => !c.startsWith("pulumi:pulumi:StackReference"))).toEqual([]);
  });

  it("and registers the cluster when the input is good (the check above can see registrations)", async () => {
    const { error, created } = await runWith({ "swarmlab:name": "ok" });
    expect(error).toBeUndefined();
    expect(created).toEqual(expect.arrayContaining(["swarmlab:hosts:DockerLab ok", "swarmlab:swarm:SwarmCluster ok"]));
  });
});

describe("what the stacks wait for", () => {
  const deployDeps = (stack: string) =>
    recorded()
      .filter((r) => r.name === `stack-${stack}-deploy`)
      .pop()
      ?.dependencies.map((u) => u.split("::").pop() as string) ?? [];

  it("networks, images and the registry's trust, never Traefik's deploy; the registry's deploy only for a stack whose images are in it", async () => {
    const plain = stackFile("plain.yaml", "services: {web: {image: nginx}}\n");
    const { error } = await runWith({
      "swarmlab:registry": { enabled: true },
      "swarmlab:traefik": { enabled: true },
      "swarmlab:stacks": [{ name: "plain", file: plain }],
    });
    expect(error).toBeUndefined();
    const deps = deployDeps("plain");
    expect(deps).toEqual(expect.arrayContaining(["lab-nodes", "lab-services-net-traefik-public-create", "lab-services-trust-registry-manager1"]));
    expect(deps).not.toContain("lab-services-traefik-deploy");
    expect(deps).not.toContain("lab-services-registry-deploy");

    const address = recorded().find((r) => r.name === "lab-services-trust-registry-manager1")?.inputs.create as string;
    const registry = /(\d+\.\d+\.\d+\.\d+:5000)/.exec(address)?.[1];
    expect(registry).toBeDefined();
    const own = stackFile("own.yaml", `services: {web: {image: "${registry}/web:1"}}\n`);
    await runWith({
      "swarmlab:registry": { enabled: true },
      "swarmlab:traefik": { enabled: true },
      "swarmlab:stacks": [{ name: "own", file: own }],
    });
    expect(deployDeps("own")).toContain("lab-services-registry-deploy");
    expect(deployDeps("own")).not.toContain("lab-services-traefik-deploy");
  });
});
