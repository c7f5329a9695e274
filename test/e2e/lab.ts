/**
 * The e2e tests' side of the shared lab (tools/lab.ts): its helpers, and the rule for a missing
 * prerequisite (skip on a developer's machine, fail in CI).
 */
import { missingPrerequisites } from "../../tools/lab";

export * from "../../tools/lab";

/**
 * True when the e2e tests can run (`extra`: what a file needs besides, already found missing). Where a prerequisite is absent they are skipped, except in CI
 * (CI=true), where a skipped end-to-end test would hide a broken pipeline: there it is an error.
 */
export function e2eEnabled(extra: string[] = []): boolean {
  const missing = [...missingPrerequisites(), ...extra];
  if (missing.length === 0) return true;
  const why = `end-to-end prerequisites missing: ${missing.join("; ")}`;
  if (process.env.CI === "true") throw new Error(`${why} (CI=true: failing instead of skipping)`);
  console.warn(`skipping e2e tests: ${why}`);
  return false;
}

/** A node of the drills' configurations. */
export type LabNode = { name: string; role: string; labels?: Record<string, string> };

/** The lab of the failover and day-2 drills: three managers (a quorum that survives one loss), two workers. */
export const THREE_MANAGERS: LabNode[] = [
  { name: "manager1", role: "manager" },
  { name: "manager2", role: "manager" },
  { name: "manager3", role: "manager" },
  { name: "worker1", role: "worker", labels: { zone: "a" } },
  { name: "worker2", role: "worker", labels: { zone: "b" } },
];
