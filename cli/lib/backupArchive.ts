/**
 * A swarm backup file (what `npm run backup` writes: a gzip tar of /var/lib/docker/swarm, members
 * `swarm/...`), checked before anything is restored from it, and the `npm run restore` command line.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { UsageError } from "./cli";

export const RESTORE_USAGE = "usage: npm run restore -- FILE   (FILE: a backup written by npm run backup)";

export function parseRestoreArgs(argv: readonly string[]): { file: string } | { help: true } {
  const words = argv[0] === "--" ? argv.slice(1) : argv;
  if (words[0] === "-h" || words[0] === "--help") return { help: true };
  if (words.length !== 1 || !words[0] || words[0].startsWith("-")) throw new UsageError(RESTORE_USAGE);
  return { file: words[0] };
}

/** The problem with an archive's member list (`tar -tzf`), if any: the restore script refuses the same. */
export function listingProblem(members: readonly string[]): string | undefined {
  const outside = members.find((m) => m !== "swarm" && !m.startsWith("swarm/"));
  if (outside !== undefined) return `it holds files outside swarm/ (${outside}): not a swarm backup`;
  if (!members.some((m) => m.startsWith("swarm/raft/"))) return "it holds no swarm/raft/: not a swarm backup";
  return undefined;
}

/**
 * Autolock encrypts the node's TLS key (and the Raft data key in its headers) with the unlock key:
 * its PEM block is then `ENCRYPTED PRIVATE KEY` (`PRIVATE KEY` without autolock).
 */
export function keyIsLocked(pem: string): boolean {
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem);
}

export interface ArchiveInfo {
  size: number;
  /** Taken from an autolocked swarm: the unlock key is needed to restore it. */
  locked: boolean;
}

/** Checks a backup file with `tar` (exists, readable, a gzip tar of swarm/ with swarm/raft/); errors say which. */
export function inspectArchive(file: string): ArchiveInfo {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error(`${file} is not a file`);
    fs.accessSync(file, fs.constants.R_OK);
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${file} does not exist`);
    if (code === "EACCES") throw new Error(`${file} is not readable`);
    throw e;
  }
  const list = spawnSync("tar", ["-tzf", file], { encoding: "utf8", maxBuffer: 256 * 2 ** 20 });
  if (list.error) throw new Error(`cannot run tar: ${list.error.message}`);
  if (list.status !== 0) throw new Error(`${file} is not a gzip tar (tar: ${list.stderr.trim().split("\n").pop() ?? `exit ${list.status}`})`);
  const members = list.stdout.split("\n").filter(Boolean);
  const problem = listingProblem(members);
  if (problem) throw new Error(`${file}: ${problem}`);
  const keyMember = "swarm/certificates/swarm-node.key";
  const key = members.includes(keyMember) ? spawnSync("tar", ["-xzOf", file, keyMember], { encoding: "utf8" }).stdout : "";
  return { size, locked: keyIsLocked(key) };
}
