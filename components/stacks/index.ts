/*
 * The cluster's application stacks: every stack listed in the config (`stacks: [{name, file, ...}]`)
 * loaded and checked up front (loadStacks: pure, throws one ConfigError listing the problems of
 * every file), then deployed once the swarm is ready (deployStacks: one StackDeployment each).
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, StackRef } from "../config/cluster";
import { ConfigError, type Problem, formatPath } from "../config/errors";
import type { Stack } from "../config/stack";
import type { SshTarget } from "../command/ssh";
import { type RenderOptions, renderCompose } from "./compose";
import { loadStackFile } from "./load";
import { inlineEnvFiles } from "./envFiles";
import { planObjects, readObjectContents } from "./secrets";
import { type ConvergeOptions, type PreparedStack, StackDeployment } from "./stack";

export { StackDeployment, type PreparedStack } from "./stack";

export interface LoadStacksOptions {
  /** Names the config file in messages about `swarmlab:stacks` (default "swarmlab config"). */
  configSource?: string;
  /** Environment of the machine running Pulumi: content of `environment: NAME` secrets. */
  env?: Record<string, string | undefined>;
  /** The Traefik network exposed services join (default: the cluster's, when Traefik is enabled). */
  traefikNetwork?: string;
}

/** `replicas: {svc: n}` from the config, applied to the typed stack; problems for unknown or global services. */
export function applyReplicas(stack: Stack, replicas: Record<string, number>, at: { source: string; path: PropertyKey[]; file: string }): { stack: Stack; problems: Problem[] } {
  const problems: Problem[] = [];
  const services = { ...stack.services };
  for (const [name, count] of Object.entries(replicas)) {
    const service = services[name];
    const where = { source: at.source, path: formatPath([...at.path, name]) };
    if (!service) {
      problems.push({ ...where, message: `${at.file} has no service "${name}" (services: ${Object.keys(stack.services).sort().join(", ")})` });
      continue;
    }
    if (service.deploy?.mode === "global") {
      problems.push({ ...where, message: `service "${name}" is global (one task per eligible node): it has no replica count` });
      continue;
    }
    services[name] = { ...service, deploy: { ...(service.deploy ?? {}), replicas: count } };
  }
  return { stack: { ...stack, services }, problems };
}

function problemsOf(err: unknown, fallback: Problem): Problem[] {
  if (err instanceof ConfigError) return err.problems;
  return [{ ...fallback, message: (err as Error).message }];
}

/**
 * Loads every stack of the config, relative to `root`: validates the files, applies the replica
 * overrides, reads secret and config contents and names them by content, and renders each once
 * (image and Traefik problems show here). Throws one ConfigError with the problems of all files.
 */
export function loadStacks(cfg: ClusterConfig, root: string, opts: LoadStacksOptions = {}): PreparedStack[] {
  const { prepared, problems } = collectStacks(cfg, root, opts);
  if (problems.length) throw new ConfigError(problems);
  return prepared;
}

