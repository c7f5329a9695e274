/**
 * bench/figures.ts: the arithmetic of `npm run bench` (the labs compared, median and spread, the
 * ratios it prints).
 */
import { describe, expect, it } from "vitest";
import { BIG_LAB, describeLab, labNodes, median, nodeCount, ratioLines, SMALL_LAB, spread } from "../../bench/figures";

describe("benchmark figures", () => {
  it("the labs compared: 1 manager + 2 workers, and 3 managers + 7 workers", () => {
    expect(describeLab(SMALL_LAB)).toBe("3 nodes (1 manager, 2 workers)");
    expect(describeLab(BIG_LAB)).toBe("10 nodes (3 managers, 7 workers)");
    const big = labNodes(BIG_LAB);
    expect(big.filter((n) => n.role === "manager").map((n) => n.name)).toEqual(["manager1", "manager2", "manager3"]);
    expect(big.filter((n) => n.role === "worker")).toHaveLength(7);
    expect(nodeCount(BIG_LAB)).toBe(10);
  });

  it("median and spread", () => {
    expect(median([9.7, 8.9, 10.6])).toBe(9.7);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(spread([9.7, 8.9, 10.6])).toBe("8.9-10.6");
  });

  it("ratios: what a user runs against the plain script, with issue 17's targets, and 10-node against 3-node", () => {
    const m = { baselineSmall: 5, upSmall: 7, noopSmall: 3.5, destroySmall: 4, baselineBig: 12, upBig: 22, noopBig: 6, classicUp: 21 };
    expect(ratioLines(m)).toEqual([
      "npm run up from nothing / plain script, 3 nodes (1 manager, 2 workers): 1.40x (target met), target at most 1.5x",
      "npm run up with nothing to change / plain script, 3 nodes (1 manager, 2 workers): 0.70x (target missed), target at most 0.6x",
      "npm run destroy / plain script, 3 nodes (1 manager, 2 workers): 0.80x (target met), target at most 1x",
      "npm run up from nothing / plain script, 10 nodes (3 managers, 7 workers): 1.83x (no target at this size; 1.5x for 3 nodes)",
      "npm run up with nothing to change / plain script, 10 nodes (3 managers, 7 workers): 0.50x (target met), target at most 1x",
      "10-node up / 3-node up: swarmlab 3.14x, plain script 2.40x, for 3.33x the nodes",
      "the classic lab (registry, Traefik, whoami) from nothing: 21.0 s (target met), target under 25 s",
    ]);
    const quick = ratioLines({ ...m, baselineBig: NaN, upBig: NaN, noopBig: NaN, classicUp: NaN });
    expect(quick).toHaveLength(3);
  });
});
