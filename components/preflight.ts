/*
 * Everything swarmlab checks before it registers a single resource, in one place and in this
 * order: first every input (the config, the manager set against the last deployment, every stack
 * file, what the stacks ask of the cluster, builds, the registry's certificate files), all reported
 * at once; then, only once the input is valid, what this machine must have (Vagrant and its
 * provider, the images to side-load, the ssh hosts' key file) and last the one probe that runs something (the throw-away
 * container of `hosts.privileged: auto`). Each failure is a ConfigError: one line per problem.
 */
import { type ClusterConfig, visualizerWarnings } from "./config/cluster";
import type { SshHosts } from "./config/hosts";
import { crossCheck } from "./stacks/crossChecks";
import { ConfigError, gatherProblems, type Problem } from "./config/errors";
import { configWarnings, loadClusterConfig } from "./config/load";
import { engineAcceptsPrivilegedRemembered } from "./hosts/dockerLab";
import { loadPrivateKey } from "./hosts/ssh";
import { type Probe, vagrantPrerequisites } from "./hosts/vagrantPrerequisites";
import { type BuildPlan, planBuilds } from "./stacks/build";
import { checkLocalImages, localImageId } from "./addons/images";
import { type RegistryTlsMaterial, readRegistryTls } from "./addons/registryTls";
import { collectStacks, type PreparedStack } from "./stacks";
import { checkQuorum } from "./swarm/quorum";

/** What the environment checks ask of this machine; tests replace them. */
export interface EnvironmentProbes {
  /** `docker run --privileged` works on the lab's engine (hosts.privileged: auto). */
  privileged?: (image: string, env: NodeJS.ProcessEnv, source: string) => boolean;
  /** Runs a command for the Vagrant prerequisites. */
  vagrant?: Probe;
  /** The ID of a local image, or nothing. */
  imageId?: (image: string) => string | undefined;
}

export interface PreflightOptions {
  /** The config file, as named in messages (`Pulumi.dev.yaml`). */
  source: string;
  /** The project: stack files and certificate files are relative to it. */
  root: string;
  env: NodeJS.ProcessEnv;
  /** The managers of the last deployment of this stack (none on the first run). */
  previousManagers: () => Promise<string[]>;
  probes?: EnvironmentProbes;
}

export interface Checked {
  /** The config, with `hosts.privileged: auto` resolved. */
  cfg: ClusterConfig;
  stackFiles: PreparedStack[];
  builds: BuildPlan[];
  registryTls?: RegistryTlsMaterial;
  /** Local image ID of each side-loaded image. */
  sideLoadIds: Record<string, string>;
  warnings: string[];
}

/** The input checks: every problem of the user's files at once, nothing run anywhere. */
async function checkInput(raw: Record<string, string>, opts: PreflightOptions): Promise<Omit<Checked, "sideLoadIds">> {
  const { source, root } = opts;
  const warnings = configWarnings(raw, source);
  const cfg = loadClusterConfig(raw, source); // first: the rest depends on it
  const quorum = checkQuorum(await opts.previousManagers(), cfg.nodes);
  warnings.push(...quorum.warnings, ...visualizerWarnings(cfg, source));
  const problems: Problem[] = quorum.errors.map((message) => ({ source, path: "swarmlab:nodes", message }));
  const { prepared: stackFiles, problems: stackProblems } = collectStacks(cfg, root, { configSource: source, env: opts.env });
  problems.push(...stackProblems, ...crossCheck(cfg, stackFiles));
  // services with `build:` are built and pushed to the cluster registry: refused here without one
  const builds = gatherProblems(problems, () => planBuilds(stackFiles, { root, registryEnabled: cfg.registry.enabled }), []);
  const registryTls = cfg.registry.enabled ? gatherProblems(problems, () => readRegistryTls(cfg.registry.tls, { root, source }), undefined) : undefined;
  if (problems.length) throw new ConfigError(problems);
  return { cfg, stackFiles, builds, registryTls, warnings };
}

/** What this machine must have for this config; the probe that runs a container comes last, alone. */
function checkEnvironment(cfg: ClusterConfig, opts: PreflightOptions): { cfg: ClusterConfig; sideLoadIds: Record<string, string> } {
  const { source, probes = {} } = opts;
  const problems: Problem[] = [];
  if (cfg.hosts.kind === "vagrant") {
    problems.push(...vagrantPrerequisites(cfg.hosts.provider, probes.vagrant).map((message) => ({ source, path: "", message })));
  }
  if (cfg.hosts.kind === "ssh") gatherProblems(problems, () => loadPrivateKey(cfg.hosts as SshHosts, opts.root, source), "");
  const sideLoadIds = gatherProblems(problems, () => checkLocalImages(cfg.images.sideLoad, source, probes.imageId ?? localImageId), {});
  if (problems.length) throw new ConfigError(problems);
  const h = cfg.hosts;
  if (h.kind !== "docker-lab" || h.privileged !== "auto") return { cfg, sideLoadIds };
  const lab = h.dockerHost ? { ...opts.env, DOCKER_HOST: h.dockerHost } : opts.env;
  const privileged = (probes.privileged ?? engineAcceptsPrivilegedRemembered)(h.image, lab, source);
  return { cfg: { ...cfg, hosts: { ...h, privileged } }, sideLoadIds };
}

/** Runs every check, input first; returns what the program builds from, or throws one ConfigError. */
export async function preflight(raw: Record<string, string>, opts: PreflightOptions): Promise<Checked> {
  const input = await checkInput(raw, opts);
  const environment = checkEnvironment(input.cfg, opts);
  return { ...input, ...environment };
}
