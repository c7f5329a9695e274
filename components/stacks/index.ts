/*
 * The cluster's application stacks: every stack listed in the config (`stacks: [{name, file, ...}]`)
 * loaded and checked up front (collectStacks: pure, the valid ones and the problems of every file,
 * which the preflight reports together with the rest), then deployed once the swarm is ready
 * (deployStacks: one StackDeployment each).
 */
import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, StackRef } from "../config/cluster";
import { ConfigError, type Problem, formatPath } from "../config/errors";
import type { Stack } from "./schema";
import type { SshTarget } from "../command/ssh";
import { type RenderOptions, renderCompose } from "./compose";
import { parseStack } from "./load";
import { inlineEnvFiles } from "./envFiles";
import { planObjects, readObjectContents } from "./secrets";
import { type ConvergeOptions, type PreparedStack, StackDeployment } from "./deployment";

export { StackDeployment, type PreparedStack } from "./deployment";

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

/** A file as messages show it: relative to the project when inside it, else absolute (never `../../..`). */
export function shownPath(file: string, root: string): string {
  const rel = path.relative(root, file);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** What one stack file is deployed with: the config entry, or the file alone (npm run validate). */
export interface StackEntry {
  /** The stack's name; default: the file's `name:`, else its file name. */
  name?: string;
  file: string;
  images?: Record<string, string>;
  replicas?: Record<string, number>;
  secrets?: Record<string, string>;
  timeoutSeconds?: number;
}

export interface PrepareOptions {
  /** Project directory: the file is relative to it. */
  root: string;
  env?: Record<string, string | undefined>;
  traefikNetwork?: string;
  /** Where the entry is in the config (`Pulumi.dev.yaml`, `swarmlab:stacks[0]`), for problems of the entry itself. */
  config?: { source: string; key: string };
}

function readStackText(file: string, shown: string, entry: StackEntry, opts: PrepareOptions): string | Problem {
  const where = opts.config ? { source: opts.config.source, path: `${opts.config.key}.file` } : { source: shown, path: "" };
  try {
    if (statSync(file).isDirectory()) return { ...where, message: `${entry.file} is a directory: expected a stack file (compose YAML)` };
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : (code ?? (err as Error).message);
    return { ...where, message: `cannot read the stack file ${shown}: ${why}${opts.config ? " (the path is relative to the project)" : ""}` };
  }
}

/** Image overrides must name a service of the stack, or an image one of its services runs. */
function overrideProblems(stack: Stack, images: Record<string, string>, shown: string, config: NonNullable<PrepareOptions["config"]>): Problem[] {
  const services = Object.keys(stack.services);
  const used = new Set(Object.values(stack.services).flatMap((s) => (s.image === undefined ? [] : [s.image])));
  return Object.keys(images)
    .filter((key) => !services.includes(key) && !used.has(key))
    .map((key) => ({
      source: config.source,
      path: `${config.key}.images.${key}`,
      message: `${shown} has no service "${key}" and none of its services runs the image "${key}" (services: ${services.sort().join(", ")})`,
    }));
}

/**
 * One stack file, the way `pulumi up` deploys it: read and validated (interpolated from `env`),
 * overrides applied, env files and secret and config files read, objects named by content, and the
 * compose YAML rendered once. Returns the prepared stack, or every problem of the file.
 */
export function prepareStack(entry: StackEntry, opts: PrepareOptions): { prepared?: PreparedStack; problems: Problem[] } {
  const file = path.resolve(opts.root, entry.file);
  const shown = shownPath(file, opts.root);
  const text = readStackText(file, shown, entry, opts);
  if (typeof text !== "string") return { problems: [text] };
  try {
    const loaded = parseStack(text, shown, { name: entry.name, env: opts.env ?? {} });
    const name = loaded.name;
    const config = opts.config;
    const overridden = applyReplicas(loaded.stack, entry.replicas ?? {}, { source: config?.source ?? shown, path: [`${config?.key ?? ""}`, "replicas"], file: shown });
    const inlined = inlineEnvFiles(overridden.stack, file, shown, opts.env);
    const read = readObjectContents(inlined.stack, file, { values: entry.secrets, env: opts.env });
    const planned = planObjects(name, inlined.stack, read.contents, shown);
    const problems = [
      ...(config ? overrideProblems(loaded.stack, entry.images ?? {}, shown, config) : []),
      ...overridden.problems,
      ...inlined.problems,
      ...read.problems.map((p) => ({ ...p, source: shown })),
      ...planned.problems,
    ];
    if (problems.length) return { problems };
    // a service with build: gets the image swarmlab builds (services/build.ts), known only later
    const built = Object.fromEntries(Object.entries(planned.stack.services).flatMap(([svc, s]) => (s.build === undefined ? [] : [[svc, `${name}/${svc}:pending`]])));
    renderCompose(planned.stack, { name, source: shown, images: { ...built, ...entry.images }, traefikNetwork: opts.traefikNetwork });
    const prepared: PreparedStack = {
      name,
      file: shown,
      stack: planned.stack,
      uploads: planned.uploads,
      images: entry.images ?? {},
      ...(entry.timeoutSeconds ? { timeoutSeconds: entry.timeoutSeconds } : {}),
      warnings: loaded.warnings,
    };
    return { prepared, problems: [] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { problems: err.problems };
  }
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
  const source = opts.configSource ?? "swarmlab config";
  const traefikNetwork = opts.traefikNetwork ?? (cfg.traefik.enabled ? cfg.traefik.network : undefined);
  const problems: Problem[] = [];
  const prepared: PreparedStack[] = [];
  cfg.stacks.forEach((ref: StackRef, i) => {
    const one = prepareStack(ref, { root, env: opts.env ?? {}, traefikNetwork, config: { source, key: `swarmlab:stacks[${i}]` } });
    problems.push(...one.problems);
    if (one.prepared) prepared.push(one.prepared);
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
  /** What must exist before any stack deploys: the ready swarm, networks, images (the registry when they use it). */
  dependsOn: pulumi.Resource[];
  converge?: ConvergeOptions;
  /** Per stack name: image overrides known only later (images swarmlab built and pushed, by digest). */
  images?: Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>;
}

/** Every image reference the stacks run (their services' images and the overrides). */
export function stackImages(stacks: PreparedStack[]): string[] {
  return stacks.flatMap((s) => [...Object.values(s.stack.services).flatMap((svc) => (svc.image === undefined ? [] : [svc.image])), ...Object.values(s.images)]);
}

/** The port of the registry an image reference names (`10.0.0.5:5000/app:1` -> 5000), if any. */
export function registryPort(image: string): number | undefined {
  // (docker reads a first path component with a port as a registry host)
  const m = /^[^/]+:(\d+)\//.exec(image);
  return m ? Number(m[1]) : undefined;
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

/** The `stacks` stack output: per stack, per service, name, mode and desired replicas. */
export function stacksOutput(deployments: StackDeployment[], stacks: PreparedStack[]): pulumi.Output<Record<string, Record<string, { name: string; mode: string; replicas?: number }>>> {
  return pulumi.all(deployments.map((d) => d.services)).apply((all) => Object.fromEntries(stacks.map((s, i) => [s.name, all[i]])));
}
