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
