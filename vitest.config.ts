import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defineConfig } from "vitest/config";

/**
 * Two kinds of test files, both run by `npm test` (vitest run), unit files first:
 * - test/unit: independent of each other (every folder they use is their own mkdtemp), so they run
 *   in parallel, each file in a fresh process of its own.
 * - test/e2e: they share one lab and build on each other, so they run one at a time, in name order
 *   (05-, 08-, 10-, ..., 90-destroy, 95-vagrant), each in a fresh process as well, after every unit file.
 *
 * How, in vitest 3.2: fileParallelism and maxWorkers are options of the whole run, not of a project,
 * and within one group every file of a pool runs at the same time (up to maxWorkers). Groups, though,
 * run one after the other, by sequence.groupOrder. So the unit files are one project in group 0, and
 * each e2e file is a project of its own, in group 100, 101, ... by name. (A single e2e project with
 * poolOptions.forks.singleFork would run them in order too, but all in one process, sharing the
 * state of every module vitest does not reload.)
 * `vitest run --project unit` runs the unit files only, `--project 'e2e-*'` the e2e files.
 */
const E2E_FILES = fs
  .readdirSync(path.join(__dirname, "test/e2e"))
  .filter((f) => f.endsWith(".test.ts"))
  .sort();

/**
 * The unit files mostly wait on the processes they start (bash, fake docker, ssh, openssl), so they
 * gain from more files at once than vitest's default of one fewer than the CPUs (which is 1 on 2 CPUs).
 */
const WORKERS = Math.max(2, os.availableParallelism());

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 900_000,
    maxWorkers: WORKERS,
    minWorkers: WORKERS,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], sequence: { groupOrder: 0 } } },
      ...E2E_FILES.map((file, i) => ({
        extends: true as const,
        // 100 + i: vitest 3.2 sorts the group numbers as strings (Array.sort), so 10 would run
        // before 2; numbers of three digits sort the same either way (up to 900 e2e files)
        test: { name: `e2e-${file.replace(/\.test\.ts$/, "")}`, include: [`test/e2e/${file}`], sequence: { groupOrder: 100 + i } },
      })),
    ],
  },
});
