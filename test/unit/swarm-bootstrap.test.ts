/**
 * components/swarm/bootstrap.ts: the swarm resource's provider, run for real over a fake `ssh`
 * against fake managers (BOOTSTRAP_DOCKER): what a preview (diff) reports and what an update does
 * for the day-2 cases: a manager that restarted locked, settings changed by hand, rotations, a
 * restore asked over a live swarm, and a state written before these settings existed.
 */
import * as fs from "fs";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bootstrapProvider, surveyPauseSeconds, type BootstrapInputs, type BootstrapOutputs } from "../../components/swarm/bootstrap";
import { BOOTSTRAP_DOCKER, SSH_TO_FAKE_MACHINES } from "../support/fakeDocker";
import { fakeBin, withPath, writeFakes } from "../support/fakes";
import { tmp } from "../support/tmp";

const names = ["m1", "m2", "m3"];
let root: string;
const file = (m: string, f: string) => path.join(root, m, f);
const write = (m: string, f: string, text: string) => fs.writeFileSync(file(m, f), `${text}\n`);
const read = (m: string, f: string) => (fs.existsSync(file(m, f)) ? fs.readFileSync(file(m, f), "utf8").trim() : "");
const calls = (m: string) => read(m, "log").split("\n").filter(Boolean);

function inputs(over: Partial<BootstrapInputs> = {}): BootstrapInputs {
  return {
    managers: names.map((n) => ({ name: n, advertiseAddress: `10.0.0.${n.slice(1)}`, connection: { host: n, port: 22, user: "root", privateKey: "KEY" } })),
    forceNewCluster: false,
    settings: { autolock: false },
    rotate: {},
    waitSeconds: 1,
    sshRetrySeconds: 0,
    ...over,
  };
}

/** A swarm c1 held by every manager, as the last run recorded it. */
function live(over: Partial<BootstrapOutputs> = {}): BootstrapOutputs {
  for (const m of names) {
    write(m, "state", "active");
    write(m, "control", "true");
    write(m, "cluster", "c1");
  }
  return { ...inputs(), clusterId: "c1", worker: "SWMTKN-1-w", manager: "SWMTKN-1-m", unlockKey: "", event: "kept", ...over };
}

let bin: string;
beforeEach(() => {
  root = tmp("swarmlab-managers-");
  for (const m of names) writeFakes(path.join(root, m, "bin"), { docker: BOOTSTRAP_DOCKER });
  bin = fakeBin({ ssh: SSH_TO_FAKE_MACHINES });
  process.env.FAKE_MACHINES = root;
});
afterEach(() => {
  delete process.env.FAKE_MACHINES;
  delete process.env.SWARMLAB_RESTORE_FROM;
  delete process.env.SWARMLAB_UNLOCK_KEY;
});
const provider = <T>(fn: () => Promise<T>) => withPath(bin, fn);

