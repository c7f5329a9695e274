/**
 * The swarm of the cluster as a resource: surveys every manager, unlocks the ones that restarted
 * locked, acts on the decision (decision.ts: keep, initialise, force a new cluster, or restore a
 * backup), applies the day-2 settings and rotations (settings.ts), and records the swarm's ID,
 * join tokens and unlock key.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { runOnce, runPlanned } from "../command/run";
import { redact, sameReach, type SshTarget } from "../command/ssh";
import { parseKeyValues } from "../command/shell";
import { providerStub } from "../command/stub";
import { restoreScript } from "./backup";
import { isLockedBackup, unlockBackup } from "./unlockBackup";
import { actScript, decideSwarm, parseSurvey, surveyScript, type Decision, type ManagerReport } from "./decision";
import { applyScript, parseSpec, rotationsDue, unlockScript, updateFlags, type Rotations, type SwarmSettings } from "./settings";

export interface BootstrapManager {
  name: string;
  connection: SshTarget;
  advertiseAddress: string;
}

export interface BootstrapInputs {
  managers: BootstrapManager[];
  defaultAddrPool?: string;
  dataPathPort?: number;
  forceNewCluster: boolean;
  /** Day-2 settings (absent in the state of versions before them). */
  settings?: SwarmSettings;
  rotate?: Rotations;
  /** How long to wait for silent managers before refusing to decide. */
  waitSeconds: number;
  sshRetrySeconds: number;
}

export interface BootstrapOutputs extends BootstrapInputs {
  clusterId: string;
  worker: string;
  manager: string;
  /** The unlock key ("" without autolock). */
  unlockKey?: string;
  /** What the last run that changed something did, for the `swarm` output. */
  event: string;
}

async function survey(managers: BootstrapManager[]): Promise<ManagerReport[]> {
  return Promise.all(managers.map(async (m) => parseSurvey(m.name, await runOnce(m.connection, surveyScript(), { timeoutSeconds: 90 }))));
}

/**
 * Surveys until the decision no longer waits on silent managers (or `waitSeconds` ran out); `first`:
 * a survey already made. Returns the last reports with the decision.
 */
async function decide(inputs: BootstrapInputs, recorded?: string, first?: ManagerReport[]): Promise<{ d: Decision; reports: ManagerReport[] }> {
  const deadline = Date.now() + inputs.waitSeconds * 1000;
  const pause = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
  let reports = first ?? (await survey(inputs.managers));
  for (;;) {
    let d = decideSwarm(reports, { ...inputs, recorded });
    // No leader right now is also what an election looks like for a few seconds: a verdict of lost
    // quorum (a refusal, or forcing a new cluster) must hold over 20 s before it is acted on.
    for (let i = 0; i < 2 && isHeadless(d); i++) {
      await pause(10);
      reports = await survey(inputs.managers);
      d = decideSwarm(reports, { ...inputs, recorded });
    }
    if (d.action !== "wait" || Date.now() > deadline) return { d, reports };
    await pause(surveyPauseSeconds(inputs.waitSeconds - (deadline - Date.now()) / 1000));
    reports = await survey(inputs.managers);
  }
}

/**
 * The pause before surveying silent managers again, `elapsed` seconds into the wait: new nodes'
 * sshd answers within seconds of their start (a lab from nothing surveys them as they boot), so
 * the first 15 s are polled every half second; after that, every 3 s.
 */
export function surveyPauseSeconds(elapsed: number): number {
  return elapsed < 15 ? 0.5 : 3;
}

function isHeadless(d: Decision): boolean {
  return d.action === "force" || (d.action === "refuse" && d.message.startsWith("the swarm has lost its Raft quorum"));
}

/** The key that unlocks a manager that restarted locked: the one this stack recorded, else the user's. */
function unlockKeyFor(olds?: Partial<BootstrapOutputs>): string | undefined {
  return olds?.unlockKey || process.env.SWARMLAB_UNLOCK_KEY || undefined;
}

/** Unlocks every locked manager (before anything else runs on it); the ones that do not answer are left to the decision. */
async function unlockLocked(managers: BootstrapManager[], key: string): Promise<void> {
  const results = await Promise.all(managers.map(async (m) => ({ m, res: await runOnce(m.connection, unlockScript(), { stdin: `${key}\n`, timeoutSeconds: 120 }) })));
  for (const { m, res } of results) {
    if (res.code === 0 && res.stdout.includes("unlocked=yes")) pulumi.log.info(`swarm: ${m.name} had restarted locked (autolock): unlocked`);
    // (a manager that does not answer is the decision's business)
    else if (res.code !== 0 && res.stderr.includes("docker swarm unlock on")) {
      throw new Error(redact(`swarm: ${res.stderr.trim().split("\n").pop()} (is the unlock key right? the stack's unlockKey output, or SWARMLAB_UNLOCK_KEY)`, [key]));
    }
  }
}

