/*
 * Stack services that declare `build:`: built on the machine running Pulumi and pushed to the
 * cluster registry with @pulumi/docker (`docker.Image`), then deployed by digest
 * (`<registry>/<stack>/<service>@sha256:...`), so a new build redeploys the service and an
 * unchanged one does not. The plan (planBuilds) is pure and runs before any resource is registered;
 * buildImages registers the images. Nothing here is registered for stacks without `build:`, so the
 * docker provider plugin is only needed by programs that build.
 *
 * The engine on the machine running Pulumi pushes to the registry as the nodes pull from it: over
 * plain HTTP it must list it in `insecure-registries` (daemon.json), over HTTPS (registry.tls)
 * trust its CA (the `registryCa` output in /etc/docker/certs.d/<registry>/ca.crt).
 */
import { statSync } from "node:fs";
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError, type Problem, formatPath, issuesToProblems } from "../config/errors";
import { type ListOrDict, listOrDict, oneOf } from "./schema";
import type { PreparedStack } from "./deployment";

/** The platform images are built for (the lab's nodes and most cloud VMs). */
export const BUILD_PLATFORM = "linux/amd64";

const BUILD_KEYS = ["context", "dockerfile", "args", "target"] as const;

/** compose's `build:` as swarmlab supports it: a context path, or context, dockerfile, args and target. */
export const buildSpecSchema = oneOf("a build context path or a mapping with context, dockerfile, args and target", {
  string: z.string().min(1),
  object: z.object({
    context: z.string().min(1).optional().describe("directory sent to the builder, relative to the stack file (default: its directory)"),
    dockerfile: z.string().min(1).optional().describe("relative to the context (default: Dockerfile)"),
    args: listOrDict.optional().describe("build arguments; a name without a value takes it from the environment"),
    target: z.string().min(1).optional().describe("stage of a multi-stage Dockerfile"),
  }),
});

/** One image to build: where from, and the repository it is pushed to (`<stack>/<service>`). */
export interface BuildPlan {
  stack: string;
  service: string;
  /** The stack file (for messages). */
  file: string;
  /** Absolute paths. */
  context: string;
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  /** Repository inside the registry: `<stack>/<service>`, lower case. */
  repository: string;
}

export interface PlanBuildsOptions {
  /** Project directory: stack files are relative to it. */
  root: string;
  /** Whether the cluster runs a registry to push to. */
  registryEnabled: boolean;
  /** Values of build args listed without one (default: process.env). */
  env?: Record<string, string | undefined>;
}

function buildArgs(args: ListOrDict | undefined, env: Record<string, string | undefined>): Record<string, string> {
  const entries: [string, string | null | undefined][] = Array.isArray(args)
    ? args.map((a) => (a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, null]))
    : Object.entries(args ?? {}).map(([k, v]) => [k, v === null ? null : String(v)]);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    const value = v ?? env[k];
    if (value !== undefined) out[k] = value;
  }
  return out;
}

function isKind(p: string, kind: "dir" | "file"): boolean {
  try {
    const s = statSync(p);
    return kind === "dir" ? s.isDirectory() : s.isFile();
  } catch {
    return false;
  }
}

/** Services built by swarmlab: those with `build:` that no image override of the stack names. */
function builtServices(s: PreparedStack): [string, unknown][] {
  return Object.entries(s.stack.services).flatMap(([name, service]) => {
    if (service.build === undefined) return [];
    const overridden = s.images[name] ?? (service.image !== undefined ? s.images[service.image] : undefined);
    return overridden === undefined ? [[name, service.build]] : [];
  });
}

/**
 * What to build, checked before anything is registered: every problem (no registry, a malformed
 * `build:`, a missing context or Dockerfile) in one ConfigError naming the file, the service and
 * what to do. A service an image override names is not built: the override is deployed.
 */
