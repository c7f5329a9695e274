/**
 * Upgrading swarmlab keeps the swarm. A lab with every add-on and a stack is stood up by an early
 * version (the last one whose first manager ran `swarm init` as a command of its own, whose delete
 * made it leave the swarm), then taken over by the version before the code was reorganised into
 * cli/, stacks/ and addons/ with nothing deleted or replaced, the same cluster ID and what the user
 * made by hand; then this version, whose components carry new type tokens (with aliases), must see
 * no change at all.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { changedKinds, dropOwnStack, e2eEnabled, labImages, ownStack, pulumiRoot, ROOT, toConfigMap } from "./lab";

/** The last commit before the swarm was decided from every manager's state. */
const EARLIEST = "72756d2";
/** The last commit before the reorganisation (issue 15): its type tokens were swarmlab:services:* and swarmlab:stacks:Stack. */
const BEFORE_LAYOUT = "4928ede";
const NAME = "upgrade";
const CLUSTER = "upg";

const img = labImages();
const config = {
  name: CLUSTER,
  hosts: { kind: "docker-lab", image: img.SWARMLAB_NODE_IMAGE, subnet: "172.30.0.0/24" },
  nodes: [
    { name: "manager1", role: "manager" },
    { name: "worker1", role: "worker" },
  ],
  images: { sideLoad: [img.SWARMLAB_REGISTRY_IMAGE, img.SWARMLAB_TRAEFIK_IMAGE, img.SWARMLAB_WHOAMI_IMAGE] },
  registry: { enabled: true, image: img.SWARMLAB_REGISTRY_IMAGE, port: 5000 },
  traefik: { enabled: true, image: img.SWARMLAB_TRAEFIK_IMAGE },
  networks: [{ name: "backend", attachable: true }],
  stacks: [{ name: "whoami", file: "stacks/whoami.yaml", images: { whoami: img.SWARMLAB_WHOAMI_IMAGE } }],
};

const onManager = (args: string[]) => execFileSync("docker", ["exec", `${CLUSTER}-manager1`, "docker", ...args], { encoding: "utf8" }).trim();

describe.runIf(e2eEnabled())("upgrading swarmlab", () => {
  const worktrees: string[] = [];
  let current: Stack | undefined;
  let work = "";

  afterAll(async () => {
    await dropOwnStack(current, NAME, work);
    for (const dir of worktrees) {
      fs.rmSync(path.join(dir, `Pulumi.${NAME}.yaml`), { force: true });
      execFileSync("git", ["worktree", "remove", "--force", dir], { cwd: ROOT, stdio: "ignore" });
    }
  });

  /** A stack of this same state, run by the code of an earlier commit (this repository's own history, this checkout's node_modules). */
  async function earlierVersion(commit: string, env: Record<string, string>): Promise<Stack> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `swarmlab-${commit}-`));
    fs.rmSync(dir, { recursive: true, force: true });
    execFileSync("git", ["worktree", "add", "--detach", "--force", dir, commit], { cwd: ROOT, stdio: "ignore" });
    worktrees.push(dir);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    const pulumiCommand = await PulumiCommand.get({ root: pulumiRoot(), skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: NAME, workDir: dir }, { pulumiCommand, envVars: env });
    await stack.setAllConfig(toConfigMap(config));
    return stack;
  }

  it("keeps the swarm, its services and what was made by hand across versions, and a reorganised version sees 0 changes", async () => {
    const own = await ownStack(NAME);
    current = own.stack;
    work = own.work;
    await (await earlierVersion(EARLIEST, own.env)).up({ color: "never" });
    onManager(["service", "create", "-d", "--name", "handmade", "--endpoint-mode", "dnsrr", img.SWARMLAB_WHOAMI_IMAGE]);
    const cluster = onManager(["info", "--format", "{{.Swarm.Cluster.ID}}"]);
    const services = onManager(["service", "ls", "-q"]).split("\n").sort();
    expect(services.length).toBe(4); // registry, traefik, whoami, handmade

    const beforeLayout = await earlierVersion(BEFORE_LAYOUT, own.env);
    const preview = await beforeLayout.preview({ color: "never", diff: true });
    expect(preview.changeSummary.delete ?? 0, preview.stdout).toBe(0);
    expect(preview.changeSummary.replace ?? 0, preview.stdout).toBe(0);
    const res = await beforeLayout.up({ color: "never" });
    expect(changedKinds(res.summary).filter((k) => k !== "create" && k !== "update")).toEqual([]);
    expect(res.outputs.swarm.value).toMatchObject({ clusterId: cluster });

    // this version: renamed component types, moved files; not one resource may change
    await current.setAllConfig(toConfigMap(config));
    const now = await current.preview({ color: "never", diff: true });
    expect(changedKinds({ resourceChanges: now.changeSummary }), now.stdout).toEqual([]);
    const again = await current.up({ color: "never" });
    expect(changedKinds(again.summary)).toEqual([]);
    expect(again.outputs.swarm.value).toMatchObject({ clusterId: cluster });
    expect(onManager(["info", "--format", "{{.Swarm.Cluster.ID}}"])).toBe(cluster);
    expect(onManager(["service", "ls", "-q"]).split("\n").sort()).toEqual(services);
    expect(onManager(["node", "ls", "--format", "{{.Hostname}} {{.Status}}"]).split("\n").sort()).toEqual(["manager1 Ready", "worker1 Ready"]);
  }, 1_200_000);
});
