/**
 * Temporary folders for unit tests: each made by mkdtemp (unique, so test files running in parallel
 * never share one) and removed after the test file that made it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll } from "vitest";

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A temporary folder removed after the test file. */
export function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

/** A temporary folder holding these files (paths relative to it, folders made as needed), removed after the test file. */
export function tmpTree(files: Record<string, string>, prefix = "swarmlab-tree-"): string {
  const dir = tmp(prefix);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