describe("bootstrapProvider", () => {
  it("initialises with autolock on and records the unlock key", async () => {
    for (const m of names) write(m, "state", "inactive");
    const { outs } = await provider(() => bootstrapProvider.create(inputs({ settings: { autolock: true, taskHistoryLimit: 10 } })));
    expect(outs).toMatchObject({ clusterId: "c-new", unlockKey: "SWMKEY-1-a", worker: "SWMTKN-1-w" });
    expect(calls("m1")).toContain("swarm update --autolock=true --task-history-limit 10");
  });

  it("leaves managers that are all silent to the update (this plan may start them again), which still refuses to guess", async () => {
    const olds = live();
    for (const m of names) write(m, "down", "");
    // the preview plans an update instead of failing: a stopped lab manager is started before this resource runs
    const d = await provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs()));
    expect(d.changes).toBe(true);
    // and if they are still silent then, the update refuses with the same words, having run nothing
    await expect(provider(() => bootstrapProvider.update!("swarm-c1", olds, inputs()))).rejects.toThrow(/swarm: cannot tell whether the swarm still exists: .*swarmlab does not initialise a new swarm while a manager that may hold the old one is silent/);
    expect(names.flatMap((m) => calls(m).filter((c) => c.startsWith("swarm ")))).toEqual([]);
  });

  it("sees no change in a state written before the day-2 settings, when the swarm has docker's defaults", async () => {
    const olds = live();
    delete olds.settings;
    delete olds.rotate;
    delete olds.unlockKey;
    const d = await provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs()));
    expect(d.changes).toBe(false);
    expect(calls("m1").filter((c) => c.startsWith("swarm "))).toEqual([]);
  });

  it("a manager that restarted locked is a change when its key is recorded; the update unlocks it first, with the key on stdin", async () => {
    const olds = live({ settings: { autolock: true }, unlockKey: "SWMKEY-1-a" });
    for (const m of names) {
      write(m, "autolock", "true");
      write(m, "key", "SWMKEY-1-a");
    }
    write("m1", "state", "locked");
    expect((await provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs({ settings: { autolock: true } })))).changes).toBe(true);
    const { outs } = await provider(() => bootstrapProvider.update!("swarm-c1", olds, inputs({ settings: { autolock: true } })));
    expect(read("m1", "state")).toBe("active");
    expect(calls("m1")).toContain("swarm unlock");
    expect(outs).toMatchObject({ clusterId: "c1", unlockKey: "SWMKEY-1-a" });
    // every manager locked (the whole lab restarted): still unlocked, not refused
    for (const m of names) write(m, "state", "locked");
    expect((await provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs({ settings: { autolock: true } })))).changes).toBe(true);
    await provider(() => bootstrapProvider.update!("swarm-c1", olds, inputs({ settings: { autolock: true } })));
    expect(names.map((m) => read(m, "state"))).toEqual(["active", "active", "active"]);
  });

  it("without a known key a fully locked swarm is refused, saying where the key is", async () => {
    const olds = live({ unlockKey: "" });
    for (const m of names) write(m, "state", "locked");
    await expect(provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs()))).rejects.toThrow(/hold a locked swarm \(autolock\) and swarmlab has no unlock key for it: set SWARMLAB_UNLOCK_KEY/);
  });

  it("a setting changed by hand is a change, put back by the update; turning autolock off empties the key", async () => {
    const olds = live({ settings: { autolock: true }, unlockKey: "SWMKEY-1-a" });
    write("m1", "history", "3");
    expect((await provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs({ settings: { autolock: false, taskHistoryLimit: 5 } })))).changes).toBe(true);
    write("m1", "history", "5");
    expect((await provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs({ settings: { autolock: false, taskHistoryLimit: 5 } })))).changes).toBe(false);
    write("m1", "autolock", "true");
    write("m1", "key", "SWMKEY-1-a");
    const { outs } = await provider(() => bootstrapProvider.update!("swarm-c1", olds, inputs({ settings: { autolock: false } })));
    expect(calls("m1")).toContain("swarm update --autolock=false");
    expect(outs?.unlockKey).toBe("");
  });

  it("rotates the join tokens on a changed trigger, and records the new ones", async () => {
    const olds = live({ rotate: { joinTokens: "1" } });
    expect((await provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs({ rotate: { joinTokens: "1" } })))).changes).toBe(false);
    expect((await provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs({ rotate: { joinTokens: "2" } })))).changes).toBe(true);
    const { outs } = await provider(() => bootstrapProvider.update!("swarm-c1", olds, inputs({ rotate: { joinTokens: "2" } })));
    expect(outs).toMatchObject({ worker: "SWMTKN-1-w1", rotate: { joinTokens: "2" } });
  });

  it("a swarm made by this run only records its rotation triggers (its tokens and keys are new)", async () => {
    for (const m of names) write(m, "state", "inactive");
    const { outs } = await provider(() => bootstrapProvider.create(inputs({ settings: { autolock: true }, rotate: { joinTokens: "1", unlockKey: "1", ca: "1" } })));
    expect(outs).toMatchObject({ clusterId: "c-new", worker: "SWMTKN-1-w", unlockKey: "SWMKEY-1-a", rotate: { joinTokens: "1", unlockKey: "1", ca: "1" } });
    expect(calls("m1").filter((c) => c.includes("--rotate"))).toEqual([]);
  });

  it("refuses a restore over a live swarm, before anything is changed", async () => {
    const olds = live();
    process.env.SWARMLAB_RESTORE_FROM = "/tmp/backup.tar.gz";
    await expect(provider(() => bootstrapProvider.diff!("swarm-c1", olds, inputs()))).rejects.toThrow(/restore rebuilds a cluster none of whose managers holds a swarm, but m1 holds the live swarm c1/);
    expect(calls("m1").filter((c) => !c.startsWith("info"))).toEqual([]);
  });
});

describe("surveyPauseSeconds", () => {
  it("surveys booting managers again every half second at first, then every 3 s", () => {
    expect([0, 5, 14.9].map(surveyPauseSeconds)).toEqual([0.5, 0.5, 0.5]);
    expect([15, 60, 290].map(surveyPauseSeconds)).toEqual([3, 3, 3]);
  });
});
