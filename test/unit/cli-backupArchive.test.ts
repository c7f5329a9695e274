/**
 * cli/lib/backupArchive.ts: what `npm run restore` (and `npm run backup`, on what it wrote) accepts
 * as a swarm backup, checked on real files with the real tar.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { inspectArchive, keyIsLocked, listingProblem, parseRestoreArgs, RESTORE_USAGE } from "../../cli/lib/backupArchive";
import { UsageError } from "../../cli/lib/cli";
import { tmp, tmpTree } from "../support/tmp";

const LOCKED_KEY = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nkek-version: 64\nraft-dek: CAES\n\nMIH...\n-----END ENCRYPTED PRIVATE KEY-----\n";
const PLAIN_KEY = "-----BEGIN PRIVATE KEY-----\nkek-version: 0\nraft-dek: EiCo\n\nMIG...\n-----END PRIVATE KEY-----\n";

/** A gzip tar of these files (as `tar -czf - -C <root> swarm` makes it). */
function archive(files: Record<string, string>): string {
  const src = tmpTree(files, "swarmlab-archive-src-");
  const file = path.join(tmp("swarmlab-archive-"), "b.tar.gz");
  const r = spawnSync("tar", ["-czf", file, "-C", src, ...fs.readdirSync(src)]);
  expect(r.status).toBe(0);
  return file;
}

describe("npm run restore arguments", () => {
  it.each([
    [["b.tar.gz"], { file: "b.tar.gz" }],
    [["--", "/x/b.tar.gz"], { file: "/x/b.tar.gz" }],
    [["--help"], { help: true }],
  ])("%j", (argv, expected) => {
    expect(parseRestoreArgs(argv)).toEqual(expected);
  });

  it.each([[[]], [["a", "b"]], [["--force"]], [[""]]])("%j is a usage error", (argv) => {
    expect(() => parseRestoreArgs(argv)).toThrow(UsageError);
    expect(() => parseRestoreArgs(argv)).toThrow(RESTORE_USAGE);
  });
});

describe("listingProblem", () => {
  it("accepts swarm/ with swarm/raft/", () => {
    expect(listingProblem(["swarm/", "swarm/raft/", "swarm/raft/wal-v3-encrypted/0.wal", "swarm/state.json"])).toBeUndefined();
  });
  it("refuses a listing without swarm/raft/", () => {
    expect(listingProblem(["swarm/", "swarm/state.json"])).toBe("it holds no swarm/raft/: not a swarm backup");
  });
  it("refuses members outside swarm/", () => {
    expect(listingProblem(["swarm/raft/x", "swarmy/x"])).toBe("it holds files outside swarm/ (swarmy/x): not a swarm backup");
    expect(listingProblem(["swarm/raft/x", "../etc/passwd"])).toMatch(/outside swarm\/ \(\.\.\/etc\/passwd\)/);
  });
});

describe("keyIsLocked", () => {
  it("tells an autolocked node key (encrypted PEM) from a plain one", () => {
    expect(keyIsLocked(LOCKED_KEY)).toBe(true);
    expect(keyIsLocked("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n")).toBe(true);
    expect(keyIsLocked(PLAIN_KEY)).toBe(false);
    expect(keyIsLocked("")).toBe(false);
  });
});

describe("inspectArchive", () => {
  it("accepts a backup and says whether it comes from an autolocked swarm", () => {
    const plain = archive({ "swarm/raft/wal-v3-encrypted/0.wal": "w", "swarm/certificates/swarm-node.key": PLAIN_KEY });
    expect(inspectArchive(plain)).toEqual({ size: fs.statSync(plain).size, locked: false });
    const locked = archive({ "swarm/raft/wal-v3-encrypted/0.wal": "w", "swarm/certificates/swarm-node.key": LOCKED_KEY });
    expect(inspectArchive(locked).locked).toBe(true);
  });

  it("refuses a file that is missing, a folder, or not a gzip tar, naming it", () => {
    const dir = tmp("swarmlab-archive-");
    expect(() => inspectArchive(path.join(dir, "nope.tar.gz"))).toThrow(`${dir}/nope.tar.gz does not exist`);
    expect(() => inspectArchive(dir)).toThrow(`${dir} is not a file`);
    fs.writeFileSync(path.join(dir, "text"), "not an archive");
    expect(() => inspectArchive(path.join(dir, "text"))).toThrow(new RegExp(`^${dir}/text is not a gzip tar \\(tar: `));
  });

  it("refuses a file it cannot read", () => {
    const file = archive({ "swarm/raft/x": "" });
    fs.chmodSync(file, 0);
    fs.chmodSync(path.dirname(file), 0o755);
    // root reads any file whatever its mode (and CI runs as root): then the check runs as nobody
    const asNobody = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const script = `try { require(${JSON.stringify(path.resolve(__dirname, "../../cli/lib/backupArchive.ts"))}).inspectArchive(${JSON.stringify(file)}) } catch (e) { console.log(e.message) }`;
    const r = spawnSync(asNobody[0] ?? process.execPath, [...asNobody.slice(1), ...(asNobody.length ? [process.execPath] : []), "--import", "tsx", "-e", script], { encoding: "utf8" });
    expect(r.stdout.trim(), r.stderr).toBe(`${file} is not readable`);
  });

  it("refuses a gzip tar that is not a swarm backup", () => {
    const file = archive({ "swarm/state.json": "[]" });
    expect(() => inspectArchive(file)).toThrow(`${file}: it holds no swarm/raft/: not a swarm backup`);
  });
});
