/**
 * components/swarm/backup.ts: the backup and restore scripts run for real by bash, on a fake
 * docker root, against stand-ins for the host's process tools. The lab node's supervising loop is
 * modelled by a real process (restarting "dockerd", a file, whenever it is missing), so pausing and
 * resuming it are real signals; `pgrep`/`pkill`/`ps` are stand-ins (a unit test must never signal
 * this machine's own dockerd). tar, gzip and base64 are the real ones.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { backupScript, restoreScript } from "../../components/swarm/backup";
import { HOSTNAME_FAKE } from "../support/fakeDocker";
import { fakeMachine, type FakeMachine } from "../support/fakes";
import { tmpTree } from "../support/tmp";

const REAL_TAR = spawnSync("bash", ["-c", "command -v tar"], { encoding: "utf8" }).stdout.trim();
const FAST = { stopSeconds: 1, startSeconds: 3 };

/**
 * The host's process tools as the scripts use them. `dockerd` runs while $FAKE_DIR/dockerd exists;
 * the lab loop's pid is in `loop-pid` (absent: no lab node); `pkill -x dockerd` removes the file
 * (not when `stuck` exists); `ps` prints `zombie`'s text as the state when it exists; systemd
 * manages docker when `systemd` exists. tar notes in `log` whether dockerd ran and the loop's
 * state (T: paused) when it was called, then runs the real one (it fails when `tar-fails` exists).
 */
const FAKES = {
  hostname: HOSTNAME_FAKE,
  pgrep: `d=$FAKE_DIR
case "$*" in
  "-o -f bash [^ ]*[s]warmlab-entrypoint") [ -s "$d/loop-pid" ] && cat "$d/loop-pid" ;;
  "-x dockerd") [ -e "$d/dockerd" ] && echo 999999 ;;
  *) echo "fake pgrep: unexpected arguments: $*" >&2; exit 99 ;;
esac`,
  pkill: `d=$FAKE_DIR; echo "pkill $*" >> "$d/log"
[ "$*" = "-x dockerd" ] || { echo "fake pkill: unexpected arguments: $*" >&2; exit 99; }
[ -e "$d/stuck" ] || rm -f "$d/dockerd"`,
  ps: `d=$FAKE_DIR; if [ -e "$d/zombie" ]; then echo Z; else echo S; fi`,
  systemctl: `d=$FAKE_DIR
case "$*" in
  "cat docker.service") [ -e "$d/systemd" ] ;;
  stop*) echo "systemctl $*" >> "$d/log"; rm -f "$d/dockerd" ;;
  "start docker") echo "systemctl $*" >> "$d/log"; touch "$d/dockerd" ;;
  *) echo "fake systemctl: unexpected arguments: $*" >&2; exit 99 ;;
esac`,
  docker: `d=$FAKE_DIR
[ -e "$d/dockerd" ] || { echo "Cannot connect to the Docker daemon" >&2; exit 1; }
case "$*" in
  info) ;;
  "info --format {{.Swarm.LocalNodeState}}") cat "$d/state" ;;
  *) echo "fake docker: unexpected arguments: $*" >&2; exit 99 ;;
esac`,
  tar: `d=$FAKE_DIR
if [ "$1" = -czf ]; then
  loop=$(cat "$d/loop-pid" 2>/dev/null || true)
  st=none; [ -z "$loop" ] || st=$(awk '{print $3}' "/proc/$loop/stat")
  echo "tar dockerd=$([ -e "$d/dockerd" ] && echo up || echo down) loop=$st" >> "$d/log"
  [ -e "$d/tar-fails" ] && { echo "tar: swarm: Cannot open: Permission denied" >&2; exit 2; }
fi
[ "$1" = -xzf ] && [ -e "$d/extract-fails" ] && { echo "tar: write error" >&2; exit 2; }
exec ${REAL_TAR} "$@"`,
};

let m: FakeMachine;
let root: string;
let loop: ChildProcess | undefined;

/** The docker root with a swarm in it (`marker` tells one swarm state from another). */
function swarmTree(marker: string): string {
  return tmpTree({ "swarm/raft/wal-v3-encrypted/0.wal": `wal ${marker}`, "swarm/certificates/swarm-node.key": `key ${marker}`, "swarm/state.json": "[]", "containers/keep": "" }, "swarmlab-docker-root-");
}

/** The entrypoint's loop: starts "dockerd" whenever it is not running, unless paused. */
function startLabLoop(): void {
  loop = spawn("bash", ["-c", `while :; do [ -e "$D/dockerd" ] || touch "$D/dockerd"; sleep 0.05; done`], { env: { ...process.env, D: m.dir }, stdio: "ignore" });
  m.write("loop-pid", String(loop.pid));
}

const loopState = () => fs.readFileSync(`/proc/${loop?.pid}/stat`, "utf8").split(" ")[2];
const dockerdUp = () => fs.existsSync(path.join(m.dir, "dockerd"));

