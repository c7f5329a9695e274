/**
 * Upgrading swarmlab keeps the swarm: a lab stood up by an earlier version (the last one whose
 * first manager ran `swarm init` as a command of its own, whose delete made it leave the swarm) is
 * taken over by this version with nothing deleted or replaced, the same cluster ID and what the
 * user made by hand; then a preview shows no changes.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { changedKinds, dropOwnStack, e2eEnabled, labImages, ownStack, pulumiRoot, ROOT, toConfigMap } from "./lab";

/** The last commit before the swarm was decided from every manager's state. */
const EARLIER = "72756d2";
const NAME = "upgrade";
const CLUSTER = "upg";

const config = {
  name: CLUSTER,
  hosts: { kind: "docker-lab", image: labImages().SWARMLAB_NODE_IMAGE, subnet: "172.30.0.0/24" },
  nodes: [
    { name: "manager1", role: "manager" },
    { name: "worker1", role: "worker" },
  ],
};

const onManager = (args: string[]) => execFileSync("docker", ["exec", `${CLUSTER}-manager1`, "docker", ...args], { encoding: "utf8" }).trim();

describe.runIf(e2eEnabled())("upgrading swarmlab", () => {
  const earlier = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-earlier-"));
  let current: Stack | undefined;
  let work = "";

  afterAll(async () => {
    await dropOwnStack(current, NAME, work);
    fs.rmSync(path.join(earlier, `Pulumi.${NAME}.yaml`), { force: true });
    execFileSync("git", ["worktree", "remove", "--force", earlier], { cwd: ROOT, stdio: "ignore" });
  });

  it("keeps the swarm, its services and what was made by hand, deleting and replacing nothing", async () => {
    // the earlier version, from this repository's own history, with this checkout's node_modules
    fs.rmSync(earlier, { recursive: true, force: true });
    execFileSync("git", ["worktree", "add", "--detach", "--force", earlier, EARLIER], { cwd: ROOT, stdio: "ignore" });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(earlier, "node_modules"));
    const own = await ownStack(NAME);
    current = own.stack;
    work = own.work;
    const pulumiCommand = await PulumiCommand.get({ root: pulumiRoot(), skipVersionCheck: true });
    const before = await LocalWorkspace.createOrSelectStack({ stackName: NAME, workDir: earlier }, { pulumiCommand, envVars: own.env });
    await before.setAllConfig(toConfigMap(config));
    await before.up({ color: "never" });
    onManager(["service", "create", "-d", "--name", "handmade", "--endpoint-mode", "dnsrr", labImages().SWARMLAB_WHOAMI_IMAGE]);
    const cluster = onManager(["info", "--format", "{{.Swarm.Cluster.ID}}"]);
    const service = onManager(["service", "inspect", "handmade", "--format", "{{.ID}}"]);

    await current.setAllConfig(toConfigMap(config));
    const preview = await current.preview({ color: "never" });
    expect(preview.changeSummary.delete ?? 0).toBe(0);
    expect(preview.changeSummary.replace ?? 0).toBe(0);
    const res = await current.up({ color: "never" });
    expect(changedKinds(res.summary).filter((k) => k !== "create" && k !== "update")).toEqual([]);
    expect(res.outputs.swarm.value).toMatchObject({ clusterId: cluster });
    expect(onManager(["info", "--format", "{{.Swarm.Cluster.ID}}"])).toBe(cluster);
    expect(onManager(["service", "inspect", "handmade", "--format", "{{.ID}}"])).toBe(service);
    expect(onManager(["node", "ls", "--format", "{{.Hostname}} {{.Status}}"]).split("\n").sort()).toEqual(["manager1 Ready", "worker1 Ready"]);
    expect(changedKinds({ resourceChanges: (await current.preview({ color: "never" })).changeSummary })).toEqual([]);
  }, 900_000);
});