/** The archive `npm run restore` asked for (SWARMLAB_RESTORE_FROM), refused unless no manager holds a swarm. */
function restoreFrom(d: Decision): string | undefined {
  const file = process.env.SWARMLAB_RESTORE_FROM;
  if (!file) return undefined;
  if (d.action !== "init") {
    throw new Error(
      `swarm: restore rebuilds a cluster none of whose managers holds a swarm, but ${d.action === "use" ? `${d.on} holds the live swarm ${d.cluster}` : "the managers hold one"}: ` +
        `swarmlab restores nothing over it. Run npm run destroy first (or docker swarm leave --force on every node), then npm run restore again`,
    );
  }
  return file;
}

/**
 * The manager a backup was taken on, when it is one of ours (`npm run backup` ends the file name
 * with it): restored there, the node keeps its own swarm identity instead of another's.
 */
function backedUpOn(file: string, managers: BootstrapManager[]): BootstrapManager | undefined {
  const base = file.split("/").pop() ?? "";
  return managers.find((m) => base.endsWith(`-${m.name}.tar.gz`));
}

/**
 * Puts the backup in place on the chosen manager (dockerd stopped meanwhile). A backup of a swarm
 * with autolock is opened here first with SWARMLAB_UNLOCK_KEY (unlockBackup.ts): Docker cannot
 * force a new cluster from an encrypted state (moby/moby#36852). Returns whether it was locked.
 */
async function restoreOn(m: BootstrapManager, file: string): Promise<{ locked: boolean }> {
  let archive: Buffer = fs.readFileSync(file);
  const locked = isLockedBackup(archive);
  if (locked) {
    const key = process.env.SWARMLAB_UNLOCK_KEY;
    if (!key) throw new Error(`swarm: the backup ${file} is of a swarm with autolock: set SWARMLAB_UNLOCK_KEY to its unlock key (the unlockKey output of the stack it came from) and run npm run restore again`);
    try {
      archive = unlockBackup(archive, key);
    } catch (e) {
      throw new Error(redact(`swarm: ${(e as Error).message}`, [key]));
    }
  }
  const res = await runOnce(m.connection, restoreScript(), { stdin: archive.toString("base64"), timeoutSeconds: 300 });
  if (res.code !== 0) throw new Error(`swarm: restoring ${file} on ${m.name} failed: ${res.stderr.trim().split("\n").pop()}`);
  return { locked };
}

