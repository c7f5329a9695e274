/**
 * components/stacks/index.ts: loadStacks, every stack of the config loaded at once (replicas and
 * image overrides, env files, every problem reported before anything is deployed), and applyReplicas.
 */
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../components/config/errors";
import { loadClusterConfig } from "../../components/config/load";
import { parseStack } from "../../components/stacks/load";
import { deployInputs, serviceSummary } from "../../components/stacks/deployment";
import { applyReplicas, loadStacks, registryPort, stackImages } from "../../components/stacks";
import { tmpTree } from "../support/tmp";

const stackDir = (files: Record<string, string>) => tmpTree(files, "stack-files-");

function cluster(stacks: unknown[], extra: Record<string, unknown> = {}) {
  return loadClusterConfig(
    { "swarmlab:nodes": JSON.stringify([{ name: "manager1", role: "manager" }]), "swarmlab:stacks": JSON.stringify(stacks), ...extra },
    "Pulumi.dev.yaml",
  );
}

describe("loadStacks", () => {
  const WEB = "services:\n  app:\n    image: swarmlab/whoami:latest\n    deploy: {replicas: 6}\n  agent:\n    image: swarmlab/whoami:latest\n    deploy: {mode: global}\n";

  it("loads, overrides replicas and images, and summarises the services", () => {
    const root = stackDir({ "stacks/web.yaml": WEB });
    const [web] = loadStacks(cluster([{ name: "web", file: "stacks/web.yaml", replicas: { app: 9 }, images: { "swarmlab/whoami:latest": "swarmlab/whoami:v2" }, timeoutSeconds: 60 }]), root);
    expect(web).toMatchObject({ name: "web", file: "stacks/web.yaml", images: { "swarmlab/whoami:latest": "swarmlab/whoami:v2" }, timeoutSeconds: 60, uploads: [] });
    expect(serviceSummary(web.name, web.stack)).toEqual({
      agent: { name: "web_agent", mode: "global" },
      app: { name: "web_app", mode: "replicated", replicas: 9 },
    });
    const doc = parse(deployInputs({ stack: web }).compose) as { services: Record<string, { image: string; deploy: { replicas?: number } }> };
    expect(doc.services.app).toMatchObject({ image: "swarmlab/whoami:v2", deploy: { replicas: 9 } });
  });

  it("stackImages: every image the stacks run, overrides included (what tells whether they need the registry)", () => {
    const root = stackDir({ "stacks/web.yaml": WEB, "stacks/own.yaml": "services:\n  api:\n    image: 10.0.0.5:5000/api:1\n" });
    const stacks = loadStacks(cluster([{ name: "web", file: "stacks/web.yaml", images: { app: "10.0.0.5:5000/app:2" } }, { name: "own", file: "stacks/own.yaml" }]), root);
    expect(stackImages(stacks)).toEqual(["swarmlab/whoami:latest", "swarmlab/whoami:latest", "10.0.0.5:5000/app:2", "10.0.0.5:5000/api:1"]);
    expect(stackImages(stacks).map(registryPort)).toEqual([undefined, undefined, 5000, 5000]);
    expect(registryPort("registry.lan:5443/team/app@sha256:abc")).toBe(5443);
    expect(registryPort("nginx:1.27")).toBeUndefined();
  });

  it("reports the problems of every stack file at once, before anything is deployed", () => {
    const root = stackDir({
      "stacks/a.yaml": "services:\n  web:\n    image: nginx\n    deploy: {replicas: two}\n",
      "stacks/b.yaml": "services:\n  db:\n    image: postgres\n    secrets: [pw]\nsecrets:\n  pw: {file: ./missing.txt}\n",
      "stacks/ok.yaml": WEB,
    });
    const cfg = cluster([
      { name: "a", file: "stacks/a.yaml" },
      { name: "b", file: "stacks/b.yaml" },
      { name: "c", file: "stacks/none.yaml" },
      { name: "ok", file: "stacks/ok.yaml", replicas: { nope: 2, agent: 3 } },
    ]);
    let error: unknown;
    try {
      loadStacks(cfg, root, { configSource: "Pulumi.dev.yaml" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as Error).message.split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('stacks/a.yaml: services.web.deploy.replicas: expected a number, got "two"');
    expect(lines[1]).toMatch(/^stacks\/b\.yaml: secrets\.pw\.file: cannot read .*stacks\/missing\.txt \(ENOENT\); the path is relative to the stack file$/);
    expect(lines[2]).toBe("Pulumi.dev.yaml: swarmlab:stacks[2].file: cannot read the stack file stacks/none.yaml: no such file (the path is relative to the project)");
    expect(lines[3]).toBe('Pulumi.dev.yaml: swarmlab:stacks[3].replicas.nope: stacks/ok.yaml has no service "nope" (services: agent, app)');
    expect(lines[4]).toBe('Pulumi.dev.yaml: swarmlab:stacks[3].replicas.agent: service "agent" is global (one task per eligible node): it has no replica count');
  });

  it("reports rendering problems too (an exposed service without Traefik)", () => {
    const root = stackDir({ "s.yaml": "services:\n  w:\n    image: x\n    x-swarmlab: {expose: {host: w.lab.local, port: 80}}\n" });
    expect(() => loadStacks(cluster([{ name: "s", file: "s.yaml" }]), root)).toThrow("s.yaml: x-swarmlab.expose needs the cluster's Traefik network");
  });

  it("reads env_file here, relative to the stack file, under the service's own environment (the deploy runs on a manager without the file)", () => {
    const root = stackDir({
      "stacks/app.yaml": "services:\n  app:\n    image: x\n    env_file: [common.env, app.env]\n    environment: {MODE: prod}\n",
      "stacks/common.env": "# shared\nMODE=dev\nREGION=eu\n\nFROM_SHELL\nUNSET_HERE\n",
      "stacks/app.env": "REGION=us-east # kept as written\nURL=http://a/?x=1\n",
    });
    const [app] = loadStacks(cluster([{ name: "app", file: "stacks/app.yaml" }]), root, { env: { FROM_SHELL: "from the shell" } });
    const doc = parse(deployInputs({ stack: app }).compose) as { services: Record<string, Record<string, unknown>> };
    expect(doc.services.app.environment).toEqual({ MODE: "prod", REGION: "us-east # kept as written", FROM_SHELL: "from the shell", URL: "http://a/?x=1" });
    expect(doc.services.app.env_file).toBeUndefined();
  });

  it("names an env file that cannot be read or has a line that is not KEY=value", () => {
    const root = stackDir({ "stacks/app.yaml": "services:\n  app:\n    image: x\n    env_file: [none.env, bad.env]\n", "stacks/bad.env": "OK=1\nnot a key=1\n" });
    expect(() => loadStacks(cluster([{ name: "app", file: "stacks/app.yaml" }]), root)).toThrow(
      [
        `stacks/app.yaml: services.app.env_file[0]: cannot read ${path.join(root, "stacks/none.env")}: ENOENT (paths are relative to the stack file)`,
        "stacks/app.yaml: services.app.env_file[1]: expected KEY=value lines in bad.env, got something else on line 2",
      ].join("\n"),
    );
  });

  it("replicas overrides leave the stack file's object untouched", () => {
    const { stack } = parseStack(WEB, "web.yaml");
    const out = applyReplicas(stack, { app: 1 }, { source: "Pulumi.dev.yaml", path: ["swarmlab:stacks[0]", "replicas"], file: "web.yaml" });
    expect(out.stack.services.app.deploy?.replicas).toBe(1);
    expect(stack.services.app.deploy?.replicas).toBe(6);
  });
});
