/**
 * Day-2 drills on the three-manager lab that 55-failover leaves: autolock (a manager restarted
 * locked is unlocked by the next up; the key rotates on its trigger), swarm settings, join-token
 * and CA rotation with a worker joining after them, and a backup taken without losing quorum, the
 * lab destroyed, then restored from it with its services and a secret. Checked with the docker CLI.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLUSTER, cliEnv, e2eEnabled, eventually, labImages, nodeDocker, servicesConfig, THREE_MANAGERS, up, WORK, type LabNode } from "./lab";

const NODES = THREE_MANAGERS;
type Node = LabNode;

function config(swarm: Record<string, unknown> = {}, nodes: Node[] = NODES): Record<string, unknown> {
  return { ...servicesConfig(), nodes, swarm: { sshRetrySeconds: 60, ...swarm } };
}

const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const localState = (node: string) => nodeDocker(node, ["info", "--format", "{{.Swarm.LocalNodeState}}"]).trim();
const rows = (manager = "manager1") =>
  nodeDocker(manager, ["node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"])
    .trim()
    .split("\n")
    .map((r) => r.trimEnd())
    .sort();
/** Nameless entries (a join that never reached its first session), with what tells where they came from. */
const nameless = () =>
  nodeDocker("manager1", ["node", "ls", "--format", "{{.ID}} {{.Hostname}}"])
    .trim()
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.includes(" "))
    .map((id) => nodeDocker("manager1", ["node", "inspect", "-f", "{{.ID}} created {{.CreatedAt}} role {{.Spec.Role}} {{.Status.State}} {{.Status.Message}}", id]).trim());
const allReady = (n: number) => () => {
  const r = rows();
  if (r.length === n && r.every((l) => / Ready/.test(l))) return true;
  const odd = r.some((l) => l.startsWith(" ")) ? ` (nameless: ${nameless().join("; ")})` : "";
  return `${r.join(", ")}${odd}`;
};
const npm = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync("npm", ["run", "-s", ...args], { encoding: "utf8", env: { ...cliEnv(), ...env } });
/** Every file of the stack's state, as text: where a secret must never be in the clear. */
const stateText = () => sh(`cat $(find ${JSON.stringify(path.join(WORK, "state"))} -name '*.json' -path '*stacks*')`);