export function planBuilds(stacks: PreparedStack[], opts: PlanBuildsOptions): BuildPlan[] {
  const env = opts.env ?? process.env;
  const problems: Problem[] = [];
  const plans: BuildPlan[] = [];
  for (const s of stacks) {
    for (const [service, build] of builtServices(s)) {
      const at = (...p: PropertyKey[]) => formatPath(["services", service, "build", ...p]);
      const problem = (p: string, message: string) => problems.push({ source: s.file, path: p, message });
      if (!opts.registryEnabled) {
        problem(
          at(),
          `swarmlab pushes built images to the cluster registry, and this cluster has none: enable it (swarmlab:registry: {enabled: true}), ` +
            `or build and push the image yourself and name it in services.${service}.image or in an image override for "${service}" (swarmlab:stacks[].images)`,
        );
        continue;
      }
      const parsed = buildSpecSchema.safeParse(build, { reportInput: true });
      if (!parsed.success) {
        problems.push(...issuesToProblems(parsed.error.issues, s.file, ["services", service, "build"]));
        continue;
      }
      const spec = typeof parsed.data === "string" ? { context: parsed.data } : parsed.data;
      const unsupported = typeof build === "object" && build !== null ? Object.keys(build).filter((k) => !(BUILD_KEYS as readonly string[]).includes(k)) : [];
      if (unsupported.length) {
        problem(at(), `swarmlab builds with ${BUILD_KEYS.join(", ")} only: remove ${unsupported.map((k) => JSON.stringify(k)).join(", ")}`);
        continue;
      }
      const context = path.resolve(opts.root, path.dirname(s.file), spec.context ?? ".");
      const dockerfile = path.resolve(context, spec.dockerfile ?? "Dockerfile");
      if (!isKind(context, "dir")) {
        problem(at(...(typeof build === "string" ? [] : ["context"])), `the build context ${context} is not a directory`);
        continue;
      }
      if (!isKind(dockerfile, "file")) {
        problem(at(...(spec.dockerfile ? ["dockerfile"] : [])), `there is no Dockerfile at ${dockerfile}`);
        continue;
      }
      plans.push({
        stack: s.name,
        service,
        file: s.file,
        context,
        dockerfile,
        args: buildArgs(spec.args, env),
        ...(spec.target ? { target: spec.target } : {}),
        repository: `${s.name}/${service.toLowerCase()}`,
      });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return plans;
}

export interface BuildContext {
  /** The cluster registry, `host:port`, as the nodes pull from it; images are pushed there. */
  registry: pulumi.Input<string>;
  /** Project directory: stack files are relative to it. */
  root: string;
  /** Registry credentials when it requires basic auth. */
  auth?: { username: pulumi.Input<string>; password: pulumi.Input<string> };
  /** Values of build args listed without one (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Default linux/amd64. */
  platform?: string;
}

/** Per stack (only those that build), per service: the pushed image by digest, `<registry>/<stack>/<service>@sha256:...`. */
export type BuiltImages = Record<string, Record<string, pulumi.Output<string>>>;

/**
 * One docker.Image per service to build (named `image-<stack>-<service>`), pushed to the registry
 * as `<registry>/<stack>/<service>:latest`; returns the image overrides of each stack, by digest.
 * `opts.dependsOn` should hold what makes the registry reachable (its deploy).
 */
export function buildImages(stacks: PreparedStack[], ctx: BuildContext, opts: pulumi.CustomResourceOptions = {}): BuiltImages {
  const out: BuiltImages = {};
  for (const plan of planBuilds(stacks, { root: ctx.root, registryEnabled: true, env: ctx.env })) {
    const image = new docker.Image(
      `image-${plan.stack}-${plan.service}`,
      {
        imageName: pulumi.interpolate`${ctx.registry}/${plan.repository}:latest`,
        build: {
          context: plan.context,
          dockerfile: plan.dockerfile,
          ...(Object.keys(plan.args).length ? { args: plan.args } : {}),
          ...(plan.target ? { target: plan.target } : {}),
          platform: ctx.platform ?? BUILD_PLATFORM,
        },
        registry: {
          server: ctx.registry,
          ...(ctx.auth ? { username: ctx.auth.username, password: pulumi.secret(ctx.auth.password) } : {}),
        },
        skipPush: false,
      },
      opts,
    );
    (out[plan.stack] ??= {})[plan.service] = image.repoDigest;
  }
  return out;
}
