import type { NodeConfig } from "../config/cluster";

/** How many managers can fail while the Raft majority still stands: (N-1)/2. */
export function faultTolerance(managers: number): number {
  return Math.max(0, Math.floor((managers - 1) / 2));
}

/**
 * The manager that runs `swarm init` and every manager-side command: the first manager in config
 * order. Its resources are named after it, so this role cannot move to another node (see checkQuorum).
 */
export function firstManagerOf<T extends { role: string }>(nodes: readonly T[]): T | undefined {
  return nodes.find((n) => n.role === "manager");
}

export interface QuorumVerdict {
  errors: string[];
  warnings: string[];
}

/**
 * Plan-time rules for the manager set. `previous` is the manager list of the last deployment in
 * config order, so its first one initialised the swarm (empty on the first deployment); `next`
 * the configured nodes.
 */
export function checkQuorum(previous: readonly string[], next: readonly NodeConfig[]): QuorumVerdict {
  const managers = next.filter((n) => n.role === "manager").map((n) => n.name);
  const errors: string[] = [];
  const warnings: string[] = [];
  if (managers.length === 0) {
    errors.push("the configuration has no manager: a swarm needs at least one (set role: manager on a node)");
  }
  if (managers.length > 0 && managers.length % 2 === 0) {
    warnings.push(
      `${managers.length} managers tolerate the loss of ${faultTolerance(managers.length)}, no more than ${managers.length - 1} would: ` +
        "an even count adds Raft traffic without adding fault tolerance; prefer 1, 3, 5 or 7",
    );
  }
  if (previous.length === 0 || managers.length === 0) return { errors, warnings };
  const gone = previous.filter((m) => !managers.includes(m));
  // A graceful demotion shrinks the Raft group safely one at a time; several at once are as risky
  // as that many failures, so no more than the fault tolerance (at least one) may go per run.
  const allowed = Math.max(1, faultTolerance(previous.length));
  if (gone.length === previous.length) {
    const others = previous.length > 1 ? " and move the others in steps" : "";
    errors.push(
      `this change removes or demotes every current manager (${previous.join(", ")}): the swarm's state would be lost; ` +
        `keep ${previous[0]}, which initialised the swarm, as the first manager${others} (${newSwarm(previous[0])})`,
    );
    return { errors, warnings };
  }
  if (gone.length > allowed) {
    errors.push(
      `this change removes or demotes ${gone.length} of ${previous.length} managers at once (${gone.join(", ")}): ` +
        `${previous.length} managers tolerate ${faultTolerance(previous.length)} failure(s), so the swarm could lose quorum; ` +
        `remove at most ${allowed} per pulumi up`,
    );
  }
  const moved = firstManagerMoved(previous[0], next);
  if (moved) errors.push(moved);
  return { errors, warnings };
}

/**
 * The first manager of the last deployment must stay the first manager: moving the role deletes
 * its `swarm init` (whose delete is a swarm leave), runs init on another node and deletes that
 * node's join (another leave). Undefined when it stays; otherwise why it is refused and what to do.
 */
function firstManagerMoved(initialiser: string, next: readonly NodeConfig[]): string | undefined {
  const successor = firstManagerOf(next);
  if (!successor || successor.name === initialiser) return undefined;
  const why =
    `swarmlab runs swarm init and every manager-side command on the first manager in swarmlab:nodes, ` +
    `and moving that role to ${successor.name} would make ${initialiser} leave the swarm and break it`;
  const node = next.find((n) => n.name === initialiser);
  if (node?.role === "manager") {
    return `this change lists ${successor.name} before ${initialiser} among the managers, but ${initialiser} initialised the swarm: ${why}; list ${initialiser} before the other managers again`;
  }
  const what = node ? "demotes" : "removes";
  return (
    `this change ${what} ${initialiser}, which initialised the swarm: ${why}; keep ${initialiser} as the first manager ` +
    `and add, demote or remove the others around it (${newSwarm(initialiser)})`
  );
}

function newSwarm(initialiser: string): string {
  return `replacing ${initialiser} itself takes a new swarm: pulumi destroy, then pulumi up`;
}