describe.runIf(e2eEnabled())("day-2 drills: autolock, rotations, backup and restore", () => {
  let key = "";
  const backups = path.join(WORK, "backups");

  beforeAll(async () => {
    await up(config());
    await eventually("five nodes Ready", allReady(5), 120_000);
  }, 1_200_000);

  afterAll(async () => {
    fs.rmSync(backups, { recursive: true, force: true });
  });

  it("autolock on with settings: the key is a secret output; a manager restarted locked is shown locked, then unlocked by the next up", async () => {
    const res = await up(config({ autolock: true, certExpiry: "720h", taskHistoryLimit: 3 }));
    key = res.outputs.unlockKey as string;
    expect(key).toMatch(/^SWMKEY-1-/);
    expect(nodeDocker("manager1", ["swarm", "unlock-key", "-q"]).trim()).toBe(key);
    expect(nodeDocker("manager1", ["info", "--format", "{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}} {{.Swarm.Cluster.Spec.CAConfig.NodeCertExpiry}} {{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}"]).trim()).toBe("true 720h0m0s 3");
    expect(res.stdout).not.toContain(key);
    expect(stateText()).not.toContain(key);

    sh(`docker restart -t 3 ${CLUSTER}-manager2 >/dev/null`);
    await eventually("manager2 restarted locked", () => localState("manager2") === "locked" || localState("manager2"), 90_000);
    await eventually("npm run status shows manager2 locked", () => {
      const s = npm(["status"]);
      return /^manager2\s+manager\s+active\s+\S+ \(locked\)/m.test(s.stdout) || `${s.status}: ${s.stdout}${s.stderr}`;
    }, 90_000);

    const again = await up(config({ autolock: true, certExpiry: "720h", taskHistoryLimit: 3 }));
    expect(localState("manager2")).toBe("active");
    expect(again.stdout).not.toContain(key);
    await eventually("manager2 Ready and reachable again", () => rows().some((r) => /^manager2 Ready (Reachable|Leader)$/.test(r)) || rows().join(", "), 120_000);
  }, 1_200_000);

  it("the unlock key rotates on its trigger; the new one replaces the old in the output", async () => {
    const res = await up(config({ autolock: true, certExpiry: "720h", taskHistoryLimit: 3, rotateUnlockKey: 1 }));
    const rotated = res.outputs.unlockKey as string;
    expect(rotated).toMatch(/^SWMKEY-1-/);
    expect(rotated).not.toBe(key);
    expect(nodeDocker("manager1", ["swarm", "unlock-key", "-q"]).trim()).toBe(rotated);
    key = rotated;
  }, 600_000);

  it("join tokens rotated on their trigger, then a new worker joins; a CA rotation leaves every node Ready", async () => {
    const before = (await up(config({ autolock: true, rotateUnlockKey: 1 }))).outputs.joinCommands as { worker: string };
    const res = await up(config({ autolock: true, rotateUnlockKey: 1, rotateJoinTokens: "a" }, [...NODES, { name: "worker3", role: "worker" }]));
    const after = res.outputs.joinCommands as { worker: string };
    expect(after.worker).not.toBe(before.worker);
    expect(after.worker).toContain(nodeDocker("manager1", ["swarm", "join-token", "-q", "worker"]).trim());
    await eventually("six nodes Ready", allReady(6), 120_000);

    const ca = nodeDocker("manager1", ["swarm", "ca"]).trim();
    await up(config({ autolock: true, rotateUnlockKey: 1, rotateJoinTokens: "a", rotateCA: "a" }, [...NODES, { name: "worker3", role: "worker" }]));
    expect(nodeDocker("manager1", ["swarm", "ca"]).trim()).not.toBe(ca);
    await eventually("six nodes Ready after the CA rotation", allReady(6), 120_000);
    await up(config({ autolock: true, rotateUnlockKey: 1, rotateJoinTokens: "a", rotateCA: "a" }));
    await eventually("five nodes Ready", allReady(5), 120_000);
  }, 1_200_000);

  it("backup on a manager that is not the leader without losing quorum; destroy; restore brings back the stack's services and a secret", async () => {
    nodeDocker("manager1", ["service", "create", "-d", "--name", "e2e-day2", "--endpoint-mode", "dnsrr", "--replicas", "1", labImages().SWARMLAB_WHOAMI_IMAGE]);
    sh(`echo kept-in-the-backup | docker exec -i ${CLUSTER}-manager1 docker secret create e2e-day2 - >/dev/null`);
    const cluster = nodeDocker("manager1", ["info", "--format", "{{.Swarm.Cluster.ID}}"]).trim();
    const services = nodeDocker("manager1", ["service", "ls", "--format", "{{.Name}}"]).trim().split("\n").sort();
    const leader = rows().find((r) => r.endsWith(" Leader"))?.split(" ")[0] as string;

    // the control plane must answer all along: asked every half second while the backup runs
    const backup = spawn("npm", ["run", "-s", "backup", "--", "--out", backups], { env: cliEnv() });
    let out = "";
    let err = "";
    backup.stdout.on("data", (d: Buffer) => (out += d.toString()));
    backup.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const done = new Promise<number | null>((resolve) => backup.on("close", resolve));
    const failures: string[] = [];
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      const r = spawnSync("docker", ["exec", `${CLUSTER}-${leader}`, "docker", "node", "ls", "-q"], { encoding: "utf8" });
      if (r.status !== 0) failures.push(r.stderr.trim());
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await done, `${out}\n${err}`).toBe(0);
    expect(failures).toEqual([]);
    const file = out.trim().split("\n").pop() as string;
    expect(path.basename(file)).toMatch(new RegExp(`^${CLUSTER}-\\d{8}T\\d{6}Z-manager[23]\\.tar\\.gz$`));
    expect(path.basename(file)).not.toContain(leader);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(`${out}${err}`).toContain("unlockKey");
    expect(`${out}${err}`).not.toContain(key);
    await eventually("five nodes Ready after the backup", allReady(5), 120_000);

    const destroy = npm(["destroy"]);
    expect(destroy.status, destroy.stdout + destroy.stderr).toBe(0);
    expect(sh(`docker ps -a -q --filter label=swarmlab.cluster=${CLUSTER}`).trim()).toBe("");

    const restore = npm(["restore", "--", file], { SWARMLAB_UNLOCK_KEY: key });
    expect(restore.status, restore.stdout + restore.stderr).toBe(0);
    expect(restore.stdout + restore.stderr).not.toContain(key);
    expect(nodeDocker("manager1", ["info", "--format", "{{.Swarm.Cluster.ID}}"]).trim()).toBe(cluster);
    expect(nodeDocker("manager1", ["service", "ls", "--format", "{{.Name}}"]).trim().split("\n").sort()).toEqual(services);
    expect(nodeDocker("manager1", ["secret", "ls", "--format", "{{.Name}}"]).split("\n")).toContain("e2e-day2");
    await eventually("five nodes Ready after the restore", allReady(5), 180_000);
    await eventually("the hand-made service runs again", () => nodeDocker("manager1", ["service", "ls", "--filter", "name=e2e-day2", "--format", "{{.Replicas}}"]).trim() === "1/1", 180_000);
  }, 1_800_000);

  it("autolock off again: the key output is empty; back to the shared lab", async () => {
    nodeDocker("manager1", ["service", "rm", "e2e-day2"]);
    nodeDocker("manager1", ["secret", "rm", "e2e-day2"]);
    const res = await up(config());
    expect(res.outputs.unlockKey).toBe("");
    expect(nodeDocker("manager1", ["info", "--format", "{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}"]).trim()).toBe("false");
    await up(config({}, NODES.filter((n) => n.name !== "manager3")));
    await up(servicesConfig());
    await eventually("three nodes Ready", allReady(3), 120_000);
  }, 1_200_000);
});
