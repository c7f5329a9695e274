/**
 * Asking the swarm something through its managers: the leader first, then the others, until one
 * answers. What failed, and how, becomes one clear message: no SSH answer from any manager is "the
 * cluster is unreachable" (exit 2); managers that answered but whose docker failed are named with
 * docker's message (exit 1).
 */
import { describeConnection, type NodeConnection } from "./nodes";

/** The result of running the question on one node over ssh (255: ssh itself failed). */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Attempt extends RunResult {
  node: NodeConnection;
}

export type Outcome = { from: NodeConnection; stdout: string; failed: Attempt[] } | { from?: undefined; failed: Attempt[] };

/** ssh exits 255 when it could not connect (or log in): the node gave no answer at all. */
export function noSshAnswer(r: RunResult): boolean {
  return r.status === 255;
}

export async function firstAnswer(managers: NodeConnection[], run: (node: NodeConnection) => Promise<RunResult>): Promise<Outcome> {
  const failed: Attempt[] = [];
  for (const node of managers) {
    const res = await run(node);
    if (res.status === 0) return { from: node, stdout: res.stdout, failed };
    failed.push({ ...res, node });
  }
  return { failed };
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).pop() ?? "";
}

/** One attempt, for a message: `manager1 (root@172.28.0.2:22: Connection refused)`. */
function attemptText(a: Attempt): string {
  const why = lastLine(a.stderr);
  return `${a.node.name} (${describeConnection(a.node)}${why ? `: ${why}` : ""})`;
}

/** The message and exit code when no manager answered (`failed` in the order asked, the recorded leader first). */
export function failureReport(failed: Attempt[], cluster: string): { code: number; message: string } {
  if (!failed.length) return { code: 1, message: "the stack has no manager to ask: run npm run up" };
  if (failed.every(noSshAnswer)) {
    const [leader, ...others] = failed;
    const nor = others.length ? `, nor from the other managers: ${others.map(attemptText).join(", ")}` : "";
    return {
      code: 2,
      message:
        `the cluster is unreachable: no SSH answer from the leader ${attemptText(leader)}${nor}. Is it running? ` +
        `(for a lab: docker ps --filter label=swarmlab.cluster=${cluster}; npm run up recreates what is missing)`,
    };
  }
  const lines = failed.map((a) => `  ${a.node.name}: ${noSshAnswer(a) ? `no SSH answer (${describeConnection(a.node)})` : `docker failed: ${lastLine(a.stderr) || `exit ${a.status}`}`}`);
  return { code: 1, message: `no manager could report the swarm's state:\n${lines.join("\n")}` };
}
