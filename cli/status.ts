/**
 * `npm run status`: the cluster as it really is, read from the swarm (not from Pulumi's records):
 * nodes, services per stack with the node of each task, the URLs of the cluster services and the
 * Traefik routes, and whether they answer. The recorded leader is asked first, then the other
 * managers; when none answers over SSH it says the cluster is unreachable (exit 2).
 */
import { spawn, spawnSync } from "child_process";
import { failureReport, firstAnswer, noSshAnswer, type RunResult } from "./lib/askManagers";
import { runMain } from "./lib/cli";
import { withSshFiles } from "./lib/connect";
import { httpStatus, type Probe } from "./lib/httpProbe";
import { describeConnection, leaderName, managersLeaderFirst, nodeConnections, type NodeConnection } from "./lib/nodes";
import { traefikRoutes } from "./lib/routes";
import { sshArgv } from "./lib/sshArgv";
import { missingNodes, NODE_HEADER, nodeRows, renderTable, SERVICE_HEADER, serviceRows, swarmLeader, unreachableManagers } from "./lib/statusTables";
import { readStackOutputs, type StackOutputs } from "./lib/stackOutputs";
import { parseSwarmState, STATE_SCRIPT, type SwarmState } from "./lib/swarmState";

function askNode(node: NodeConnection): Promise<RunResult> {
  return withSshFiles(node, (files) => {
    const res = spawnSync("ssh", sshArgv(node, files, { command: [STATE_SCRIPT] }), { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
    if (res.error) throw new Error(`cannot run ssh: ${res.error.message} (is the OpenSSH client installed?)`);
    return { status: res.status, stdout: res.stdout, stderr: res.stderr };
  });
}

/** Which of these managers restarted locked (autolock): each asked for its own swarm state, in parallel. */
async function lockedManagers(managers: NodeConnection[]): Promise<string[]> {
  const ask = (node: NodeConnection) =>
    withSshFiles(node, (files) => new Promise<string>((resolve) => {
      const child = spawn("ssh", sshArgv(node, files, { command: ["docker info --format '{{.Swarm.LocalNodeState}}'"] }), { stdio: ["ignore", "pipe", "ignore"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("error", () => resolve(""));
      child.on("close", () => resolve(out.trim()));
    }));
  const states = await Promise.all(managers.map(ask));
  return managers.filter((_, i) => states[i] === "locked").map((n) => n.name);
}

/**
 * The URL rows: the cluster services' own URLs, then the Traefik routes, checked through Traefik's
 * address with their Host header (their names need not be in any DNS yet).
 */
async function urlRows(out: StackOutputs, state: SwarmState): Promise<{ rows: string[][]; via?: string }> {
  const ca = out.registryCa || undefined;
  const via = out.urls.traefik ? new URL(out.urls.traefik).hostname : undefined;
  const probes: [string, string, Probe | undefined][] = [
    ...Object.entries(out.urls).map(([name, url]): [string, string, Probe] => [name, url, { url, ca }]),
    ...traefikRoutes(state.services).map((r): [string, string, Probe | undefined] => [r.service, r.url, via ? { url: r.url, connectTo: via, insecure: true } : undefined]),
  ];
  const rows = await Promise.all(probes.map(async ([name, url, probe]) => [name, url, probe ? await httpStatus(probe) : "not checked (no Traefik URL)"]));
  return { rows, via };
}

async function main(): Promise<number> {
  const out = readStackOutputs();
  const nodes = nodeConnections(out);
  if (!nodes.length) {
    console.error("swarmlab: the stack has no cluster yet: run npm run up");
    return 1;
  }
  const leader = leaderName(out);
  const answer = await firstAnswer(managersLeaderFirst(nodes, leader), askNode);
  if (!answer.from) {
    const report = failureReport(answer.failed, out.cluster);
    console.error(`swarmlab: ${report.message}`);
    return report.code;
  }
  const state = parseSwarmState(answer.stdout);
  for (const f of answer.failed) console.error(`swarmlab: ${f.node.name} did not answer (${noSshAnswer(f) ? "no SSH answer" : "docker failed"}), ${answer.from.name} did`);

  console.log(`cluster ${out.cluster}: ${state.nodes.length} nodes in the swarm, leader ${swarmLeader(state) ?? "none"} (asked ${answer.from.name}, ${describeConnection(answer.from)})\n`);
  const locked = await lockedManagers(nodes.filter((n) => unreachableManagers(state).includes(n.name)));
  console.log(renderTable(NODE_HEADER, nodeRows(state, locked)));
  if (locked.length) console.log(`\nlocked (autolock): ${locked.join(", ")}: npm run up unlocks them with the stack's unlock key (or docker swarm unlock there)`);
  const missing = missingNodes(state, nodes.map((n) => n.name));
  if (missing.length) console.log(`\nconfigured but not in the swarm: ${missing.join(", ")} (npm run up joins them)`);
  console.log(`\n${renderTable(SERVICE_HEADER, serviceRows(state))}`);
  const urls = await urlRows(out, state);
  if (urls.rows.length) {
    console.log(`\n${renderTable(["URL", "ADDRESS", "HTTP"], urls.rows)}`);
    if (urls.via && urls.rows.length > Object.keys(out.urls).length) {
      console.log(`\nRoutes are checked through Traefik at ${urls.via} with their Host header (HTTPS without verifying the certificate). To open them in a browser, point their names at ${urls.via} (DNS or /etc/hosts).`);
    }
  }
  return 0;
}

runMain(main);
