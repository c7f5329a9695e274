/**
 * `npm run ssh -- [NODE | --node NODE] [COMMAND...]`: a shell (or one command) on a node, the way
 * the classic lab does `vagrant ssh docker.lan`, connected as Pulumi connects (the node's user,
 * port, bastion and key). Default node: the leader, by name. Examples:
 *   npm run ssh                      # shell on the leader
 *   npm run ssh -- docker node ls    # a command on the leader
 *   npm run ssh -- worker1 docker ps # a command on worker1
 */
import { spawnSync } from "child_process";
import { parseSshArgs, SSH_USAGE } from "./lib/args";
import { runMain } from "./lib/cli";
import { withSshFiles } from "./lib/connect";
import { chooseNode, leaderName, nodeConnections } from "./lib/nodes";
import { sshArgv } from "./lib/sshArgv";
import { readStackOutputs, type StackOutputs } from "./lib/stackOutputs";

async function main(argv: string[]): Promise<number> {
  let read: StackOutputs | undefined;
  const outputs = () => (read ??= readStackOutputs());
  const request = parseSshArgs(argv, () => outputs().nodes.map((n) => n.name));
  if ("help" in request) {
    console.log(SSH_USAGE);
    return 0;
  }
  const node = chooseNode(nodeConnections(outputs()), leaderName(outputs()), request.node);
  const session = request.command.length ? { command: request.command } : { shell: true as const };
  return withSshFiles(node, (files) => spawnSync("ssh", sshArgv(node, files, session), { stdio: "inherit" }).status ?? 1);
}

runMain(() => main(process.argv.slice(2)));
