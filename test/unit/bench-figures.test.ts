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

  it("ratios: swarmlab against the plain script, and 10-node against 3-node against the node-count ratio", () => {
    expect(ratioLines({ baselineSmall: 4, swarmlabSmall: 10, baselineBig: 12, swarmlabBig: 22 })).toEqual([
      "swarmlab up / plain script, 3 nodes (1 manager, 2 workers): 2.50x",
      "swarmlab up / plain script, 10 nodes (3 managers, 7 workers): 1.83x",
      "10-node up / 3-node up: swarmlab 2.20x, plain script 3.00x, for 3.33x the nodes",
    ]);
    expect(ratioLines({ baselineSmall: 4, swarmlabSmall: 10, baselineBig: NaN, swarmlabBig: NaN })).toEqual(["swarmlab up / plain script, 3 nodes (1 manager, 2 workers): 2.50x"]);
  });
});
