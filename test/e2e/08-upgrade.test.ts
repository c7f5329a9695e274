/**
 * Upgrading swarmlab keeps the swarm. A lab with every add-on and a stack, stood up by the last
 * released version, is taken over by this one with nothing deleted or replaced: the same cluster
 * ID, services, networks and what the user made by hand. And a lab made just before the code was
 * reorganised (cli/, stacks/, addons/, component types renamed with aliases) sees no change at all.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, describe, expect, it } from "vitest";
import { changedKinds, dropOwnStack, e2eEnabled, labImages, ownStack, pulumiRoot, ROOT, toConfigMap } from "./lab";

/** The last released version (CI landed it): its first manager still ran `swarm init` as a command of its own. */
const RELEASED = "72756d2";
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
  let env: Record<string, string> = {};

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

  /** The swarm as the user sees it: its ID, every service's and every overlay network's ID. */
  const swarmState = () => ({
    cluster: onManager(["info", "--format", "{{.Swarm.Cluster.ID}}"]),
    services: onManager(["service", "ls", "--format", "{{.Name}} {{.ID}}"]).split("\n").sort(),
    networks: onManager(["network", "ls", "--filter", "driver=overlay", "--format", "{{.Name}} {{.ID}}"]).split("\n").sort(),
  });

  /**
   * What a take-over may delete: the records of the copies of the registry's and Traefik's images
   * into the worker (only managers run them: they are copied there alone now). The images stay on
   * the node: a record's delete runs nothing.
   */
  const workerCopies = [img.SWARMLAB_REGISTRY_IMAGE, img.SWARMLAB_TRAEFIK_IMAGE].map((i) => `${CLUSTER}-services-images-${i.replace(/[^a-zA-Z0-9]+/g, "-")}-worker1`).sort();
  /** An up of the stack, with the names of the resources it deleted (as the engine reports them). */
  const upNotingDeletes = async (stack: Stack) => {
    const deleted: string[] = [];
    const res = await stack.up({
      color: "never",
      onEvent: (e) => {
        const m = e.resOutputsEvent?.metadata;
        if (m?.op === "delete") deleted.push(m.urn.slice(m.urn.lastIndexOf("::") + 2));
      },
    });
    return { res, deleted: deleted.sort() };
  };
  const expectImagesKeptOnWorker = () => {
    for (const image of [img.SWARMLAB_REGISTRY_IMAGE, img.SWARMLAB_TRAEFIK_IMAGE]) {
      expect(execFileSync("docker", ["exec", `${CLUSTER}-worker1`, "docker", "image", "ls", "-q", image], { encoding: "utf8" }).trim()).not.toBe("");
    }
  };

  it("takes over a lab of the last released version: nothing deleted or replaced (but the records of copies no worker needs), the same swarm, services and networks", async () => {
    const own = await ownStack(NAME);
    current = own.stack;
    work = own.work;
    env = own.env;
    await (await earlierVersion(RELEASED, env)).up({ color: "never" });
    onManager(["service", "create", "-d", "--name", "handmade", "--endpoint-mode", "dnsrr", img.SWARMLAB_WHOAMI_IMAGE]);
    const before = swarmState();
    expect(before.services.map((s) => s.split(" ")[0])).toEqual(["handmade", "swarmlab-registry_registry", "swarmlab-traefik_traefik", "whoami_whoami"]);

    await current.setAllConfig(toConfigMap(config));
    const preview = await current.preview({ color: "never", diff: true });
    expect(preview.changeSummary.delete ?? 0, preview.stdout).toBe(workerCopies.length);
    expect(preview.changeSummary.replace ?? 0, preview.stdout).toBe(0);
    const { res, deleted } = await upNotingDeletes(current);
    expect(changedKinds(res.summary).filter((k) => k !== "create" && k !== "update" && k !== "delete")).toEqual([]);
    expect(deleted).toEqual(workerCopies);
    expectImagesKeptOnWorker();
    expect(res.outputs.swarm.value).toMatchObject({ clusterId: before.cluster });
    expect(swarmState()).toEqual(before);
    expect(onManager(["node", "ls", "--format", "{{.Hostname}} {{.Status}}"]).split("\n").sort()).toEqual(["manager1 Ready", "worker1 Ready"]);
    const again = await current.preview({ color: "never", diff: true });
    expect(changedKinds({ resourceChanges: again.changeSummary }), again.stdout).toEqual([]);
  }, 1_200_000);

  it("takes over a lab made just before the reorganisation (renamed component types, moved files): nothing created, deleted (but the records of copies no worker needs) or replaced", async () => {
    expect(current).toBeDefined();
    await (current as Stack).destroy({ color: "never" });
    await (await earlierVersion(BEFORE_LAYOUT, env)).up({ color: "never" });
    const before = swarmState();
    // Every renamed type has its alias: a missing one would show as a delete and a create. Scripts
    // that changed since (readiness gates reading the MTU, faster deploy polling) are updated in
    // place: they are re-run, idempotent, and change nothing in the swarm.
    const preview = await (current as Stack).preview({ color: "never", diff: true });
    expect(changedKinds({ resourceChanges: preview.changeSummary }).filter((k) => k !== "update" && k !== "delete"), preview.stdout).toEqual([]);
    expect(preview.changeSummary.delete ?? 0, preview.stdout).toBe(workerCopies.length);
    const { res, deleted } = await upNotingDeletes(current as Stack);
    expect(changedKinds(res.summary).filter((k) => k !== "update" && k !== "delete")).toEqual([]);
    expect(deleted).toEqual(workerCopies);
    expectImagesKeptOnWorker();
    expect(swarmState()).toEqual(before);
    const again = await (current as Stack).preview({ color: "never", diff: true });
    expect(changedKinds({ resourceChanges: again.changeSummary }), again.stdout).toEqual([]);
  }, 1_200_000);
});