/** Every configured stack file that is valid, and every problem of the others (so that all are reported at once). */
export function collectStacks(cfg: ClusterConfig, root: string, opts: LoadStacksOptions = {}): { prepared: PreparedStack[]; problems: Problem[] } {
  const configSource = opts.configSource ?? "swarmlab config";
  const traefikNetwork = opts.traefikNetwork ?? (cfg.traefik.enabled ? cfg.traefik.network : undefined);
  const problems: Problem[] = [];
  const prepared: PreparedStack[] = [];
  cfg.stacks.forEach((entry, i) => {
    const ref: StackRef = entry;
    const file = path.resolve(root, ref.file);
    const shown = path.relative(root, file) || file;
    try {
      const loaded = loadStackFile(file, { name: ref.name, env: opts.env ?? {} });
      const source = shown;
      const overridden = applyReplicas(loaded.stack, ref.replicas ?? {}, { source: configSource, path: [`swarmlab:stacks[${i}]`, "replicas"], file: shown });
      const inlined = inlineEnvFiles(overridden.stack, file, source, opts.env);
      const read = readObjectContents(inlined.stack, file, { values: ref.secrets, env: opts.env });
      const planned = planObjects(ref.name, inlined.stack, read.contents, source);
      const found = [...overridden.problems, ...inlined.problems, ...read.problems.map((p) => ({ ...p, source })), ...planned.problems];
      if (found.length) {
        problems.push(...found);
        return;
      }
      // a service with build: gets the image swarmlab builds (services/build.ts), known only later
      const built = Object.fromEntries(Object.entries(planned.stack.services).flatMap(([svc, s]) => (s.build === undefined ? [] : [[svc, `${ref.name}/${svc}:pending`]])));
      renderCompose(planned.stack, { name: ref.name, source, images: { ...built, ...ref.images }, traefikNetwork });
      prepared.push({
        name: ref.name,
        file: shown,
        stack: planned.stack,
        uploads: planned.uploads,
        images: ref.images ?? {},
        ...(ref.timeoutSeconds ? { timeoutSeconds: ref.timeoutSeconds } : {}),
        warnings: loaded.warnings.map((w) => w.replace(file, shown)),
      });
    } catch (err) {
      problems.push(...problemsOf(err, { source: shown, path: "", message: "" }).map((p) => ({ ...p, source: p.source.replace(file, shown) })));
    }
  });
  return { prepared, problems };
}

export interface StacksContext {
  /** The managers in configured order (deploys run on the first that answers with control). */
  managers: pulumi.Input<SshTarget[]>;
  clusterId?: pulumi.Input<string>;
  /** Project directory: stack files are relative to it. */
  root: string;
  traefikNetwork?: string;
  traefikEntrypoint?: string;
  /** The ACME resolver for `expose.tls` routers. */
  traefikCertResolver?: string;
  /** Cluster defaults for services that do not choose (no IPVS: dnsrr and host publishing). */
  defaults: pulumi.Input<NonNullable<RenderOptions["defaults"]>>;
  /** Labels on every service and object (`swarmlab.cluster=<name>`). */
  clusterLabels?: Record<string, string>;
  /** What must exist before any stack deploys: the ready swarm, networks, images. */
  dependsOn: pulumi.Resource[];
  converge?: ConvergeOptions;
  /** Per stack name: image overrides known only later (images swarmlab built and pushed, by digest). */
  images?: Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>;
}

/** One StackDeployment per prepared stack, each after ctx.dependsOn. */
export function deployStacks(stacks: PreparedStack[], ctx: StacksContext, opts: pulumi.ComponentResourceOptions = {}): StackDeployment[] {
  for (const s of stacks) s.warnings.forEach((w) => pulumi.log.warn(w));
  return stacks.map(
    (s) =>
      new StackDeployment(`stack-${s.name}`, {
        stack: s,
        managers: ctx.managers,
        clusterId: ctx.clusterId,
        render: { traefikNetwork: ctx.traefikNetwork, traefikEntrypoint: ctx.traefikEntrypoint, traefikCertResolver: ctx.traefikCertResolver, clusterLabels: ctx.clusterLabels },
        defaults: ctx.defaults,
        converge: ctx.converge,
        dependsOn: ctx.dependsOn,
        images: ctx.images?.[s.name],
      }, opts),
  );
}

/** loadStacks then deployStacks: for callers that already registered nothing else before. */
export function createStacks(cfg: ClusterConfig, ctx: StacksContext & LoadStacksOptions, opts: pulumi.ComponentResourceOptions = {}): StackDeployment[] {
  return deployStacks(loadStacks(cfg, ctx.root, ctx), ctx, opts);
}

/** The `stacks` stack output: per stack, per service, name, mode and desired replicas. */
export function stacksOutput(deployments: StackDeployment[], stacks: PreparedStack[]): pulumi.Output<Record<string, Record<string, { name: string; mode: string; replicas?: number }>>> {
  return pulumi.all(deployments.map((d) => d.services)).apply((all) => Object.fromEntries(stacks.map((s, i) => [s.name, all[i]])));
}
