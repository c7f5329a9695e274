/**
 * cli/lib/backupPlan.ts: which manager `npm run backup` stops, or why none, in every case of the
 * manager count and reachability; its command line, file name and the "is it back" check.
 */
import { describe, expect, it } from "vitest";
import {
  backupFileName,
  BACKUP_USAGE,
  managerIsBack,
  parseBackupArgs,
  planBackup,
  sizeText,
  swarmManagers,
  utcStamp,
  type SwarmManager,
} from "../../cli/lib/backupPlan";
import { UsageError } from "../../cli/lib/cli";
import type { DockerNode } from "../../cli/lib/swarmState";

const up = (name: string, leader = false): SwarmManager => ({ name, reachable: true, leader });
const down = (name: string): SwarmManager => ({ name, reachable: false, leader: false });
const M3 = ["manager1", "manager2", "manager3"];
const M5 = [...M3, "manager4", "manager5"];
const strict = { acceptOutage: false };
const accept = { acceptOutage: true };

describe("planBackup with 3 or more managers", () => {
  it("takes the last configured manager that is not the leader", () => {
    expect(planBackup([up("manager1", true), up("manager2"), up("manager3")], M3, strict)).toEqual({ node: "manager3" });
  });

  it("skips the leader even when it is the last configured", () => {
    expect(planBackup([up("manager1"), up("manager2"), up("manager3", true)], M3, strict)).toEqual({ node: "manager2" });
  });

  it("skips unreachable managers and those the stack does not configure (no SSH target)", () => {
    const managers = [up("manager1", true), up("manager2"), up("manager3"), up("manager4"), down("manager5")];
    expect(planBackup(managers, M5, strict)).toEqual({ node: "manager4" });
    expect(planBackup(managers, ["manager1", "manager2", "manager3"], strict)).toEqual({ node: "manager3" });
  });

  it("takes a manager when one is down but the stop still keeps the quorum (5 managers, 4 reachable, 3 needed)", () => {
    expect(planBackup([up("manager1", true), up("manager2"), up("manager3"), up("manager4"), down("manager5")], M5, strict)).toEqual({ node: "manager4" });
  });

  it("refuses when the stop would lose the quorum (3 managers, one down), saying what to do", () => {
    const plan = planBackup([up("manager1", true), up("manager2"), down("manager3")], M3, strict);
    expect(plan).toEqual({ refuse: expect.stringMatching(/^only 2 of the 3 managers are reachable: stopping one for the backup leaves fewer than the 2 that the Raft quorum needs, .*Bring the missing managers back \(npm run status; npm run up\).*; pass --accept-outage to back up anyway/) });
  });

  it("refuses when only the leader is usable, unless the outage is accepted", () => {
    const managers = [up("manager1", true), up("manager2"), up("manager3")];
    expect(planBackup(managers, ["manager1"], strict)).toEqual({ refuse: expect.stringMatching(/^no reachable manager other than the leader manager1 is configured in this stack: .*election.*--accept-outage/) });
    expect(planBackup(managers, ["manager1"], accept)).toEqual({ node: "manager1", outage: expect.stringContaining("election") });
  });

  it("with --accept-outage, backs up a non-leader even when the quorum is lost meanwhile", () => {
    expect(planBackup([up("manager1", true), up("manager2"), down("manager3")], M3, accept)).toEqual({ node: "manager2", outage: expect.stringMatching(/^only 2 of the 3/) });
  });
});

describe("planBackup with 1 or 2 managers", () => {
  it("refuses a single manager unless the outage is accepted, and says what the outage is", () => {
    const plan = planBackup([up("manager1", true)], ["manager1"], strict);
    expect(plan).toEqual({
      refuse:
        "the swarm has a single manager: backing it up means the swarm's control plane stops for a few seconds (running services keep running; the tasks on the manager backed up restart with its engine); pass --accept-outage to back up anyway (npm run backup -- --accept-outage)",
    });
    expect(planBackup([up("manager1", true)], ["manager1"], accept)).toEqual({ node: "manager1", outage: expect.stringMatching(/^the swarm has a single manager/) });
  });

  it("refuses 2 managers (either stop loses the quorum) unless accepted; then the non-leader", () => {
    const managers = [up("manager1"), up("manager2", true)];
    expect(planBackup(managers, ["manager1", "manager2"], strict)).toEqual({ refuse: expect.stringMatching(/^the swarm has 2 managers: stopping either for the backup loses the Raft quorum.*--accept-outage/) });
    expect(planBackup(managers, ["manager1", "manager2"], accept)).toEqual({ node: "manager1", outage: expect.stringMatching(/^the swarm has 2 managers/) });
  });

  it("with 2 managers and one down, takes the reachable one when accepted", () => {
    expect(planBackup([down("manager1"), up("manager2", true)], ["manager1", "manager2"], accept)).toEqual({ node: "manager2", outage: expect.any(String) });
  });
});

