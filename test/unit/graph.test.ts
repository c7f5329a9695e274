/**
 * The resource graph of a whole lab: the SwarmCluster of components/swarm/cluster.ts on its docker
 * lab hosts, built with the mocks of test/support/mocks.ts (see there how dynamic resources,
 * dependencies and secret outputs are observed), and the command provider's stored stub.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { joinLookupScript } from "../../components/swarm/scripts";
import { BOOTSTRAP_TYPE, COMMAND_TYPE, FAKE_PRIVATE_KEY, FAKE_TOKENS, dependsOnOf, findCommand, findResource, namesOf, recorded, resolve, setupMocks, swarmUnderMocks, type Mocked } from "../support/mocks";
import type { ClusterConfig } from "../../components/config/cluster";
import type { SwarmCluster } from "../../components/swarm/cluster";

// `privileged: auto` would run `docker run --privileged` at construction and `reachability: auto`
// depends on the machine: both are pinned so the graph is the same everywhere and nothing runs.
const LAB_HOSTS = { kind: "docker-lab", privileged: true, reachability: "direct" };

const DEV = {
  "swarmlab:name": "lab",
  "swarmlab:hosts": LAB_HOSTS,
  "swarmlab:nodes": [
    { name: "manager1", role: "manager" },
    { name: "worker1", role: "worker", labels: { zone: "a" } },
    { name: "worker2", role: "worker", labels: { zone: "b" } },
  ],
};

const TRI = {
  "swarmlab:name": "tri",
  "swarmlab:hosts": LAB_HOSTS,
  "swarmlab:nodes": [
    { name: "manager1", role: "manager" },
    { name: "worker1" },
    { name: "manager2", role: "manager" },
    { name: "worker2" },
    { name: "manager3", role: "manager" },
  ],
};

const IP = { manager1: "172.28.0.129", worker1: "172.28.0.172", worker2: "172.28.0.233", manager2: "172.28.0.68", manager3: "172.28.0.247" };

let mocked: Mocked;
let lab: SwarmCluster;
let tri: SwarmCluster;
let labConfig: ClusterConfig;

const build = swarmUnderMocks;

beforeAll(async () => {
  mocked = await setupMocks();
  ({ cfg: labConfig, swarm: lab } = await build(DEV));
  ({ swarm: tri } = await build(TRI));
});

/** Every dependency the engine would see (dependsOn and inputs from other resources). */
const deps = (name: string) => namesOf(findCommand(name).dependencies);
/** Only the dependencies no input accounts for: the `dependsOn` ones (see dependsOnOf). */
const explicit = (name: string) => namesOf(dependsOnOf(findCommand(name)));

describe("the dev lab: hosts", () => {
  it("registers the components, the key, the network and one container per node, each under its parent", async () => {
    const names = (type: string) => recorded(type).map((r) => r.name).filter((n) => n === "lab" || n.startsWith("lab-"));
    expect(names("swarmlab:hosts:DockerLab")).toEqual(["lab"]);
    expect(names("swarmlab:swarm:SwarmCluster")).toEqual(["lab"]);
    expect(names("swarmlab:hosts:SshKeyPair")).toEqual(["lab-key"]);
    const dockerLab = findResource("lab", "swarmlab:hosts:DockerLab");
    const containers = recorded(COMMAND_TYPE).filter((r) => String(r.inputs.label).startsWith("lab node ") && r.name.startsWith("lab-"));
    expect(containers.map((c) => c.name)).toEqual(["lab-manager1", "lab-worker1", "lab-worker2"]);
    expect(containers.every((c) => c.parent === dockerLab.urn)).toBe(true);
    expect(findCommand("lab-network").inputs.create).toContain("docker network create --driver bridge --subnet 172.28.0.0/24");
    expect(findCommand("lab-network").parent).toBe(dockerLab.urn);
  });

  it("creates each container after the network, with the cluster's public key in its environment", async () => {
    const c = findCommand("lab-worker1");
    expect(deps("lab-worker1")).toEqual(["lab-key-keygen", "lab-network"]);
    expect(c.inputs.environment).toEqual({ SWARMLAB_PUBLIC_KEY: "ssh-ed25519 AAAA test" });
    expect(c.inputs.create).toContain("--ip 172.28.0.172");
    expect(c.inputs.triggers).toEqual(["swarmlab/node:latest", true, "172.28.0.172", null, "swarmlab-lab"]);
  });

  it("keeps the key generator's stdout (the private key) secret", async () => {
    expect(findCommand("lab-key-keygen").additionalSecretOutputs).toEqual(["connection", "managers", "redact", "stdout"]);
  });

  it("every Command run on a node gets the private key through its connection, as a secret input", async () => {
    const ready = findCommand("lab-worker2-ready");
    expect(ready.inputs.connection).toEqual({ host: IP.worker2, port: 22, user: "root", privateKey: `${FAKE_PRIVATE_KEY}\n`, container: { name: "lab-worker2" } });
    expect(ready.secretInputs).toEqual(["connection"]);
    // and the dynamic provider is told to keep it encrypted in state
    expect(ready.additionalSecretOutputs).toEqual(["connection", "managers", "redact"]);
  });
});

