/**
 * components/swarm/settings.ts: the day-2 settings against the live spec (pure), and the scripts
 * that apply them, rotate and unlock, run against a fake manager (BOOTSTRAP_DOCKER).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { applyScript, parseSpec, readUnlockKeyScript, rotationsDue, unlockScript, updateFlags } from "../../components/swarm/settings";
import { BOOTSTRAP_DOCKER } from "../support/fakeDocker";
import { fakeMachine, type FakeMachine } from "../support/fakes";

const HOUR = 3600e9;
const liveDefaults = { autolock: false, certExpiry: 2160 * HOUR, dispatcherHeartbeat: 5e9, taskHistoryLimit: 5, snapshotInterval: 10000, maxSnapshots: 0 };

describe("parseSpec", () => {
  it("reads what docker info's Swarm.Cluster.Spec holds (durations in nanoseconds, KeepOldSnapshots absent as 0)", () => {
    const spec = JSON.stringify({
      Orchestration: { TaskHistoryRetentionLimit: 5 },
      Raft: { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500 },
      Dispatcher: { HeartbeatPeriod: 5000000000 },
      CAConfig: { NodeCertExpiry: 7776000000000000 },
      EncryptionConfig: { AutoLockManagers: false },
    });
    expect(parseSpec(spec)).toEqual(liveDefaults);
    expect(parseSpec('{"Raft":{"SnapshotInterval":10000},"EncryptionConfig":{"AutoLockManagers":true}}')).toMatchObject({ autolock: true, maxSnapshots: 0 });
  });

  it("is undefined when there is no spec to read (not a manager with a leader) or it is not JSON", () => {
    expect(parseSpec(undefined)).toBeUndefined();
    expect(parseSpec("<no value>")).toBeUndefined();
  });
});

describe("updateFlags", () => {
  it("asks for nothing when the live spec already is what the configuration says (unset settings are left alone)", () => {
    expect(updateFlags({ autolock: false }, liveDefaults)).toEqual([]);
    expect(updateFlags({ autolock: false, certExpiry: "2160h", dispatcherHeartbeat: "5s", taskHistoryLimit: 5, snapshotInterval: 10000, maxSnapshots: 0 }, liveDefaults)).toEqual([]);
    // the same duration written another way is no change
    expect(updateFlags({ autolock: false, certExpiry: "90h1080m2160h", dispatcherHeartbeat: "5000ms" }, { ...liveDefaults, certExpiry: (90 + 18 + 2160) * HOUR })).toEqual([]);
  });

  it("flags exactly what differs, with durations as the user wrote them", () => {
    expect(updateFlags({ autolock: true, certExpiry: "48h", taskHistoryLimit: 10 }, liveDefaults)).toEqual(["--autolock=true", "--cert-expiry '48h'", "--task-history-limit 10"]);
    expect(updateFlags({ autolock: false, snapshotInterval: 5000, maxSnapshots: 2, dispatcherHeartbeat: "10s" }, liveDefaults)).toEqual(["--dispatcher-heartbeat '10s'", "--snapshot-interval 5000", "--max-snapshots 2"]);
    // autolock turned off by hand while the configuration says on, and the other way round: put back
    expect(updateFlags({ autolock: true }, liveDefaults)).toEqual(["--autolock=true"]);
    expect(updateFlags({ autolock: false }, { ...liveDefaults, autolock: true })).toEqual(["--autolock=false"]);
  });

  it("flags every set setting when the live spec is unknown (a swarm just made)", () => {
    expect(updateFlags({ autolock: false, taskHistoryLimit: -1 }, undefined)).toEqual(["--autolock=false", "--task-history-limit -1"]);
  });
});

describe("rotationsDue", () => {
  it("rotates on a changed trigger, and on one set for the first time; never on an unchanged or removed one", () => {
    expect(rotationsDue(undefined, undefined)).toEqual([]);
    expect(rotationsDue({}, { joinTokens: "1" })).toEqual(["joinTokens"]);
    expect(rotationsDue({ joinTokens: "1", ca: "a" }, { joinTokens: "1", ca: "a" })).toEqual([]);
    expect(rotationsDue({ joinTokens: "1", ca: "a", unlockKey: "x" }, { joinTokens: "2", ca: "b", unlockKey: "y" })).toEqual(["unlockKey", "joinTokens", "ca"]);
    expect(rotationsDue({ joinTokens: "1" }, {})).toEqual([]);
  });
});

describe("the scripts, on a fake manager", () => {
  let m: FakeMachine;
  beforeEach(() => {
    m = fakeMachine({ docker: BOOTSTRAP_DOCKER });
    m.write("state", "active");
    m.write("control", "true");
    m.write("cluster", "c1");
  });
  const calls = () => m.lines("log");

  it("applies the settings, rotates the unlock key and both tokens, and reads the new key", () => {
    const lines = applyScript(["--autolock=true", "--task-history-limit 10"], ["unlockKey", "joinTokens"], { autolock: true, waitSeconds: 5 });
    const r = m.run([...lines, readUnlockKeyScript(true)].join("\n"));
    expect(r.stderr).toBe("");
    expect(calls()).toEqual([
      "swarm update --autolock=true --task-history-limit 10",
      "swarm unlock-key --rotate -q",
      "swarm join-token --rotate -q worker",
      "swarm join-token --rotate -q manager",
      "swarm unlock-key -q",
    ]);
    expect(r.stdout).toBe("unlock=SWMKEY-1-r1\n");
    expect(m.read("history").trim()).toBe("10");
  });

  it("never rotates an unlock key without autolock (there is none), and prints an empty key", () => {
    const r = m.run([...applyScript([], ["unlockKey"], { autolock: false, waitSeconds: 5 }), readUnlockKeyScript(false)].join("\n"));
    expect(calls()).toEqual([]);
    expect(r.stdout).toBe("unlock=\n");
  });

  it("rotates the CA detached and waits for the rotation to end", () => {
    const r = m.run(applyScript([], ["ca"], { autolock: false, waitSeconds: 5 }).join("\n"));
    expect(r.code).toBe(0);
    expect(calls()).toEqual(["swarm ca --rotate --detach -q", "info --format {{.Swarm.Cluster.RootRotationInProgress}}", "info --format {{.Swarm.Cluster.RootRotationInProgress}}"]);
  });

  it("says so, without failing, when the CA rotation is still going on at the deadline (a node that is down)", () => {
    m.fake({ docker: BOOTSTRAP_DOCKER.replace('"info --format {{.Swarm.Cluster.RootRotationInProgress}}") echo false ;;', '"info --format {{.Swarm.Cluster.RootRotationInProgress}}") echo true ;;') });
    const r = m.run(applyScript([], ["ca"], { autolock: false, waitSeconds: 1 }).join("\n"));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("the CA rotation goes on in the background after 1 s");
  });

  it("unlocks a locked manager with the key given on stdin, and leaves an unlocked one alone", () => {
    m.write("state", "locked");
    m.write("key", "SWMKEY-1-secret");
    const r = m.run(unlockScript(), { stdin: "SWMKEY-1-secret\n" });
    expect(r.stdout).toBe("state=active unlocked=yes\n");
    expect(calls()).toContain("swarm unlock");
    // the key never reaches docker's arguments
    expect(calls().join("\n")).not.toContain("SWMKEY");
    const again = m.run(unlockScript(), { stdin: "SWMKEY-1-secret\n" });
    expect(again.stdout).toBe("state=active\n");
  });

  it("fails with docker's words on a wrong key", () => {
    m.write("state", "locked");
    m.write("key", "SWMKEY-1-secret");
    const r = m.run(unlockScript(), { stdin: "SWMKEY-1-wrong\n" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/docker swarm unlock on .* failed: Error response from daemon: invalid key/);
    expect(m.read("state").trim()).toBe("locked");
  });
});