describe("planBackup with nothing to back up", () => {
  it("refuses when no configured manager is reachable, even with --accept-outage", () => {
    const plan = planBackup([down("manager1"), up("other", true)], ["manager1"], accept);
    expect(plan).toEqual({ refuse: expect.stringMatching(/^no manager of the swarm that this stack configures is reachable \(swarm managers: manager1 \(unreachable\), other\)/) });
  });

  it("refuses a swarm without managers", () => {
    expect(planBackup([], ["manager1"], accept)).toEqual({ refuse: "the swarm lists no managers" });
  });
});

describe("swarmManagers", () => {
  const node = (name: string, role: string, state: string, ms?: DockerNode["ManagerStatus"]): DockerNode => ({
    Description: { Hostname: name },
    Spec: { Role: role, Availability: "active", Labels: {} },
    Status: { State: state },
    ManagerStatus: ms,
  });

  it("reads the managers of docker node inspect: reachable when ready and reachable (or the leader)", () => {
    expect(
      swarmManagers([
        node("manager1", "manager", "ready", { Leader: true, Reachability: "reachable" }),
        node("manager2", "manager", "ready", { Reachability: "unreachable" }),
        node("manager3", "manager", "down", { Reachability: "reachable" }),
        node("worker1", "worker", "ready"),
      ]),
    ).toEqual([
      { name: "manager1", reachable: true, leader: true },
      { name: "manager2", reachable: false, leader: false },
      { name: "manager3", reachable: false, leader: false },
    ]);
  });
});

describe("npm run backup arguments", () => {
  it.each([
    [[], { acceptOutage: false }],
    [["--accept-outage"], { acceptOutage: true }],
    [["--", "--accept-outage", "--out", "/tmp/b"], { acceptOutage: true, out: "/tmp/b" }],
    [["--out=rel/dir"], { acceptOutage: false, out: "rel/dir" }],
    [["-o", "d"], { acceptOutage: false, out: "d" }],
    [["--help"], { help: true }],
  ])("%j", (argv, expected) => {
    expect(parseBackupArgs(argv)).toEqual(expected);
  });

  it.each([[["--out"]], [["--out="]], [["--force"]], [["manager1"]]])("%j is a usage error", (argv) => {
    expect(() => parseBackupArgs(argv)).toThrow(UsageError);
    expect(() => parseBackupArgs(argv)).toThrow(BACKUP_USAGE);
  });
});

describe("the backup file", () => {
  it("is named <cluster>-<UTC yyyymmddThhmmssZ>-<node>.tar.gz", () => {
    const at = new Date("2026-12-05T06:32:07.123Z");
    expect(utcStamp(at)).toBe("20261205T063207Z");
    expect(backupFileName("lab", "manager3", at)).toBe("lab-20261205T063207Z-manager3.tar.gz");
    expect(backupFileName("my lab/x", "m:1", at)).toBe("my_lab_x-20261205T063207Z-m_1.tar.gz");
  });

  it.each([
    [512, "512 B"],
    [83466, "82 KiB"],
    [5 * 2 ** 20 + 2 ** 19, "5.5 MiB"],
  ])("%d bytes: %s", (n, text) => {
    expect(sizeText(n)).toBe(text);
  });
});

describe("managerIsBack", () => {
  const ls = (line: string) => `manager1|Ready|Leader\n${line}\nworker1|Ready|\n`;
  it.each([
    ["manager3|Ready|Reachable", true],
    ["manager3|Ready|Leader", true],
    ["manager3|Down|Unreachable", false],
    ["manager3|Ready|Unreachable", false],
    ["manager3|Unknown|Reachable", false],
    ["manager30|Ready|Reachable", false],
  ])("%s: %s", (line, back) => {
    expect(managerIsBack(ls(line), "manager3")).toBe(back);
  });
});
