/**
 * components/swarm/quorum.ts: Raft fault tolerance, and which changes to the managers a single
 * `pulumi up` may make.
 */
import { describe, expect, it } from "vitest";
import type { NodeConfig } from "../../components/config/cluster";
import { checkQuorum, faultTolerance } from "../../components/swarm/quorum";

describe("checkQuorum", () => {
  const managers = (...names: string[]): NodeConfig[] => names.map((name) => ({ name, role: "manager", labels: {}, availability: "active" }));
  const workers = (...names: string[]): NodeConfig[] => names.map((name) => ({ name, role: "worker", labels: {}, availability: "active" }));
  const even = (n: number) =>
    `${n} managers tolerate the loss of ${faultTolerance(n)}, no more than ${n - 1} would: an even count adds Raft traffic without adding fault tolerance; prefer 1, 3, 5 or 7`;

  it("tolerates (N-1)/2 failures", async () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(faultTolerance)).toEqual([0, 0, 1, 1, 2, 2, 3]);
    expect(faultTolerance(0)).toBe(0);
  });

  it.each([[1], [3], [5]])("accepts %i managers without a warning", async (n) => {
    const names = Array.from({ length: n }, (_, i) => `m${i + 1}`);
    expect(checkQuorum(names, [...managers(...names), ...workers("w1")])).toEqual({ errors: [], warnings: [] });
  });

  it("warns about 2 managers with the exact text", async () => {
    expect(checkQuorum([], managers("m1", "m2"))).toEqual({
      errors: [],
      warnings: ["2 managers tolerate the loss of 0, no more than 1 would: an even count adds Raft traffic without adding fault tolerance; prefer 1, 3, 5 or 7"],
    });
  });

  it("warns about 4 managers with the exact text", async () => {
    expect(checkQuorum([], managers("m1", "m2", "m3", "m4"))).toEqual({
      errors: [],
      warnings: ["4 managers tolerate the loss of 1, no more than 3 would: an even count adds Raft traffic without adding fault tolerance; prefer 1, 3, 5 or 7"],
    });
    expect(checkQuorum([], managers("m1", "m2", "m3", "m4")).warnings).toEqual([even(4)]);
  });

  it("allows the first deployment, whatever its managers", async () => {
    expect(checkQuorum([], [...managers("m1", "m2", "m3"), ...workers("w1", "w2")])).toEqual({ errors: [], warnings: [] });
  });

  it("refuses removing 2 of 3 managers at once", async () => {
    const verdict = checkQuorum(["m1", "m2", "m3"], [...managers("m1"), ...workers("m2")]);
    expect(verdict.errors).toEqual([
      "this change removes or demotes 2 of 3 managers at once (m2, m3): 3 managers tolerate 1 failure(s), so the swarm could lose quorum; remove at most 1 per pulumi up",
    ]);
    expect(verdict.warnings).toEqual([]);
  });

  it("allows removing 1 of 3 managers (and warns that 2 is an even count)", async () => {
    expect(checkQuorum(["m1", "m2", "m3"], [...managers("m1", "m3"), ...workers("m2")])).toEqual({ errors: [], warnings: [even(2)] });
  });

  it("allows removing 2 of 5 managers but not 3", async () => {
    expect(checkQuorum(["m1", "m2", "m3", "m4", "m5"], managers("m1", "m2", "m3")).errors).toEqual([]);
    expect(checkQuorum(["m1", "m2", "m3", "m4", "m5"], managers("m1", "m2")).errors).toEqual([
      "this change removes or demotes 3 of 5 managers at once (m3, m4, m5): 5 managers tolerate 2 failure(s), so the swarm could lose quorum; remove at most 2 per pulumi up",
    ]);
  });

  it("allows adding managers in any number", async () => {
    expect(checkQuorum(["m1"], managers("m1", "m2", "m3", "m4", "m5")).errors).toEqual([]);
  });

  it("refuses demoting every current manager, even when new managers replace them", async () => {
    const verdict = checkQuorum(["m1", "m2", "m3"], [...workers("m1", "m2", "m3"), ...managers("n1")]);
    expect(verdict.errors).toEqual([
      "this change removes or demotes every current manager (m1, m2, m3): the swarm's state would be lost; keep at least one of them as a manager and move the others in steps (add the new managers first, then retire the old ones in later runs)",
    ]);
  });

  it("refuses replacing the only manager", async () => {
    expect(checkQuorum(["m1"], managers("m2")).errors).toEqual([
      "this change removes or demotes every current manager (m1): the swarm's state would be lost; keep m1 as a manager until another manager has joined (add the new managers first, then retire the old ones in later runs)",
    ]);
  });

  describe("no manager is special (the swarm is what the managers hold)", () => {
    it("allows retiring, demoting or replacing the first manager under the same rules as any other", async () => {
      expect(checkQuorum(["m1", "m2", "m3"], [...managers("m2", "m3"), ...workers("w1")])).toEqual({ errors: [], warnings: [even(2)] });
      expect(checkQuorum(["m1", "m2", "m3"], [...workers("m1"), ...managers("m2", "m3")]).errors).toEqual([]);
      expect(checkQuorum(["m1", "m2", "m3"], managers("m2", "m1", "m3"))).toEqual({ errors: [], warnings: [] });
      expect(checkQuorum(["m1"], managers("n1", "m1", "n2")).errors).toEqual([]);
    });

    it("still refuses removing more managers at once than the count tolerates, the first one included", async () => {
      expect(checkQuorum(["m1", "m2", "m3"], managers("m3")).errors).toEqual([
        "this change removes or demotes 2 of 3 managers at once (m1, m2): 3 managers tolerate 1 failure(s), so the swarm could lose quorum; remove at most 1 per pulumi up",
      ]);
    });
  });

  it("refuses a configuration without a manager", async () => {
    expect(checkQuorum(["m1"], workers("m1", "w1"))).toEqual({
      errors: ["the configuration has no manager: a swarm needs at least one (set role: manager on a node)"],
      warnings: [],
    });
  });
});
