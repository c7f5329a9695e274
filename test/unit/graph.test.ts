/**
 * The resource graph of a lab, built with the mocks of ./mocks.ts (see there how dynamic resources,
 * dependencies and secret outputs are observed).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMAND_TYPE, FAKE_PRIVATE_KEY, FAKE_TOKENS, dependsOnOf, findCommand, findResource, namesOf, recorded, resolve, setupMocks, swarmUnderMocks, type Mocked } from "./mocks";
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
    expect(findCommand("lab-key-keygen").additionalSecretOutputs).toEqual(["connection", "redact", "stdout"]);
  });

  it("every Command run on a node gets the private key through its connection, as a secret input", async () => {
    const ready = findCommand("lab-worker2-ready");
    expect(ready.inputs.connection).toEqual({ host: IP.worker2, port: 22, user: "root", privateKey: `${FAKE_PRIVATE_KEY}\n` });
    expect(ready.secretInputs).toEqual(["connection"]);
    // and the dynamic provider is told to keep it encrypted in state
    expect(ready.additionalSecretOutputs).toEqual(["connection", "redact"]);
  });
});

describe("the dev lab: swarm", () => {
  it("runs one swarm init, on manager1, advertising its lab address", async () => {
    const inits = recorded(COMMAND_TYPE).filter((r) => String(r.inputs.label).endsWith(": swarm init") && r.name.startsWith("lab-"));
    expect(inits.map((r) => [r.name, r.inputs.label])).toEqual([["lab-manager1-init", "manager1: swarm init"]]);
    const init = inits[0];
    expect(init.inputs.create).toContain("docker swarm init --advertise-addr '172.28.0.129'");
    expect((init.inputs.connection as { host: string }).host).toBe(IP.manager1);
    // the key (connection) and the container (triggers: its id) come in through inputs
    expect(deps("lab-manager1-init")).toEqual(["lab-key-keygen", "lab-manager1", "lab-manager1-ready"]);
    expect(explicit("lab-manager1-init")).toEqual(["lab-manager1-ready"]);
  });

  it("marks the init command's stdout (the join tokens) as a secret output", async () => {
    expect(findCommand("lab-manager1-init").additionalSecretOutputs).toEqual(["connection", "redact", "stdout"]);
  });

  it("gates each host on its readiness check, which waits for its container", async () => {
    expect(deps("lab-manager1-ready")).toEqual(["lab-key-keygen", "lab-manager1"]);
    expect(deps("lab-worker1-ready")).toEqual(["lab-key-keygen", "lab-worker1"]);
    // the container is also an input (triggers: its id), so its dependsOn cannot be told apart here
    expect(findCommand("lab-worker1-ready").inputs.triggers).toEqual(["container-worker1"]);
  });

  it("joins worker1 and worker2 with the worker token, as a secret environment variable", async () => {
    for (const w of ["worker1", "worker2"] as const) {
      const join = findCommand(`lab-${w}-join`);
      expect(join.inputs.label).toBe(`${w}: swarm join`);
      expect(join.inputs.environment).toEqual({ SWARMLAB_JOIN_TOKEN: FAKE_TOKENS.worker, SWARMLAB_SWARM_MANAGER: FAKE_TOKENS.leaderNodeId });
      expect(join.secretInputs).toContain("environment");
      expect(join.inputs.create).toContain(`--advertise-addr '${IP[w]}' '${IP.manager1}:2377'`);
      expect(JSON.stringify(join.inputs.create)).not.toContain("SWMTKN");
      expect((join.inputs.connection as { host: string }).host).toBe(IP[w]);
    }
    expect(recorded(COMMAND_TYPE).filter((r) => r.name === "lab-manager1-join")).toEqual([]);
  });

  it("joins workers in parallel: each waits for its own host, its removal guard and the init only", async () => {
    expect(deps("lab-worker1-join")).toEqual(["lab-key-keygen", "lab-manager1-init", "lab-worker1", "lab-worker1-ready", "lab-worker1-remove"]);
    expect(explicit("lab-worker1-join")).toEqual(["lab-worker1-ready", "lab-worker1-remove"]);
    expect(explicit("lab-worker2-join")).toEqual(["lab-worker2-ready", "lab-worker2-remove"]);
    // the init is there through the token (an implicit dependency), not through dependsOn
    expect(namesOf(findCommand("lab-worker1-join").propertyDependencies.environment)).toEqual(["lab-manager1-init"]);
  });

  it("applies node settings on the leader with the node id the join printed", async () => {
    const s = findCommand("lab-worker1-node");
    expect((s.inputs.connection as { host: string }).host).toBe(IP.manager1);
    expect(s.inputs.create).toContain("id='id-worker1'");
    expect(s.inputs.create).toContain("--label-add 'zone=a'");
    expect(deps("lab-worker1-node")).toEqual(["lab-key-keygen", "lab-worker1-join"]);
    expect(explicit("lab-worker1-node")).toEqual([]); // the join's stdout (node id) is an input: implicit
    expect(findCommand("lab-manager1-node").inputs.create).toContain(`id='${FAKE_TOKENS.leaderNodeId}'`);
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

  it("exports the leader's address, a DOCKER_HOST and the join commands (secret)", async () => {
    expect(await resolve(lab.leaderAddress)).toBe(IP.manager1);
    expect(await resolve(lab.dockerHost)).toBe(`ssh://root@${IP.manager1}:22`);
    expect(await pulumi.isSecret(lab.dockerHost)).toBe(false);
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
  it("joins the other managers with the manager token and the workers with the worker token", async () => {
    for (const m of ["manager2", "manager3"]) expect(findCommand(`tri-${m}-join`).inputs.environment).toEqual({ SWARMLAB_JOIN_TOKEN: FAKE_TOKENS.manager, SWARMLAB_SWARM_MANAGER: FAKE_TOKENS.leaderNodeId });
    for (const w of ["worker1", "worker2"]) expect(findCommand(`tri-${w}-join`).inputs.environment).toEqual({ SWARMLAB_JOIN_TOKEN: FAKE_TOKENS.worker, SWARMLAB_SWARM_MANAGER: FAKE_TOKENS.leaderNodeId });
  });

  it("chains manager joins: each waits for the previous manager's settings", async () => {
    expect(explicit("tri-manager2-join")).toEqual(["tri-manager1-node", "tri-manager2-ready", "tri-manager2-remove"]);
    expect(explicit("tri-manager3-join")).toEqual(["tri-manager2-node", "tri-manager3-ready", "tri-manager3-remove"]);
    expect(deps("tri-manager3-join")).toEqual(["tri-key-keygen", "tri-manager1-init", "tri-manager2-node", "tri-manager3", "tri-manager3-ready", "tri-manager3-remove"]);
    // the settings of manager2 wait for its join and for manager1's settings (promotions one at a time),
    // so manager3 joins after manager2 is in
    expect(deps("tri-manager2-node")).toEqual(["tri-key-keygen", "tri-manager1-node", "tri-manager2-join"]);
  });

  it("does not chain workers, to each other or to the managers joining", async () => {
    expect(deps("tri-worker1-join")).toEqual(["tri-key-keygen", "tri-manager1-init", "tri-worker1", "tri-worker1-ready", "tri-worker1-remove"]);
    expect(deps("tri-worker2-join")).toEqual(["tri-key-keygen", "tri-manager1-init", "tri-worker2", "tri-worker2-ready", "tri-worker2-remove"]);
  });

  it("still runs a single swarm init, on the first manager in config order", async () => {
    const inits = recorded(COMMAND_TYPE).filter((r) => r.name.startsWith("tri-") && String(r.inputs.label).endsWith(": swarm init"));
    expect(inits.map((r) => r.name)).toEqual(["tri-manager1-init"]);
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
    expect(Object.keys(c.inputs).sort()).toEqual(["connection", "create", "environment", "label", "update"]);
  });
});

describe("the dynamic provider under the real runtime", () => {
  // Under vitest the provider cannot be serialized (see mocks.ts); a Pulumi program runs as CommonJS.
  // This runs one Command registration in a plain `node --import tsx` process, with the SDK's real
  // closure serializer, to prove the provider (child_process, fs, ssh helpers) serializes there.
  it("serializes swarmlab's Command provider", { timeout: 60_000 }, async () => {
    const root = path.resolve(__dirname, "../..");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-serialize-"));
    try {
      const script = path.join(dir, "probe.cjs");
      fs.writeFileSync(
        script,
        `const pulumi = require(${JSON.stringify(path.join(root, "node_modules/@pulumi/pulumi"))});
let provider = "";
pulumi.runtime.setMocks({
  newResource: (a) => { provider = String(a.inputs.__provider); return { id: "x", state: a.inputs }; },
  call: (a) => { throw new Error("unexpected invoke " + a.token); },
}, "swarmlab", "dev", false).then(() => {
  const { Command } = require(${JSON.stringify(path.join(root, "components/command/provider.ts"))});
  const c = new Command("probe", { label: "probe", create: "true" });
  c.urn.apply(() => {
    console.log(JSON.stringify({ length: provider.length, create: provider.includes("create"), spawn: provider.includes("spawn"), ssh: provider.includes("StrictHostKeyChecking") }));
  });
});
`,
      );
      const r = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: root, encoding: "utf8", timeout: 55_000 });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout.trim()) as { length: number; create: boolean; spawn: boolean; ssh: boolean };
      expect(out).toMatchObject({ create: true, spawn: true, ssh: true });
      expect(out.length).toBeGreaterThan(1000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
