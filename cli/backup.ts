/**
 * `npm run backup [-- --accept-outage] [--out DIR]`: one manager's swarm state (/var/lib/docker/swarm)
 * into backups/<cluster>-<UTC time>-<node>.tar.gz. The manager is chosen so that its brief stop keeps
 * the Raft quorum (see lib/backupPlan.ts); it is waited for until the swarm lists it Ready and
 * Reachable again, and unlocked with the stack's unlock key when autolock left it locked.
 * Exit 0 with the file's path on the last stdout line; 1 on an error, 2 on a usage error or when
 * no manager answers over SSH.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { backupScript } from "../components/swarm/backup";
import { remoteCommand } from "../components/command/ssh";
import { failureReport, firstAnswer, noSshAnswer, type RunResult } from "./lib/askManagers";
import { inspectArchive } from "./lib/backupArchive";
import { AUTOLOCK_NOTE, BACKUP_USAGE, backupFileName, managerIsBack, NODE_LS_SCRIPT, parseBackupArgs, planBackup, sizeText, swarmManagers } from "./lib/backupPlan";
import { runMain } from "./lib/cli";
import { withSshFiles } from "./lib/connect";
import { leaderName, managersLeaderFirst, nodeConnections, type NodeConnection } from "./lib/nodes";
import { sshArgv } from "./lib/sshArgv";
import { readStackOutputs } from "./lib/stackOutputs";
import { parseSwarmState, STATE_SCRIPT } from "./lib/swarmState";

const ROOT = path.resolve(__dirname, "..");
const BACK_TIMEOUT_MS = 180_000;

/** Runs a script on a node over ssh; `input` goes to its stdin (a secret there stays out of argv and logs). */
function runOn(node: NodeConnection, script: string, input?: string): Promise<RunResult> {
  return withSshFiles(node, (files) => {
    const res = spawnSync("ssh", sshArgv(node, files, { command: [script] }), { encoding: "utf8", input, maxBuffer: 64 * 2 ** 20 });
    if (res.error) throw new Error(`cannot run ssh: ${res.error.message} (is the OpenSSH client installed?)`);
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  });
}

/** Runs a script on a node with its stdout written to `file` (mode 0600) as it comes. */
function runToFile(node: NodeConnection, script: string, file: string): Promise<RunResult> {
  return withSshFiles(
    node,
    (files) =>
      new Promise<RunResult>((resolve, reject) => {
        const fd = fs.openSync(file, "w", 0o600);
        const child = spawn("ssh", sshArgv(node, files, { command: [script] }), { stdio: ["ignore", fd, "pipe"] });
        let stderr = "";
        child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", (e) => {
          fs.closeSync(fd);
          reject(new Error(`cannot run ssh: ${e.message} (is the OpenSSH client installed?)`));
        });
        child.on("close", (status) => {
          fs.closeSync(fd);
          resolve({ status, stdout: "", stderr });
        });
      }),
  );
}

const lastLine = (s: string) => s.trim().split("\n").filter(Boolean).pop() ?? "";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Until the swarm lists `node` Ready and Reachable, asked through another manager first (its own
 * view says nothing while it is locked or still catching up). A manager that comes back locked is
 * unlocked once, with the key on stdin.
 */
async function waitUntilBack(node: NodeConnection, managers: NodeConnection[], unlockKey: string | undefined): Promise<void> {
  const askers = [...managers.filter((m) => m !== node), node];
  const end = Date.now() + BACK_TIMEOUT_MS;
  let unlocked = false;
  let last = "";
  while (Date.now() < end) {
    const own = await runOn(node, remoteCommand("docker info --format '{{.Swarm.LocalNodeState}}'"));
    if (own.status === 0 && own.stdout.trim() === "locked" && !unlocked) {
      if (!unlockKey) throw new Error(`${node.name} came back locked (autolock) and the stack has no unlockKey output: unlock it with npm run ssh -- ${node.name} docker swarm unlock (the key: docker swarm unlock-key on another manager)`);
      const res = await runOn(node, remoteCommand("docker swarm unlock >/dev/null"), `${unlockKey}\n`);
      if (res.status !== 0) throw new Error(`${node.name} came back locked and docker swarm unlock failed: ${lastLine(res.stderr) || `exit ${res.status}`}`);
      console.log(`${node.name} came back locked (autolock): unlocked with the stack's unlock key`);
      unlocked = true;
    }
    const seen = await firstAnswer(askers, (m) => runOn(m, remoteCommand(NODE_LS_SCRIPT)));
    if (seen.from && managerIsBack(seen.stdout, node.name)) return;
    last = seen.from ? (seen.stdout.split("\n").find((l) => l.startsWith(`${node.name}|`)) ?? "not listed") : "no manager answered";
    await sleep(2000);
  }
  throw new Error(`${node.name} is not back as a Ready, Reachable manager ${BACK_TIMEOUT_MS / 1000} s after its backup (last seen: ${last}); npm run status shows the swarm`);
}

async function main(): Promise<number> {
  const args = parseBackupArgs(process.argv.slice(2));
  if ("help" in args) {
    console.log(BACKUP_USAGE);
    return 0;
  }
  const out = readStackOutputs();
  const nodes = nodeConnections(out);
  if (!nodes.length) throw new Error("the stack has no cluster yet: run npm run up");
  const managers = managersLeaderFirst(nodes, leaderName(out));
  const answer = await firstAnswer(managers, (n) => runOn(n, STATE_SCRIPT));
  if (!answer.from) {
    const report = failureReport(answer.failed, out.cluster);
    console.error(`swarmlab: ${report.message}`);
    return report.code;
  }
  const state = parseSwarmState(answer.stdout);
  const configured = nodes.filter((n) => n.role === "manager").map((n) => n.name);
  const plan = planBackup(swarmManagers(state.nodes), configured, args);
  if ("refuse" in plan) throw new Error(`no backup: ${plan.refuse}`);
  if (plan.outage) console.error(`swarmlab: --accept-outage: ${plan.outage}`);
  const node = nodes.find((n) => n.name === plan.node);
  if (!node) throw new Error(`${plan.node} is not in the stack's nodes`);

  // npm runs scripts in the project folder; INIT_CWD is where the user typed the command
  const dir = args.out ? path.resolve(process.env.INIT_CWD ?? process.cwd(), args.out) : path.join(ROOT, "backups");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, backupFileName(out.cluster, node.name, new Date()));
  const partial = `${file}.partial`;
  console.log(`backing up ${node.name} (cluster ${out.cluster}): its engine stops for a few seconds`);
  try {
    const res = await runToFile(node, remoteCommand(backupScript()), partial);
    if (res.status !== 0) {
      const why = noSshAnswer(res) ? `no SSH answer or the connection broke (${lastLine(res.stderr)})` : lastLine(res.stderr) || `exit ${res.status}`;
      throw new Error(`the backup on ${node.name} failed: ${why}`);
    }
    fs.renameSync(partial, file);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  const info = inspectArchive(file);
  try {
    await waitUntilBack(node, managers, process.env.SWARMLAB_UNLOCK_KEY || out.unlockKey || undefined);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)} (the backup itself is written: ${file})`);
  }
  console.log(`${node.name} is back in the swarm (Ready, Reachable)`);
  console.log(`backup: ${sizeText(info.size)}`);
  if (out.autolock || info.locked) console.log(AUTOLOCK_NOTE);
  console.log(file);
  return 0;
}

runMain(main);
