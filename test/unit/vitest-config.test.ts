/**
 * vitest.config.ts: the order test files run in. The unit files are one group, first; every e2e file
 * is a group of its own, in name order, as vitest 3.2 orders groups: it sorts their numbers with
 * Array.prototype.sort, that is as strings (10 before 2), which once sent 90-destroy right after
 * 05-toolchain.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import config from "../../vitest.config";

interface Project {
  test: { name: string; include: string[]; sequence: { groupOrder: number } };
}

describe("the groups of test files", () => {
  const projects = (config as unknown as { test: { projects: Project[] } }).test.projects;

  it("run the unit files first, then each e2e file alone, in name order", () => {
    const e2e = fs
      .readdirSync(path.resolve(__dirname, "../e2e"))
      .filter((f) => f.endsWith(".test.ts"))
      .sort();
    // as vitest 3.2 does (createPool: Array.from(groups).sort())
    const groups = [...new Set(projects.map((p) => p.test.sequence.groupOrder))].sort();
    const order = groups.map((g) => projects.filter((p) => p.test.sequence.groupOrder === g).flatMap((p) => p.test.include));
    expect(order).toEqual([["test/unit/**/*.test.ts"], ...e2e.map((f) => [`test/e2e/${f}`])]);
  });
});
