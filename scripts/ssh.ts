/**
 * `npm run ssh -- [node] [command...]`: a shell (or one command) on a node, the way the classic lab
 * does `vagrant ssh docker.lan`. Default node: the leader. Examples:
 *   npm run ssh                      # shell on the leader
 *   npm run ssh -- docker node ls    # a command on the leader
 *   npm run ssh -- worker1 docker ps # a command on worker1
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { type NodeRow, sshOptions, stackOutputs } from "./outputs";

function main(argv: string[]): number {
  const out = stackOutputs();
  const nodes = (out.nodes ?? []) as NodeRow[];
  if (!nodes.length || !out.sshPrivateKey) {
    console.error("swarmlab: the stack has no nodes yet: run npm run up first");
    return 1;
  }
  const named = nodes.find((n) => n.name === argv[0]);
  const node = named ?? nodes.find((n) => n.address === out.leaderAddress) ?? nodes[0];
  const command = named ? argv.slice(1) : argv;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-ssh-"));
  const key = path.join(dir, "id");
  fs.writeFileSync(key, String(out.sshPrivateKey), { mode: 0o600 });
  try {
    const args = sshOptions(key, node.sshPort);
    if (!command.length) args.push("-t");
    const res = spawnSync("ssh", [...args, `root@${node.address}`, ...command], { stdio: "inherit" });
    return res.status ?? 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv.slice(2));
