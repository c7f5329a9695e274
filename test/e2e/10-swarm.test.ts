import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { keyFileText } from "../../components/command/ssh";
import { sshConfigText } from "../../cli/lib/sshArgv";
import { baseConfig, cliEnv, CLUSTER, docker, e2eEnabled, eventually, labelledObjects, labImages, labStack, nodeDocker, nodeLabels, nodeList, pulumiLogsText, stateText, up as labUp, type UpResult } from "./lab";

type Node = { name: string; role: string; labels?: Record<string, string>; availability?: string };

function withNodes(nodes: Node[]): Record<string, unknown> {
  return { ...baseConfig(), nodes };
}

const base = baseConfig().nodes as Node[];
const containerId = (node: string) => docker(["inspect", "-f", "{{.Id}}", `${CLUSTER}-${node}`]).trim();

/** Side-loads an image from this machine into a node (what the image-delivery service automates). */
function sideLoad(image: string, node: string): void {
  execFileSync("bash", ["-c", `docker save ${image} | docker exec -i ${CLUSTER}-${node} docker load -q`], { stdio: "ignore" });
}

describe.runIf(e2eEnabled())("swarm lifecycle on the docker lab", () => {
  /** What every `pulumi up` of this file printed, and its engine events, failed runs included: all are searched for secrets. */
  const upText: string[] = [];
  const started = Date.now();
  let outputs: Record<string, unknown> = {};
  const up = async (cfg: Record<string, unknown>): Promise<UpResult> => {
    try {
      const res = await labUp(cfg);
      upText.push(res.stdout, res.events);
      return res;
    } catch (err) {
      upText.push(String(err));
      throw err;
    }
  };

  beforeAll(async () => {
    const res = await up(baseConfig());
    outputs = res.outputs;
  }, 900_000);

  it("forms a three-node swarm: all Ready, one Leader, the configured labels", () => {
    const nodes = nodeList();
    expect(nodes.map((n) => n.Hostname).sort()).toEqual(["manager1", "worker1", "worker2"]);
    expect(nodes.every((n) => n.Status === "Ready")).toBe(true);
    expect(nodes.filter((n) => n.ManagerStatus === "Leader").map((n) => n.Hostname)).toEqual(["manager1"]);
    expect(nodeLabels("worker1")).toEqual({ zone: "a" });
    expect(nodeLabels("worker2")).toEqual({ zone: "b" });
    expect(nodeLabels("manager1")).toEqual({});
  });

  it("labels every container, volume and network of the lab with its cluster, and nodes with their name and role", () => {
    expect(labelledObjects().sort()).toEqual([
      `container ${CLUSTER}-manager1`, `container ${CLUSTER}-worker1`, `container ${CLUSTER}-worker2`,
      `network swarmlab-${CLUSTER}`,
      `volume ${CLUSTER}-manager1-docker`, `volume ${CLUSTER}-worker1-docker`, `volume ${CLUSTER}-worker2-docker`,
    ].sort());
    const labels = (kind: string, name: string) => JSON.parse(docker([kind, "inspect", "-f", "{{json .Labels}}", name])) as Record<string, string>;
    expect(labels("network", `swarmlab-${CLUSTER}`)).toMatchObject({ "swarmlab.cluster": CLUSTER });
    for (const [node, role] of [["manager1", "manager"], ["worker1", "worker"]]) {
      expect(docker(["inspect", "-f", "{{json .Config.Labels}}", `${CLUSTER}-${node}`])).toContain(`"swarmlab.node":"${node}"`);
      expect(labels("volume", `${CLUSTER}-${node}-docker`)).toMatchObject({ "swarmlab.cluster": CLUSTER, "swarmlab.node": node, "swarmlab.role": role });
    }
  });

  it("reports the node table and the leader; npm run ssh and the DOCKER_HOST output reach the swarm over SSH", () => {
    const rows = outputs.nodes as { name: string; role: string; address: string }[];
    expect(rows.map((r) => `${r.name}:${r.role}`)).toEqual(["manager1:manager", "worker1:worker", "worker2:worker"]);
    const manager = rows[0];
    expect(outputs.leaderAddress).toBe(manager.address);
    expect(outputs.leader).toBe("manager1");
    expect(outputs.dockerHost).toBe(`ssh://root@${manager.address}:22`);
    const ready = ["manager1 Ready", "worker1 Ready", "worker2 Ready"];
    const lines = (out: string) => out.trim().split("\n").sort();

    // as in the classic lab's `vagrant ssh docker.lan`: the leader by default, any node by name
    const npmSsh = (...args: string[]) => execFileSync("npm", ["run", "-s", "ssh", "--", ...args], { encoding: "utf8", env: cliEnv() });
    expect(lines(npmSsh("docker node ls --format '{{.Hostname}} {{.Status}}'"))).toEqual(ready);
    expect(npmSsh("worker2", "hostname").trim()).toBe("worker2");
    // several words: each stays one argument on the node (spaces, quotes, a pipe, $ and * are not the shell's)
    expect(lines(npmSsh("docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}}"))).toEqual(ready);
    expect(npmSsh("worker1", "printf", "%s\\n", "it's", "a | b", "$HOME", "*").split("\n").slice(0, -1)).toEqual(["it's", "a | b", "$HOME", "*"]);
    // one word is a whole shell line, as before
    expect(npmSsh("docker node ls -q | wc -l").trim()).toBe("3");

    // DOCKER_HOST=ssh://... with the cluster key: docker runs `ssh` from PATH, here one that uses the helpers' ssh_config
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-key-"));
    fs.writeFileSync(path.join(dir, "id"), keyFileText(outputs.sshPrivateKey as string), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "config"), sshConfigText(path.join(dir, "id")));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "ssh"), `#!/bin/sh\nexec /usr/bin/ssh -F ${dir}/config "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, DOCKER_HOST: outputs.dockerHost as string, PATH: `${dir}/bin:${process.env.PATH}` };
    const out = execFileSync("docker", ["node", "ls", "--format", "{{.Hostname}} {{.Status}}"], { encoding: "utf8", env });
    fs.rmSync(dir, { recursive: true });
    expect(lines(out)).toEqual(ready);
  });

  it("a second pulumi up changes nothing, and preview --expect-no-changes passes", async () => {
    const res = await up(baseConfig());
    // "read" is the stack reading its own previous outputs (the manager list for quorum checks): not a change.
    expect(Object.keys(res.changes).filter((k) => k !== "same" && k !== "read")).toEqual([]);
    const stack = await labStack();
    await expect(stack.preview({ expectNoChanges: true })).resolves.toBeDefined();
  }, 300_000);

  it("scales workers 2 -> 4 creating only the new nodes, then 4 -> 2 removing them completely", async () => {
    const before = { manager1: containerId("manager1"), worker1: containerId("worker1"), worker2: containerId("worker2") };
    const swarmIds = () => Object.fromEntries(nodeList().map((n) => [n.Hostname, n.ID]));
    const idsBefore = swarmIds();
    const four = [...base, { name: "worker3", role: "worker" }, { name: "worker4", role: "worker" }];
    const res = await up(withNodes(four));
    expect(nodeList().map((n) => `${n.Hostname} ${n.Status}`).sort()).toEqual(["manager1 Ready", "worker1 Ready", "worker2 Ready", "worker3 Ready", "worker4 Ready"]);
    // the existing nodes are the same machines and the same swarm members: nothing re-created, nothing re-joined
    expect({ manager1: containerId("manager1"), worker1: containerId("worker1"), worker2: containerId("worker2") }).toEqual(before);
    expect(swarmIds()).toMatchObject(idsBefore);
    expect(res.stdout).not.toMatch(/(manager1|worker1|worker2)-(join|init)\b.*(creat|replac)/);

    await up(baseConfig());
    expect(nodeList().map((n) => n.Hostname).sort()).toEqual(["manager1", "worker1", "worker2"]);
    const left = labelledObjects().filter((o) => /worker[34]/.test(o));
    expect(left).toEqual([]);
  }, 900_000);

  it("drains a worker through configuration: its tasks move off it; then makes it active again", async () => {
    const image = labImages().SWARMLAB_WHOAMI_IMAGE ?? "swarmlab/whoami:latest";
    for (const n of ["manager1", "worker1", "worker2"]) sideLoad(image, n);
    nodeDocker("manager1", ["service", "create", "-d", "--name", "e2e-drain", "--replicas", "6", "--endpoint-mode", "dnsrr", image]);
    const runningOn = () => nodeDocker("manager1", ["service", "ps", "e2e-drain", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}"]);
    await eventually("6 tasks running", () => runningOn().split("\n").filter((l) => l.includes("Running")).length === 6);
    expect(runningOn()).toContain("worker1");

    await up(withNodes(base.map((n) => (n.name === "worker1" ? { ...n, availability: "drain" } : n))));
    expect(nodeList().find((n) => n.Hostname === "worker1")?.Availability).toBe("Drain");
    await eventually("no task left on worker1", () => !runningOn().includes("worker1") && runningOn().split("\n").filter((l) => l.includes("Running")).length === 6);

    await up(baseConfig());
    expect(nodeList().find((n) => n.Hostname === "worker1")?.Availability).toBe("Active");
    nodeDocker("manager1", ["service", "rm", "e2e-drain"]);
  }, 600_000);

  it("promotes workers to managers (3 managers) and demotes them back one per run; all at once is refused", async () => {
    const managers = () => nodeList().filter((n) => n.ManagerStatus).map((n) => `${n.Hostname} ${n.ManagerStatus}`).sort();
    const three = base.map((n) => ({ ...n, role: "manager" }));
    await up(withNodes(three));
    expect(managers()).toEqual(["manager1 Leader", "worker1 Reachable", "worker2 Reachable"]);

    const allBack = base;
    await expect(up(withNodes(allBack))).rejects.toThrow(
      "Pulumi.e2e.yaml: swarmlab:nodes: this change removes or demotes 2 of 3 managers at once (worker1, worker2): 3 managers tolerate 1 failure(s), so the swarm could lose quorum; remove at most 1 per pulumi up",
    );
    expect(managers()).toHaveLength(3);

    const two = withNodes(base.map((n) => (n.name === "worker1" ? { ...n, role: "manager" } : n)));
    const res = await up(two);
    expect(res.stdout).toContain("2 managers tolerate the loss of 0");
    expect(managers()).toEqual(["manager1 Leader", "worker1 Reachable"]);
    await up(baseConfig());
    expect(managers()).toEqual(["manager1 Leader"]);
  }, 900_000);

  it("never writes join tokens or the private key in clear text to the state or the output", async () => {
    const tokens = ["worker", "manager"].map((r) => nodeDocker("manager1", ["swarm", "join-token", "-q", r]).trim());
    const key = (outputs.sshPrivateKey as string).split("\n").filter((l) => l && !l.startsWith("-----"))[1];
    const state = stateText();
    expect(state.length).toBeGreaterThan(1000);
    // the command logs: Pulumi's own log files of these runs (written encrypted)
    const logs = pulumiLogsText(started);
    expect(logs.length).toBeGreaterThan(1000);
    // the engine events were read, debug diagnostics included (where the SDK logs RPC answers)
    expect(upText.join("\n")).toContain('"resourcePreEvent"');
    expect(upText.join("\n")).toContain('"severity":"debug"');
    for (const secret of [...tokens, key]) {
      expect(secret.length).toBeGreaterThan(20);
      expect(state.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
      for (const t of upText) expect(t.includes(secret)).toBe(false);
    }
  });
});
