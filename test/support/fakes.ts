/**
 * Running swarmlab's shell scripts for real against stand-ins: executables written into a temp
 * `bin` folder put first on PATH, and a fake machine (a temp folder holding that `bin` and the files
 * the stand-ins keep their state in). What each stand-in models is in ./fakeDocker.ts.
 *
 * Every folder comes from ./tmp.ts (mkdtemp, removed after the test file), so test files running in
 * parallel never share one.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { tmp } from "./tmp";

/** What a script run gave back. */
export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Added to this process's environment (and overriding it). */
  env?: NodeJS.ProcessEnv;
  stdin?: string;
  /** `set -euo pipefail` first, as swarmlab's Command runs every script (default true). */
  strict?: boolean;
  /** Milliseconds (default 20 s). */
  timeout?: number;
}

/** bash by its path: a test may hide everything else on PATH. */
const BASH = fs.existsSync("/bin/bash") ? "/bin/bash" : "bash";

/**
 * Runs a script as swarmlab's Command does: bash without profile or rc files (bash would source
 * ~/.bashrc when its stdin is a socket, as Node's pipes are), strict mode unless told otherwise.
 */
export function runBash(script: string, opts: RunOptions = {}): ScriptResult {
  const r = spawnSync(BASH, ["--noprofile", "--norc", "-c", opts.strict === false ? script : `set -euo pipefail\n${script}`], {
    encoding: "utf8",
    input: opts.stdin,
    env: { ...process.env, ...opts.env },
    timeout: opts.timeout ?? 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** runBash with `bin` first on PATH. */
export function runScript(script: string, bin: string, opts: RunOptions = {}): ScriptResult {
  return runBash(script, { ...opts, env: { ...opts.env, PATH: `${bin}:${process.env.PATH}` } });
}

/**
 * Writes executables into `bin` (created when absent), replacing any of the same name. A body that
 * starts with `#!` is written as it is; any other is a bash script.
 */
export function writeFakes(bin: string, fakes: Record<string, string>): void {
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(fakes)) {
    fs.writeFileSync(path.join(bin, name), body.startsWith("#!") ? body : `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  }
}

/** A fresh temp folder holding the given executables; returns it (to put first on PATH). */
export function fakeBin(fakes: Record<string, string>, prefix = "swarmlab-fakebin-"): string {
  const bin = tmp(prefix);
  writeFakes(bin, fakes);
  return bin;
}

/** Runs `fn` with `bin` first on this process's PATH (for code that spawns commands itself). */
export async function withPath<T>(bin: string, fn: () => T | Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

/**
 * A machine for a script to run on: `dir` holds the state files its stand-ins read and write
 * (they find it as $FAKE_DIR), `bin` (inside it) the stand-ins.
 */
export interface FakeMachine {
  dir: string;
  bin: string;
  /** Adds or replaces stand-ins. */
  fake(fakes: Record<string, string>): void;
  /** Writes a state file; a newline is added unless the text is empty or ends with one. */
  write(name: string, text: string): void;
  /** A state file's text, "" when it does not exist. */
  read(name: string): string;
  /** A state file's non-empty lines ([] when it does not exist): what a stand-in logged. */
  lines(name: string): string[];
  /** Runs a script with `bin` first on PATH, FAKE_DIR and HOME set to `dir`, in strict mode unless told otherwise. */
  run(script: string, opts?: RunOptions): ScriptResult;
}

export function fakeMachine(fakes: Record<string, string>, prefix = "swarmlab-machine-"): FakeMachine {
  const dir = tmp(prefix);
  const bin = path.join(dir, "bin");
  writeFakes(bin, fakes);
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => (fs.existsSync(file(name)) ? fs.readFileSync(file(name), "utf8") : "");
  return {
    dir,
    bin,
    fake: (more) => writeFakes(bin, more),
    write: (name, text) => fs.writeFileSync(file(name), text === "" || text.endsWith("\n") ? text : `${text}\n`),
    read,
    lines: (name) => read(name).split("\n").filter(Boolean),
    run: (script, opts = {}) => runScript(script, bin, { ...opts, env: { FAKE_DIR: dir, HOME: dir, ...opts.env } }),
  };
}