describe("the dev lab: swarm", () => {
  const bootstrap = (name: string) => findResource(name, BOOTSTRAP_TYPE);
  const bdeps = (name: string) => namesOf(bootstrap(name).dependencies);

  it("decides the swarm from every manager's state (one SwarmBootstrap), never from a fixed first manager", async () => {
    expect(recorded(BOOTSTRAP_TYPE).filter((r) => r.name.startsWith("lab-")).map((r) => r.name)).toEqual(["lab-swarm"]);
    const b = bootstrap("lab-swarm");
    expect((b.inputs.managers as { name: string; advertiseAddress: string; connection: { host: string } }[]).map((m) => [m.name, m.advertiseAddress, m.connection.host])).toEqual([
      ["manager1", IP.manager1, IP.manager1],
    ]);
    expect(b.inputs).toMatchObject({ forceNewCluster: false, waitSeconds: 300, sshRetrySeconds: 60, settings: { autolock: false }, rotate: {} });
    // the managers' connections hold the key; the join tokens and the unlock key it reads are secrets too
    expect(b.additionalSecretOutputs).toEqual(["managers", "worker", "manager", "unlockKey"]);
    // after the managers' machines, not after their readiness gates: one lost manager holds nothing back
    expect(bdeps("lab-swarm")).toEqual(["lab-key-keygen", "lab-manager1"]);
    expect(recorded(COMMAND_TYPE).filter((r) => String(r.inputs.label).endsWith(": swarm init"))).toEqual([]);
  });

  it("gates each host on its readiness check, which waits for its container", async () => {
    expect(deps("lab-manager1-ready")).toEqual(["lab-key-keygen", "lab-manager1"]);
    expect(deps("lab-worker1-ready")).toEqual(["lab-key-keygen", "lab-worker1"]);
    // the container is also an input (triggers: its id), so its dependsOn cannot be told apart here
    expect(findCommand("lab-worker1-ready").inputs.triggers).toEqual(["container-worker1"]);
  });

  it("joins every node, the first manager too, with a token read on a live manager at that moment (never stored)", async () => {
    for (const n of ["manager1", "worker1", "worker2"] as const) {
      const join = findCommand(`lab-${n}-join`);
      expect(join.inputs.label).toBe(`${n}: swarm join`);
      expect(join.inputs.managerLookup).toBe(joinLookupScript());
      expect((join.inputs.managers as { host: string }[]).map((m) => m.host)).toEqual([IP.manager1]);
      expect(join.inputs.environment).toEqual({ SWARMLAB_CLUSTER_ID: FAKE_TOKENS.clusterId });
      expect(join.inputs.create).toContain(`--advertise-addr '${IP[n]}' "$m"`);
      expect(JSON.stringify(join.inputs)).not.toContain("SWMTKN");
      expect((join.inputs.connection as { host: string }).host).toBe(IP[n]);
    }
  });

  it("joins workers in parallel: each waits for its own host, its removal guard and the swarm only", async () => {
    expect(explicit("lab-worker1-join")).toEqual(["lab-worker1-ready", "lab-worker1-remove"]);
    expect(explicit("lab-worker2-join")).toEqual(["lab-worker2-ready", "lab-worker2-remove"]);
    // the swarm is there through its cluster ID (an implicit dependency), not through dependsOn
    expect(namesOf(findCommand("lab-worker1-join").propertyDependencies.environment)).toEqual(["lab-swarm"]);
  });

  it("applies node settings on whichever manager answers, with the node id the join printed", async () => {
    const s = findCommand("lab-worker1-node");
    expect((s.inputs.managers as { host: string }[]).map((m) => m.host)).toEqual([IP.manager1]);
    expect(s.inputs.connection).toBeUndefined();
    expect(s.inputs.create).toContain("id='id-worker1'");
    expect(s.inputs.create).toContain("--label-add 'zone=a'");
    expect(deps("lab-worker1-node")).toEqual(["lab-key-keygen", "lab-worker1-join"]);
    expect(explicit("lab-worker1-node")).toEqual([]); // the join's stdout (node id) is an input: implicit
    expect(findCommand("lab-manager1-node").inputs.create).toContain("id='id-manager1'");
  });

  it("reads the node list once every node has its settings", async () => {
    expect(deps("lab-nodes")).toEqual(["lab-key-keygen", "lab-manager1-node", "lab-worker1-node", "lab-worker2-node"]);
  });

  it("exports the nodes table", async () => {
    expect(await resolve(lab.nodes)).toEqual([
      { name: "manager1", role: "manager", address: IP.manager1, sshPort: 22, labels: {}, availability: "active" },
      { name: "worker1", role: "worker", address: IP.worker1, sshPort: 22, labels: { zone: "a" }, availability: "active" },
      { name: "worker2", role: "worker", address: IP.worker2, sshPort: 22, labels: { zone: "b" }, availability: "active" },
    ]);
    expect(labConfig.nodes.map((n) => n.name)).toEqual(["manager1", "worker1", "worker2"]);
  });

  it("exports the leader's address, a DOCKER_HOST, the swarm and the join commands (secret)", async () => {
    expect(await resolve(lab.leaderAddress)).toBe(IP.manager1);
    expect(await resolve(lab.dockerHost)).toBe(`ssh://root@${IP.manager1}:22`);
    expect(await pulumi.isSecret(lab.dockerHost)).toBe(false);
    expect(await resolve(lab.swarm)).toEqual({ clusterId: FAKE_TOKENS.clusterId, event: "initialised on manager1" });
    expect(await resolve(lab.joinCommands)).toEqual({
      worker: `docker swarm join --token ${FAKE_TOKENS.worker} ${IP.manager1}:2377`,
      manager: `docker swarm join --token ${FAKE_TOKENS.manager} ${IP.manager1}:2377`,
    });
    expect(await pulumi.isSecret(lab.joinCommands)).toBe(true);
  });

  it("resolves the network modes from the engine checks (IPVS everywhere: the swarm defaults)", async () => {
    expect(await resolve(lab.modes)).toEqual({ publishMode: "ingress", endpointMode: "vip", warnings: [] });
  });

  it("made no invokes", async () => {
    expect(mocked.calls).toEqual([]);
  });
});

