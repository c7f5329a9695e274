/**
 * Stack services with `build:` (components/stacks/build.ts): the plan (paths relative to the
 * stack file, overrides, every refusal with its message) and, under the mocks of test/support/mocks.ts, the
 * docker.Image resources, the digest overrides they return and the compose deployed with them.
 * The docker provider plugin is not needed: under mocks nothing reaches a provider.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../components/config/errors";
import { loadClusterConfig } from "../../components/config/load";
import type { Host } from "../../components/hosts/host";
import type { SshTarget } from "../../components/command/ssh";
import type { BuiltImages } from "../../components/stacks/build";
import { parseStack } from "../../components/stacks/load";
import type { PreparedStack, StackDeployment } from "../../components/stacks/deployment";
import { findCommand, findResource, namesOf, recorded, registered, resolve, setupMocks, type Mocked } from "../support/mocks";
import { tmpTree } from "../support/tmp";

const IMAGE_TYPE = "docker:index/image:Image";
const DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const REGISTRY = "10.0.0.2:5000";

/** A project directory with these files (paths relative to it). */
const project = (files: Record<string, string>) => tmpTree(files, "swarmlab-build-");

function cluster(stacks: unknown[], registry: boolean) {
  return loadClusterConfig(
    {
      "swarmlab:nodes": JSON.stringify([{ name: "manager1", role: "manager" }]),
      "swarmlab:stacks": JSON.stringify(stacks),
      "swarmlab:registry": JSON.stringify({ enabled: registry }),
    },
    "Pulumi.dev.yaml",
  );
}

/** A stack as loadStacks prepares it, from text (file names the stack file relative to the project). */
function prepared(name: string, file: string, text: string, images: Record<string, string> = {}): PreparedStack {
  const { stack, warnings } = parseStack(text, file, { name });
  return { name, file, stack, uploads: [], images, warnings };
}

const WEB = `
services:
  api:
    build: ../src/api
    deploy: {replicas: 2}
  worker:
    image: shop/worker
    build:
      context: ../src
      dockerfile: docker/Worker.Dockerfile
      target: runtime
      args: [VERSION=1.2, FROM_ENV, UNSET]
  proxy:
    image: nginx:1.27
`;

const FILES = {
  "stacks/web.yaml": WEB,
  "src/api/Dockerfile": "FROM scratch\n",
  "src/docker/Worker.Dockerfile": "FROM scratch AS runtime\n",
};