/** Runs a script as swarmlab does (bash, strict mode) with stdout kept as bytes. */
function run(script: string, stdin?: Buffer | string): { code: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync("/bin/bash", ["--noprofile", "--norc", "-c", `set -euo pipefail\n${script}`], {
    input: stdin,
    env: { ...process.env, PATH: `${m.bin}:${process.env.PATH}`, FAKE_DIR: m.dir, SWARMLAB_DOCKER_ROOT: root },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** The members and contents of a gzip tar. */
function archiveFiles(archive: Buffer): Record<string, string> {
  const dir = tmpTree({}, "swarmlab-unpacked-");
  spawnSync(REAL_TAR, ["-xzf", "-", "-C", dir], { input: archive });
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = path.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = fs.readFileSync(path.join(dir, p), "utf8");
    }
  };
  walk("");
  return out;
}

/** Waits (a little) until the resumed loop has started "dockerd" again. */
async function dockerdRestarted(): Promise<boolean> {
  for (let i = 0; i < 40 && !dockerdUp(); i++) await new Promise((r) => setTimeout(r, 50));
  return dockerdUp();
}

beforeEach(() => {
  m = fakeMachine(FAKES, "swarmlab-backup-");
  root = swarmTree("old");
  m.write("dockerd", "");
  m.write("state", "active");
});

afterEach(() => {
  loop?.kill("SIGKILL");
  loop = undefined;
});

describe("backupScript on a lab node", () => {
  it("pauses the loop, stops dockerd, archives swarm/ to stdout alone, resumes the loop and waits until docker answers", async () => {
    startLabLoop();
    const r = run(backupScript(FAST));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(m.lines("log")).toEqual(["pkill -x dockerd", "tar dockerd=down loop=T"]);
    expect(archiveFiles(r.stdout)).toEqual({
      "swarm/raft/wal-v3-encrypted/0.wal": "wal old",
      "swarm/certificates/swarm-node.key": "key old",
      "swarm/state.json": "[]",
    });
    expect(loopState()).not.toBe("T");
    expect(dockerdUp()).toBe(true);
  });

  it("resumes the loop, so dockerd starts again, when the archive fails", async () => {
    startLabLoop();
    m.write("tar-fails", "");
    const r = run(backupScript(FAST));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Permission denied");
    expect(loopState()).not.toBe("T");
    expect(await dockerdRestarted()).toBe(true);
  });

  it("fails, after resuming the loop, when dockerd does not stop in time", async () => {
    startLabLoop();
    m.write("stuck", "");
    const r = run(backupScript(FAST));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("dockerd on node-under-test did not stop within 1 s\n");
    expect(r.stdout.length).toBe(0);
    expect(loopState()).not.toBe("T");
  });

  it("takes a dockerd its paused parent has not reaped yet (a zombie) as stopped", async () => {
    startLabLoop();
    m.write("stuck", "");
    m.write("zombie", "");
    const r = run(backupScript(FAST));
    expect(r.code).toBe(0);
    expect(m.lines("log")).toContain("tar dockerd=up loop=T");
  });

  it("fails without stopping anything when the node holds no swarm state", async () => {
    startLabLoop();
    fs.rmSync(path.join(root, "swarm"), { recursive: true });
    const r = run(backupScript(FAST));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`node-under-test holds no swarm state (${root}/swarm/raft is missing)\n`);
    expect(m.lines("log")).toEqual([]);
  });

  it("fails when dockerd does not answer again in time", async () => {
    // no loop to start it again, and no systemd: stopped by a lab loop that never resumes it
    m.write("loop-pid", String(process.pid));
    m.fake({ pgrep: `[ "$1" = -o ] && echo ${process.pid}; [ "$1" = -x ] && [ -e "$FAKE_DIR/dockerd" ] && echo 999999; true` });
    m.fake({ tar: `exec ${REAL_TAR} "$@"` });
    // a stand-in for kill: signalling the test runner itself is not on
    const r = run(`kill() { :; }\n${backupScript({ stopSeconds: 1, startSeconds: 1 })}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("dockerd on node-under-test does not answer 1 s after it was started again\n");
  });
});

describe("backupScript elsewhere", () => {
  it("stops the docker unit and its socket on a systemd host, and starts docker again", async () => {
    m.write("systemd", "");
    const r = run(backupScript(FAST));
    expect(r.code).toBe(0);
    expect(m.lines("log")).toEqual(["systemctl stop docker.socket docker", "tar dockerd=down loop=none", "systemctl start docker"]);
    expect(Object.keys(archiveFiles(r.stdout))).toContain("swarm/state.json");
  });

  it("starts docker again on a systemd host when the archive fails", async () => {
    m.write("systemd", "");
    m.write("tar-fails", "");
    const r = run(backupScript(FAST));
    expect(r.code).toBe(2);
    expect(m.lines("log")).toEqual(["systemctl stop docker.socket docker", "tar dockerd=down loop=none", "systemctl start docker"]);
  });

  it("refuses a host that is neither a lab node nor a systemd host, with nothing on stdout", async () => {
    const r = run(backupScript(FAST));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cannot stop dockerd on node-under-test: it is neither a swarmlab lab node .* nor a systemd host/);
    expect(r.stdout.length).toBe(0);
    expect(dockerdUp()).toBe(true);
  });
});

describe("restoreScript", () => {
  /** A backup of another swarm, as backupScript writes it, base64 encoded with line breaks (as `base64` prints). */
  function backupOf(files: Record<string, string>): string {
    const dir = tmpTree(files, "swarmlab-backup-src-");
    const tgz = spawnSync(REAL_TAR, ["-czf", "-", "-C", dir, ...fs.readdirSync(dir)]).stdout;
    return `${tgz.toString("base64").replace(/.{76}/g, "$&\n")}\n`;
  }
  const NEW = { "swarm/raft/wal-v3-encrypted/0.wal": "wal new", "swarm/certificates/swarm-node.key": "key new" };
  const asides = () => fs.readdirSync(root).filter((f) => f.startsWith("swarm.before-restore-"));
  const at = (...p: string[]) => fs.readFileSync(path.join(root, ...p), "utf8");

  it("moves the current swarm state aside, extracts the backup with dockerd stopped, and prints the state dockerd comes back in", async () => {
    startLabLoop();
    m.write("state", "locked");
    const r = run(restoreScript(FAST), backupOf(NEW));
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe("state=locked\n");
    expect(at("swarm/raft/wal-v3-encrypted/0.wal")).toBe("wal new");
    expect(fs.existsSync(path.join(root, "swarm/state.json"))).toBe(false);
    expect(asides()).toHaveLength(1);
    expect(asides()[0]).toMatch(/^swarm\.before-restore-\d{8}T\d{6}Z$/);
    expect(at(asides()[0], "raft/wal-v3-encrypted/0.wal")).toBe("wal old");
    expect(r.stderr).toBe(`node-under-test: the swarm state it held is kept in ${root}/${asides()[0]}\n`);
    expect(m.lines("log")).toEqual(["pkill -x dockerd"]);
    expect(fs.readdirSync(root).filter((f) => f.includes("restore.")).length).toBe(0); // its work folder is gone
    expect(at("containers/keep")).toBe(""); // the rest of the docker root is untouched
    expect(loopState()).not.toBe("T");
  });

  it("restores on a node that holds no swarm state at all", async () => {
    startLabLoop();
    fs.rmSync(path.join(root, "swarm"), { recursive: true });
    const r = run(restoreScript(FAST), backupOf(NEW));
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe("state=active\n");
    expect(r.stderr).toBe("");
    expect(asides()).toEqual([]);
  });

  it("puts the state it moved aside back when the extraction fails", async () => {
    startLabLoop();
    m.write("extract-fails", "");
    const r = run(restoreScript(FAST), backupOf(NEW));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("extracting the archive on node-under-test failed: its swarm state is left as it was");
    expect(at("swarm/raft/wal-v3-encrypted/0.wal")).toBe("wal old");
    expect(asides()).toEqual([]);
    expect(await dockerdRestarted()).toBe(true);
  });

  it.each([
    ["not base64", "%%% not base64 %%%\n", /^the archive sent to node-under-test is not base64: /],
    ["not a gzip tar", `${Buffer.from("plain text").toString("base64")}\n`, /^the archive sent to node-under-test is not a gzip tar: /],
    ["a tar without swarm/raft/", backupOf({ "swarm/state.json": "[]" }), /^the archive holds no swarm\/raft\/: not a swarm backup\n$/],
    ["a tar with files outside swarm/", backupOf({ ...NEW, "etc/passwd": "x" }), /^the archive holds files outside swarm\/ \(etc\/.*\): not a swarm backup\n$/],
  ])("refuses %s before it stops anything", async (_what, stdin, message) => {
    startLabLoop();
    const r = run(restoreScript(FAST), stdin);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout.toString()).toBe("");
    expect(m.lines("log")).toEqual([]);
    expect(at("swarm/raft/wal-v3-encrypted/0.wal")).toBe("wal old");
    expect(fs.readdirSync(root).sort()).toEqual(["containers", "swarm"]);
  });

  it("round-trips a backupScript archive", async () => {
    startLabLoop();
    const backup = run(backupScript(FAST));
    expect(backup.code).toBe(0);
    fs.rmSync(path.join(root, "swarm"), { recursive: true });
    const r = run(restoreScript(FAST), backup.stdout.toString("base64"));
    expect(r.code).toBe(0);
    expect(at("swarm/certificates/swarm-node.key")).toBe("key old");
  });
});
