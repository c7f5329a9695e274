import type { NodeConfig } from "../config/cluster";

/** How many managers can fail while the Raft majority still stands: (N-1)/2. */
export function faultTolerance(managers: number): number {
  return Math.max(0, Math.floor((managers - 1) / 2));
}

export interface QuorumVerdict {
  errors: string[];
  warnings: string[];
}

/**
 * Plan-time rules for the manager set. `previous` is the manager list of the last deployment
 * (empty on the first deployment); `next` the configured nodes. No manager is special: any one may
 * be retired, demoted or replaced under the same quorum rules.
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
    const keep = previous.length > 1 ? "keep at least one of them as a manager and move the others in steps" : `keep ${previous[0]} as a manager until another manager has joined`;
    errors.push(
      `this change removes or demotes every current manager (${previous.join(", ")}): the swarm's state would be lost; ` +
        `${keep} (add the new managers first, then retire the old ones in later runs)`,
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
  return { errors, warnings };
}