async function converge(inputs: BootstrapInputs, olds?: BootstrapOutputs): Promise<BootstrapOutputs> {
  const key = unlockKeyFor(olds);
  if (key) await unlockLocked(inputs.managers, key);
  const { d: decided, reports } = await decide(inputs, olds?.clusterId);
  if (decided.action === "refuse" || decided.action === "wait") throw new Error(`swarm: ${decided.message}`);
  const restore = restoreFrom(decided);
  const m = (restore && backedUpOn(restore, inputs.managers)) || (inputs.managers.find((x) => x.name === decided.on) as BootstrapManager);
  const restored = restore ? await restoreOn(m, restore) : undefined;
  // a restored swarm is forced into a new cluster of this manager alone; the other nodes join it
  const d: Decision & { action: "use" | "init" | "force" } = restore ? { action: "force", on: m.name, others: [] } : decided;
  const settings = inputs.settings ?? { autolock: false };
  const live = d.action === "use" ? parseSpec(reports.find((r) => r.name === m.name)?.spec) : restored ? { autolock: restored.locked } : undefined;
  // a swarm made (or restored) by this run has fresh tokens and keys: its triggers are only recorded
  const then = applyScript(updateFlags(settings, live), olds ? rotationsDue(olds.rotate, inputs.rotate) : [], { autolock: settings.autolock, waitSeconds: inputs.waitSeconds });
  let res;
  try {
    res = await runPlanned({ targets: [m.connection], retrySeconds: inputs.sshRetrySeconds }, actScript(d, { ...m, autolock: restored?.locked }, then, settings.autolock), (t, s) => runOnce(t, s, { timeoutSeconds: 180 + inputs.waitSeconds }));
  } catch (e) {
    throw new Error(redact(`swarm: ${d.action === "use" ? "reading the join tokens" : d.action === "init" ? "docker swarm init" : "docker swarm init --force-new-cluster"} on ${m.name} failed${(e as Error).message}`));
  }
  for (const line of (res?.stderr ?? "").split("\n").filter((l) => l.startsWith("the CA rotation"))) pulumi.log.warn(`swarm: ${line}`);
  if (d.action === "force" && !restore) {
    // the other survivors hold a stale copy of the swarm now: they leave, and their joins bring them back
    await Promise.all(inputs.managers.filter((x) => d.others.includes(x.name)).map((x) => runOnce(x.connection, "docker swarm leave --force >/dev/null 2>&1 || true", { timeoutSeconds: 120 })));
  }
  const kv = parseKeyValues(res?.stdout ?? "");
  const event = restore
    ? `restored from ${restore} on ${m.name} at ${new Date().toISOString()}`
    : d.action === "init"
      ? `initialised on ${m.name}`
      : d.action === "force"
        ? `recovered on ${m.name} with docker swarm init --force-new-cluster at ${new Date().toISOString()}`
        : `kept (held by ${m.name})`;
  if (d.action !== "use") pulumi.log.info(`swarm ${kv.cluster}: ${event}`);
  return { ...inputs, clusterId: kv.cluster, worker: kv.worker, manager: kv.manager, unlockKey: kv.unlock ?? "", event };
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const bootstrapProvider: pulumi.dynamic.ResourceProvider<BootstrapInputs, BootstrapOutputs> = {
  async create(inputs) {
    const outs = await converge(inputs);
    return { id: `swarm-${outs.clusterId}`, outs };
  },

  // The swarm the managers hold now against the one recorded: the same swarm is no change, whichever
  // manager answered. A decision that refuses fails the preview, before anything is changed. The
  // day-2 settings are compared with the live spec (a change made by hand is put back), rotation
  // triggers with the recorded ones; a manager that restarted locked is a change when its key is known.
  async diff(_id, olds, news) {
    // (how long to wait or retry is no change to the swarm)
    const keys: (keyof BootstrapInputs)[] = ["managers", "defaultAddrPool", "dataPathPort", "forceNewCluster"];
    const inputsChanged = keys.some((k) => !sameReach(olds[k], news[k]));
    if (JSON.stringify({ ...news, __provider: undefined }).includes(UNKNOWN)) return { changes: inputsChanged };
    const first = await survey(news.managers);
    if (unlockKeyFor(olds) && first.some((r) => r.state === "locked")) return { changes: true };
    // Silent managers may come back through this very plan (a stopped lab node is started again
    // before this resource runs): the update decides then, waiting for them as a create does, and
    // refuses with the same words if they stay silent. Nothing is initialised on a guess either way.
    if (decideSwarm(first, { ...news, recorded: olds.clusterId }).action === "wait") return { changes: true };
    const { d, reports } = await decide(news, olds.clusterId, first);
    if (d.action === "refuse" || d.action === "wait") throw new Error(`swarm: ${d.message}`);
    if (restoreFrom(d)) return { changes: true };
    const live = d.action === "use" ? parseSpec(reports.find((r) => r.name === d.on)?.spec) : undefined;
    const settingsDiffer = updateFlags(news.settings ?? { autolock: false }, live).length > 0;
    const rotations = rotationsDue(olds.rotate, news.rotate).length > 0;
    return { changes: inputsChanged || d.action !== "use" || d.cluster !== olds.clusterId || settingsDiffer || rotations };
  },

  async update(_id, olds, news) {
    return { outs: await converge(news, olds) };
  },
  // Nothing to undo: each node leaves the swarm through its own join's delete.
};

export type SwarmBootstrapArgs = { [K in keyof BootstrapInputs]: pulumi.Input<BootstrapInputs[K]> };

/** The swarm of the cluster: kept, initialised or (on request) forced into a new cluster; its ID and join tokens. */
export class SwarmBootstrap extends pulumi.dynamic.Resource {
  declare readonly clusterId: pulumi.Output<string>;
  declare readonly worker: pulumi.Output<string>;
  declare readonly manager: pulumi.Output<string>;
  declare readonly event: pulumi.Output<string>;
  declare readonly unlockKey: pulumi.Output<string | undefined>;

  constructor(name: string, args: SwarmBootstrapArgs, opts: pulumi.CustomResourceOptions = {}) {
    // The state keeps a stub that loads this file's provider at each run (command/stub.ts).
    super(providerStub(bootstrapProvider, "components/swarm/bootstrap.ts", "bootstrapProvider"), name, { ...args, clusterId: undefined, worker: undefined, manager: undefined, unlockKey: undefined, event: undefined }, { ...opts, additionalSecretOutputs: ["managers", "worker", "manager", "unlockKey"] }, "swarmlab", "SwarmBootstrap");
  }
}