describe("three managers", () => {
  it("asks every manager, in configured order, for the swarm and for manager-side work", async () => {
    const hosts = (v: unknown) => (v as { host: string }[]).map((m) => m.host);
    expect((findResource("tri-swarm", BOOTSTRAP_TYPE).inputs.managers as { name: string }[]).map((m) => m.name)).toEqual(["manager1", "manager2", "manager3"]);
    expect(hosts(findCommand("tri-worker2-node").inputs.managers)).toEqual([IP.manager1, IP.manager2, IP.manager3]);
    expect(hosts(findCommand("tri-nodes").inputs.managers)).toEqual([IP.manager1, IP.manager2, IP.manager3]);
  });

  it("joins every node with the worker token: the managers' settings promote them", async () => {
    for (const n of ["manager1", "manager2", "manager3", "worker1", "worker2"]) expect(findCommand(`tri-${n}-join`).inputs.managerLookup).toBe(joinLookupScript());
  });

  it("chains the managers' settings (promotions one at a time), not their joins", async () => {
    for (const m of ["manager1", "manager2", "manager3"]) expect(explicit(`tri-${m}-join`)).toEqual([`tri-${m}-ready`, `tri-${m}-remove`]);
    // each manager's settings wait for its own join (an input: its node ID) and for the previous manager's settings
    expect(explicit("tri-manager2-node")).toEqual(["tri-manager1-node"]);
    expect(explicit("tri-manager3-node")).toEqual(["tri-manager2-node"]);
  });

  it("does not chain workers, to each other or to the managers joining", async () => {
    expect(explicit("tri-worker1-join")).toEqual(["tri-worker1-ready", "tri-worker1-remove"]);
    expect(explicit("tri-worker2-join")).toEqual(["tri-worker2-ready", "tri-worker2-remove"]);
  });

  it("exports every node in config order", async () => {
    const nodes = await resolve(tri.nodes);
    expect(nodes.map((n) => [n.name, n.role, n.address])).toEqual([
      ["manager1", "manager", IP.manager1],
      ["worker1", "worker", IP.worker1],
      ["manager2", "manager", IP.manager2],
      ["worker2", "worker", IP.worker2],
      ["manager3", "manager", IP.manager3],
    ]);
  });
});

