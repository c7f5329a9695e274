/**
 * `npm run ssh -- [NODE | --node NODE] [COMMAND...]`: a shell (or one command) on a node, the way
 * the classic lab does `vagrant ssh docker.lan`, connected as Pulumi connects (the node's user,
 * port, bastion and key). Default node: the leader, by name, or the next manager that answers
 * when the leader does not (it may be the very node that is down). Examples:
 *   npm run ssh                      # shell on the leader
 *   npm run ssh -- docker node ls    # a command on the leader
 *   npm run ssh -- worker1 docker ps # a command on worker1
 */
import { spawnSync } from "child_process";
import { parseSshArgs, SSH_USAGE } from "./lib/args";
import { runMain } from "./lib/cli";
import { withSshFiles } from "./lib/connect";
import { failureReport, firstAnswer } from "./lib/askManagers";
import { chooseNode, leaderName, managersLeaderFirst, nodeConnections, type NodeConnection } from "./lib/nodes";
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
  const nodes = nodeConnections(outputs());
  let node = chooseNode(nodes, leaderName(outputs()), request.node);
  if (request.node === undefined && node.role === "manager") {
    // a quick `true` on each manager, the leader first: the first that answers over SSH
    const probe = (n: NodeConnection) => withSshFiles(n, (files) => spawnSync("ssh", sshArgv(n, files, { command: ["true"] }), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
    const answer = await firstAnswer(managersLeaderFirst(nodes, node.name), probe);
    if (!answer.from) {
      const report = failureReport(answer.failed, outputs().cluster);
      console.error(`swarmlab: ${report.message}`);
      return report.code;
    }
    if (answer.from !== node) console.error(`swarmlab: ${node.name} (the leader) does not answer over SSH; on ${answer.from.name} instead`);
    node = answer.from;
  }
  const session = request.command.length ? { command: request.command } : { shell: true as const };
  return withSshFiles(node, (files) => spawnSync("ssh", sshArgv(node, files, session), { stdio: "inherit" }).status ?? 1);
}

runMain(() => main(process.argv.slice(2)));
