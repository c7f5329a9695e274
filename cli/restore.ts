/**
 * `npm run restore -- FILE`: rebuilds the cluster from a backup of `npm run backup`. The file is
 * checked here first (a gzip tar of swarm/ holding swarm/raft/); then `npm run up` runs with
 * SWARMLAB_RESTORE_FROM set, and the swarm bootstrap, finding no manager that holds a swarm, puts
 * the backup on the chosen manager and runs `docker swarm init --force-new-cluster` there instead
 * of a new init; the other nodes join it again. Exit code: up's; 1 when the file is refused, 2 on a
 * usage error.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { inspectArchive, parseRestoreArgs, RESTORE_USAGE } from "./lib/backupArchive";
import { sizeText } from "./lib/backupPlan";
import { runMain } from "./lib/cli";

const ROOT = path.resolve(__dirname, "..");

function main(): number {
  const args = parseRestoreArgs(process.argv.slice(2));
  if ("help" in args) {
    console.log(RESTORE_USAGE);
    return 0;
  }
  // npm runs scripts in the project folder; INIT_CWD is where the user typed the command
  const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), args.file);
  const info = inspectArchive(file);
  if (info.locked && !process.env.SWARMLAB_UNLOCK_KEY) {
    throw new Error(
      `${file} comes from a swarm with autolock on: its keys are encrypted with the swarm's unlock key. Set SWARMLAB_UNLOCK_KEY to that key (pulumi stack output unlockKey --show-secrets on the stack it was taken from), then run npm run restore again`,
    );
  }
  console.error(
    [
      `swarmlab: restoring from ${file} (${sizeText(info.size)}${info.locked ? ", autolock: unlocked with SWARMLAB_UNLOCK_KEY" : ""}).`,
      "swarmlab: npm run up runs now. When no manager of the stack holds a swarm, the backup is put on one manager",
      "swarmlab: (its own swarm state moved aside, not deleted), which becomes a new single-manager cluster with the",
      "swarmlab: backup's services, secrets, configs and networks (docker swarm init --force-new-cluster); the other",
      "swarmlab: nodes join it again. If a manager still holds a swarm, nothing is restored over it (npm run destroy first).",
    ].join("\n"),
  );
  const res = spawnSync("bash", [path.join(ROOT, "cli/up.sh")], { stdio: "inherit", env: { ...process.env, SWARMLAB_RESTORE_FROM: file } });
  if (res.error) throw new Error(`cannot run cli/up.sh: ${res.error.message}`);
  return res.status ?? 1;
}

runMain(main);