describe("planBuilds", () => {
  it("resolves contexts relative to the stack file, Dockerfiles relative to the context, args from the file or the environment", async () => {
    const { planBuilds } = await import("../../components/stacks/build");
    const root = project(FILES);
    const web = prepared("web", "stacks/web.yaml", WEB);
    expect(planBuilds([web], { root, registryEnabled: true, env: { FROM_ENV: "from-env" } })).toEqual([
      { stack: "web", service: "api", file: "stacks/web.yaml", context: path.join(root, "src/api"), dockerfile: path.join(root, "src/api/Dockerfile"), args: {}, repository: "web/api" },
      {
        stack: "web",
        service: "worker",
        file: "stacks/web.yaml",
        context: path.join(root, "src"),
        dockerfile: path.join(root, "src/docker/Worker.Dockerfile"),
        args: { VERSION: "1.2", FROM_ENV: "from-env" },
        target: "runtime",
        repository: "web/worker",
      },
    ]);
  });

  it("takes args given as a mapping, numbers as text, and a context of the stack file's own directory by default", async () => {
    const { planBuilds } = await import("../../components/stacks/build");
    const text = "services:\n  App:\n    build: {args: {N: 3, FLAG: true, EMPTY: null}}\n";
    const root = project({ "stacks/one.yaml": text, "stacks/Dockerfile": "FROM scratch\n" });
    const [plan] = planBuilds([prepared("one", "stacks/one.yaml", text)], { root, registryEnabled: true, env: {} });
    expect(plan).toEqual({
      stack: "one",
      service: "App",
      file: "stacks/one.yaml",
      context: path.join(root, "stacks"),
      dockerfile: path.join(root, "stacks/Dockerfile"),
      args: { N: "3", FLAG: "true" },
      repository: "one/app",
    });
  });

  it("does not build a service an image override names (by service name or by its image)", async () => {
    const { planBuilds } = await import("../../components/stacks/build");
    const root = project(FILES);
    const web = prepared("web", "stacks/web.yaml", WEB, { api: "mine/api:1", "shop/worker": "mine/worker:1" });
    expect(planBuilds([web], { root, registryEnabled: true })).toEqual([]);
    // and then no registry is needed either
    expect(planBuilds([web], { root, registryEnabled: false })).toEqual([]);
  });

  it("plans nothing for stacks without build", async () => {
    const { planBuilds } = await import("../../components/stacks/build");
    const plain = prepared("plain", "stacks/plain.yaml", "services: {web: {image: nginx}}");
    expect(planBuilds([plain], { root: "/nowhere", registryEnabled: false })).toEqual([]);
  });

  it("refuses build without a registry: the file, the service and what to do, for each service", async () => {
    const { planBuilds } = await import("../../components/stacks/build");
    const root = project(FILES);
    let error: unknown;
    try {
      planBuilds([prepared("web", "stacks/web.yaml", WEB)], { root, registryEnabled: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      [
        'stacks/web.yaml: services.api.build: swarmlab pushes built images to the cluster registry, and this cluster has none: enable it (swarmlab:registry: {enabled: true}), or build and push the image yourself and name it in services.api.image or in an image override for "api" (swarmlab:stacks[].images)',
        'stacks/web.yaml: services.worker.build: swarmlab pushes built images to the cluster registry, and this cluster has none: enable it (swarmlab:registry: {enabled: true}), or build and push the image yourself and name it in services.worker.image or in an image override for "worker" (swarmlab:stacks[].images)',
      ].join("\n"),
    );
  });

  it("refuses malformed build entries, unsupported keys, a missing context and a missing Dockerfile, all at once", async () => {
    const { planBuilds } = await import("../../components/stacks/build");
    const text = `
services:
  a: {build: 3}
  b: {build: {context: ., cache_from: [x]}}
  c: {build: ./nowhere}
  d: {build: {context: ., dockerfile: Nope.Dockerfile}}
  e: {build: {context: ., args: 7}}
`;
    const root = project({ "s.yaml": text });
    expect(() => planBuilds([prepared("s", "s.yaml", text)], { root, registryEnabled: true })).toThrowError(
      [
        "s.yaml: services.a.build: expected a build context path or a mapping with context, dockerfile, args and target, got 3",
        's.yaml: services.b.build: swarmlab builds with context, dockerfile, args, target only: remove "cache_from"',
        `s.yaml: services.c.build: the build context ${path.join(root, "nowhere")} is not a directory`,
        `s.yaml: services.d.build.dockerfile: there is no Dockerfile at ${path.join(root, "Nope.Dockerfile")}`,
        's.yaml: services.e.build.args: expected a list of "KEY=value" strings or a mapping, got 7',
      ].join("\n"),
    );
  });

  it("still warns about build when the stack file is read, saying what swarmlab does with it", () => {
    expect(parseStack("services: {app: {build: .}}", "stacks/web.yaml").warnings).toEqual([
      "stacks/web.yaml: services.app.build: docker stack deploy ignores it: swarmlab builds the image and pushes it to the cluster registry when the cluster has one (swarmlab:registry), unless an image override names the service",
    ]);
  });
});

describe("loadStacks with build", () => {
  it("accepts a service that only has build (its image comes from the build)", async () => {
    const { loadStacks } = await import("../../components/stacks");
    const root = project(FILES);
    const [web] = loadStacks(cluster([{ name: "web", file: "stacks/web.yaml" }], true), root);
    expect(web.images).toEqual({});
    expect(Object.keys(web.stack.services).sort()).toEqual(["api", "proxy", "worker"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The resources
// ---------------------------------------------------------------------------------------------

const MANAGER: Host = {
  name: "manager1",
  role: "manager",
  labels: {},
  availability: "active",
  address: "10.0.0.2",
  advertiseAddress: "10.0.0.2",
  ssh: { host: "10.0.0.2", port: 22, user: "root", privateKey: "KEY" },
  instance: "container-1",
  dependsOn: [],
} as unknown as Host;

describe("buildImages under mocks", () => {
  let mocked: Mocked;
  let root: string;
  let built: BuiltImages;
  let deployments: StackDeployment[];

  beforeAll(async () => {
    mocked = await setupMocks();
    // docker.Image's repoDigest comes from the provider: the mocks answer `<imageName>@<digest>`.
    const monitor = pulumi.runtime.getMonitor() as unknown as { mocks: pulumi.runtime.Mocks };
    const inner = monitor.mocks;
    monitor.mocks = {
      call: (args) => inner.call(args),
      newResource: async (args) => {
        const result = await inner.newResource(args);
        if (args.type !== IMAGE_TYPE) return result;
        return { ...result, state: { ...result.state, repoDigest: `${String(args.inputs.imageName).replace(/:latest$/, "")}@${DIGEST}` } };
      },
    };
    const { buildImages } = await import("../../components/stacks/build");
    const { deployStacks, loadStacks } = await import("../../components/stacks");
    root = project({ ...FILES, "stacks/plain.yaml": "services:\n  web:\n    image: nginx\n" });
    const stacks = loadStacks(cluster([{ name: "web", file: "stacks/web.yaml" }, { name: "plain", file: "stacks/plain.yaml" }], true), root);
    built = buildImages(stacks, { registry: pulumi.output(REGISTRY), root, env: { FROM_ENV: "e" } });
    deployments = deployStacks(stacks, { managers: [MANAGER.ssh as SshTarget], root, defaults: {}, dependsOn: [], images: built });
    await registered(deployments.map((d) => d.deploy));
    await Promise.all(Object.values(built).flatMap((m) => Object.values(m)).map((o) => resolve(o)));
  });

  it("registers one docker.Image per service to build, pushed to <registry>/<stack>/<service>:latest", async () => {
    expect(recorded(IMAGE_TYPE).map((r) => r.name)).toEqual(["image-web-api", "image-web-worker"]);
    expect(findResource("image-web-api", IMAGE_TYPE).inputs).toEqual({
      imageName: `${REGISTRY}/web/api:latest`,
      build: { context: path.join(root, "src/api"), dockerfile: path.join(root, "src/api/Dockerfile"), platform: "linux/amd64" },
      registry: { server: REGISTRY },
      skipPush: false,
      buildOnPreview: false, // the SDK's default: a preview does not build
    });
    expect(findResource("image-web-worker", IMAGE_TYPE).inputs).toEqual({
      imageName: `${REGISTRY}/web/worker:latest`,
      build: {
        context: path.join(root, "src"),
        dockerfile: path.join(root, "src/docker/Worker.Dockerfile"),
        args: { VERSION: "1.2", FROM_ENV: "e" },
        target: "runtime",
        platform: "linux/amd64",
      },
      registry: { server: REGISTRY },
      skipPush: false,
      buildOnPreview: false,
    });
  });

  it("returns, per stack that builds, the pushed images by digest (repoDigest)", async () => {
    expect(Object.keys(built)).toEqual(["web"]);
    expect(Object.keys(built.web).sort()).toEqual(["api", "worker"]);
    expect(await resolve(built.web.api)).toBe(`${REGISTRY}/web/api@${DIGEST}`);
    expect(await resolve(built.web.worker)).toBe(`${REGISTRY}/web/worker@${DIGEST}`);
  });

  it("deploys the stack with the digest references, after the images (they are inputs of the deploy)", async () => {
    const web = findCommand("stack-web-deploy");
    const doc = parse(String(web.inputs.stdin)) as { services: Record<string, { image: string }> };
    expect(doc.services.api.image).toBe(`${REGISTRY}/web/api@${DIGEST}`);
    expect(doc.services.worker.image).toBe(`${REGISTRY}/web/worker@${DIGEST}`);
    expect(doc.services.proxy.image).toBe("nginx:1.27");
    expect(await resolve(deployments[0].compose)).toBe(web.inputs.stdin);
    expect(namesOf(web.propertyDependencies.stdin)).toEqual(["image-web-api", "image-web-worker"]);
  });

  it("leaves a stack without build alone: no image, its compose as written", async () => {
    const plain = findCommand("stack-plain-deploy");
    expect((parse(String(plain.inputs.stdin)) as { services: Record<string, { image: string }> }).services.web.image).toBe("nginx");
    expect(namesOf(plain.propertyDependencies.stdin ?? [])).toEqual([]);
  });

  it("registers no docker.Image for stacks without build, and passes registry credentials as a secret", async () => {
    const { buildImages } = await import("../../components/stacks/build");
    const before = recorded(IMAGE_TYPE).length;
    const plain = prepared("plain2", "stacks/plain.yaml", "services: {web: {image: nginx}}");
    expect(buildImages([plain], { registry: REGISTRY, root })).toEqual({});
    const text = "services:\n  app:\n    build: ../src/api\n";
    const out = buildImages([prepared("auth", "stacks/auth.yaml", text)], { registry: REGISTRY, root, auth: { username: "pusher", password: "s3cret-pass" } });
    await resolve(out.auth.app);
    expect(recorded(IMAGE_TYPE).length).toBe(before + 1);
    const image = findResource("image-auth-app", IMAGE_TYPE);
    expect(image.inputs.registry).toEqual({ server: REGISTRY, username: "pusher", password: "s3cret-pass" });
    // the secret password makes the whole registry input secret
    expect(image.secretInputs).toEqual(["registry"]);
  });

  it("made no invokes", async () => {
    expect(mocked.calls).toEqual([]);
  });
});