describe("the mocks", () => {
  it("throw on an unknown invoke", async () => {
    await expect(pulumi.runtime.invoke("aws:index/getRegion:getRegion", {})).rejects.toThrow("unexpected invoke aws:index/getRegion:getRegion");
    expect(mocked.calls).toEqual(["aws:index/getRegion:getRegion"]);
    mocked.calls.length = 0;
  });

  it("record swarmlab's Command as a dynamic resource with its own type token", async () => {
    const c = findCommand("lab-nodes");
    expect(c.type).toBe("pulumi-nodejs:dynamic/swarmlab:Command");
    expect(c.custom).toBe(true);
    expect(c.providerSource).toBe("/* dynamic provider: not serialized under vitest */");
    expect(Object.keys(c.inputs).sort()).toEqual(["create", "environment", "label", "managers", "sshRetrySeconds"]); // no update: create runs again
  });
});

describe("the dynamic provider under the real runtime", () => {
  // Under vitest the provider cannot be serialized (see test/support/mocks.ts); a Pulumi program runs as CommonJS.
  // This registers one Command in a plain `node --import tsx` process with the SDK's real closure
  // serializer, then loads what the state would keep as the dynamic-provider host does (plain node in
  // the project, require-from-string) and runs a create with it: the stub runs the project's code.
  it("stores a small stub that runs the project's current provider code", { timeout: 60_000 }, async () => {
    const root = path.resolve(__dirname, "../..");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-serialize-"));
    try {
      const stored = path.join(dir, "provider.js");
      const script = path.join(dir, "probe.cjs");
      fs.writeFileSync(
        script,
        `const pulumi = require(${JSON.stringify(path.join(root, "node_modules/@pulumi/pulumi"))});
pulumi.runtime.setMocks({
  newResource: (a) => { require("fs").writeFileSync(${JSON.stringify(stored)} + (a.type.endsWith("SwarmBootstrap") ? ".bootstrap" : ""), String(a.inputs.__provider)); return { id: "x", state: a.inputs }; },
  call: (a) => { throw new Error("unexpected invoke " + a.token); },
}, "swarmlab", "dev", false).then(() => {
  const { Command } = require(${JSON.stringify(path.join(root, "components/command/provider.ts"))});
  new Command("probe", { label: "probe", create: "true" }).urn.apply(() => undefined);
  const { SwarmBootstrap } = require(${JSON.stringify(path.join(root, "components/swarm/bootstrap.ts"))});
  new SwarmBootstrap("swarm", { managers: [], waitSeconds: 1 }).urn.apply(() => undefined);
});
`,
      );
      const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: root, encoding: "utf8", timeout: 55_000 });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const text = fs.readFileSync(stored, "utf8");
      expect(text.length).toBeLessThan(2500); // the whole provider was about 15 KB
      expect(text).toContain('file: "components/command/provider.ts", exportName: "provider"');
      expect(text).not.toContain("StrictHostKeyChecking"); // no implementation inside
      const bootstrap = fs.readFileSync(`${stored}.bootstrap`, "utf8");
      expect(bootstrap.length).toBeLessThan(2500); // the swarm decision's provider was about 31 KB
      expect(bootstrap).toContain('file: "components/swarm/bootstrap.ts", exportName: "bootstrapProvider"');

      const host = path.join(dir, "host.cjs");
      fs.writeFileSync(
        host,
        `const requireFromString = require(require.resolve("require-from-string", { paths: [${JSON.stringify(path.join(root, "node_modules/@pulumi/pulumi"))}] }));
const provider = requireFromString(require("fs").readFileSync(${JSON.stringify(stored)}, "utf8")).handler();
provider.create({ label: "probe", create: 'echo "ran $((40 + 2))"' }).then((res) => console.log(res.outs.stdout.trim()));
`,
      );
      const h = spawnSync("node", [host], { cwd: root, encoding: "utf8", timeout: 55_000 });
      expect(h.stderr).toBe("");
      expect(h.stdout.trim()).toBe("ran 42");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
