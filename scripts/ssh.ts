/**
 * `npm run ssh -- [node] [command...]`: a shell (or one command) on a node, the way the classic lab
 * does `vagrant ssh docker.lan`. Default node: the leader. Examples:
 *   npm run ssh                      # shell on the leader
 *   npm run ssh -- docker node ls    # a command on the leader
 *   npm run ssh -- worker1 docker ps # a command on worker1
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

interface Row { name: string; address: string; sshPort: number }

function stackOutputs(): Record<string, unknown> {
  const root = path.resolve(__dirname, "..");
  const json = execFileSync("bash", [path.join(root, "scripts/pulumi.sh"), "stack", "output", "--json", "--show-secrets"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(json) as Record<string, unknown>;
}

function main(argv: string[]): number {
  const out = stackOutputs();
  const nodes = (out.nodes ?? []) as Row[];
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
    const args = ["-i", key, "-p", String(node.sshPort), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"];
    if (!command.length) args.push("-t");
    const res = spawnSync("ssh", [...args, `root@${node.address}`, ...command], { stdio: "inherit" });
    return res.status ?? 1;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main(process.argv.slice(2));
