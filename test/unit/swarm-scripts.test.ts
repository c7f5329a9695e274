/**
 * components/swarm/scripts.ts: the node scripts (join, settings, retire, remove, ready...) run for
 * real by bash against a fake swarm node's docker (SWARM_NODE_DOCKER of test/support/fakeDocker.ts)
 * first on PATH, and the node list parser.
 */
import * as fs from "fs";
import { beforeEach, describe, expect, it } from "vitest";
import {
  joinLookupScript,
  joinScript,
  leaveScript,
  nodeIdScript,
  parseNodeList,
  readyScript,
  removeNodeScript,
  retireScript,
  settingsScript,
  type NodeSettings,
} from "../../components/swarm/scripts";
import { FAILING_DOCKER, HOSTNAME_FAKE, SWARM_NODE_DOCKER } from "../support/fakeDocker";
import { fakeMachine, type FakeMachine } from "../support/fakes";

let m: FakeMachine;

const write = (name: string, content: string) => m.write(name, content);

/** Every docker invocation so far. */
const calls = () => m.lines("log");

/** A `sleep` that returns at once and notes its argument in `sleeps`: retries and polls without the wait. */
function fakeSleep(): void {
  m.fake({ sleep: `#!/bin/sh\necho "$1" >> "${m.dir}/sleeps"\n` });
}

const sleeps = () => m.lines("sleeps");

/** Runs a script as swarmlab's command runner does: bash, strict mode, the given environment. */
const run = (script: string, env: Record<string, string> = {}) => m.run(script, { env });

/** A fresh node for every test: SWARM_NODE_DOCKER and a hostname first on PATH, this node's id in `nodeid`. */
beforeEach(() => {
  m = fakeMachine({ docker: SWARM_NODE_DOCKER, hostname: HOSTNAME_FAKE }, "swarmlab-fake-docker-");
  write("nodeid", "nodeid-self");
});

describe("the fake docker", () => {
  it("fails loudly on arguments it does not know, so a script calling something unexpected fails its test", async () => {
    const r = run("docker volume ls");
    expect(r.code).toBe(99);
    expect(r.stderr).toBe("fake docker: unexpected arguments: volume ls\n");
    expect(calls()).toEqual(["volume ls"]);
  });
});

describe("joinScript", () => {
  const join = joinScript("172.28.0.11");
  // what joinLookupScript read on a live manager
  const found = { SWARMLAB_JOIN_TOKEN: "SWMTKN-1-abc-def", SWARMLAB_NODE_IDS: "id-m1 id-m2 ", SWARMLAB_MANAGER_ADDRS: " 172.28.0.10:2377 172.28.0.12:2377" };
  const joinVia = (addr: string) => `swarm join --token SWMTKN-1-abc-def --advertise-addr 172.28.0.11 ${addr}`;

  it("joins an inactive node through the first live manager with its advertise address and the token, then prints its node id", async () => {
    write("state", "inactive");
    const r = run(join, found);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    // state and node ID read together, before and after: two `docker info` in all
    expect(calls()).toEqual([
      "info --format {{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}",
      joinVia("172.28.0.10:2377"),
      "info --format {{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}",
    ]);
    expect(r.stdout).toBe("nodeid-self\n");
  });

  it("fails, joining nothing and printing no node ID, when dockerd does not answer", async () => {
    write("state", "inactive");
    write("fails-info---format", "1");
    write("error", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock");
    const r = run(join, found);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(calls().filter((c) => c.startsWith("swarm"))).toEqual([]);
  });

  it("tries the next manager when one refuses the join (a manager gone since the lookup)", async () => {
    write("state", "inactive");
    write("fails-swarm-join", "1");
    write("error", "Error response from daemon: could not connect to 172.28.0.10:2377");
    const r = run(join, found);
    expect(r.code).toBe(0);
    expect(calls().filter((c) => c.startsWith("swarm"))).toEqual([joinVia("172.28.0.10:2377"), joinVia("172.28.0.12:2377")]);
  });

  it("fails with docker's last error when no manager takes the join", async () => {
    write("state", "inactive");
    write("fails-swarm-join", "2");
    write("error", "Error response from daemon: could not connect");
    const r = run(join, found);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error response from daemon: could not connect\n");
  });

  it("fails clearly when no manager was reachable to join through", async () => {
    write("state", "inactive");
    const r = run(join, { ...found, SWARMLAB_MANAGER_ADDRS: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("no reachable manager to join through\n");
  });

  it("never re-joins an active member of this swarm (its node ID is listed)", async () => {
    write("state", "active");
    write("nodeid", "id-m2");
    const r = run(join, found);
    expect(r.code).toBe(0);
    expect(calls().filter((c) => c.startsWith("swarm"))).toEqual([]);
    expect(r.stdout).toBe("id-m2\n");
  });

  it("leaves another swarm (its node ID is not this swarm's: a dead or foreign swarm) and joins this one", async () => {
    write("state", "active");
    write("nodeid", "id-elsewhere");
    const r = run(join, found);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(calls().filter((c) => c.startsWith("swarm"))).toEqual(["swarm leave --force", joinVia("172.28.0.10:2377")]);
  });

  it.each([["pending"], ["error"]])("waits for a %s node to settle, then leaves and joins when it is not this swarm's (an interrupted join)", async (state) => {
    fakeSleep();
    write("state", state);
    write("nodeid", "");
    const r = run(join, found);
    expect(r.code).toBe(0);
    expect(sleeps().filter((x) => x === "2")).toHaveLength(30); // 60 s of settling first
    expect(calls().filter((c) => c.startsWith("swarm"))).toEqual(["swarm leave --force", joinVia("172.28.0.10:2377")]);
  });

  it.each([["pending"], ["error"]])("never leaves a %s node that is a member of this swarm (an engine restarting): it fails instead", async (state) => {
    fakeSleep();
    write("state", state);
    write("nodeid", "id-m2");
    const r = run(join, found);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`node-under-test is a member of this swarm but its swarm state stays ${state} (docker info there says why)\n`);
    expect(calls().filter((c) => c.startsWith("swarm"))).toEqual([]);
  });

  it("a pending node that settles as a member is left alone", async () => {
    fakeSleep();
    write("state", "pending");
    write("nodeid", "id-m1");
    // the engine comes back: active after the first poll
    m.fake({ sleep: `#!/bin/sh\necho active > "${m.dir}/state"\n` });
    const r = run(join, found);
    expect(r.code).toBe(0);
    expect(calls().filter((c) => c.startsWith("swarm"))).toEqual([]);
  });

  it("never leaves on a guess: without this swarm's node list it stops before anything", async () => {
    write("state", "active");
    const r = run(join, { ...found, SWARMLAB_NODE_IDS: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SWARMLAB_NODE_IDS: no node list of this swarm given");
    expect(calls()).toEqual([]);
  });

  it("stops on a locked node with the unlock advice", async () => {
    write("state", "locked");
    const r = run(join, found);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("the swarm on node-under-test is locked: run docker swarm unlock there first\n");
    expect(calls()).toEqual(["info --format {{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}"]);
  });

  it("fails in strict mode when the token is missing, before joining", async () => {
    write("state", "inactive");
    const r = run(join);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SWARMLAB_JOIN_TOKEN: no join token given");
    expect(calls().filter((c) => c.startsWith("swarm join"))).toEqual([]);
  });

});

describe("joinLookupScript", () => {
  it("prints the worker token (managers are promoted by their settings), this swarm's node IDs and the reachable managers' addresses as environment lines", async () => {
    write("nodes", "id-m1\nid-m2\nid-w1");
    write("manager-ids", "id-m1\nid-m2");
    write("mgraddr-id-m1", "172.28.0.10:2377");
    write("mgraddr-id-m2", ""); // unreachable: left out
    const r = run(joinLookupScript());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("SWARMLAB_JOIN_TOKEN=SWMTKN-1-fake-worker\nSWARMLAB_NODE_IDS=id-m1 id-m2 id-w1 \nSWARMLAB_MANAGER_ADDRS= 172.28.0.10:2377\n");
  });

  it("fails, printing nothing, when the node list cannot be read (a join then leaves nothing on a guess)", async () => {
    write("fails-node-ls", "1");
    write("error", "Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader");
    const r = run(joinLookupScript());
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
  });
});

describe("nodeIdScript (the join's drift check)", () => {
  it("prints the node's swarm ID", async () => {
    write("nodeid", "id-w1");
    expect(run(nodeIdScript())).toMatchObject({ code: 0, stdout: "id-w1\n" });
  });

  it("never fails (a failing check would replace the join, whose delete leaves the swarm): a dockerd that does not answer prints nothing", async () => {
    fakeSleep();
    write("fails-info---format", "100000");
    const r = run(nodeIdScript(1));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe("");
    expect(sleeps().length).toBeGreaterThan(1); // it waited for dockerd
  });

  it("asks dockerd once when it answers (a drift check at every preview), and waits for a dockerd that is restarting", async () => {
    write("nodeid", "id-w1");
    expect(run(nodeIdScript()).stdout).toBe("id-w1\n");
    expect(calls()).toEqual(["info --format {{.Swarm.NodeID}}"]);
    fakeSleep();
    write("fails-info---format", "2");
    expect(run(nodeIdScript()).stdout).toBe("id-w1\n");
    expect(calls().length).toBe(4);
  });
});

describe("leaveScript", () => {
  it("leaves with --force and succeeds even when docker fails", async () => {
    expect(leaveScript()).toBe("docker swarm leave --force >/dev/null 2>&1 || true");
    m.fake({ docker: FAILING_DOCKER });
    expect(run(leaveScript()).code).toBe(0);
  });
});

describe("settingsScript", () => {
  const base: NodeSettings = { nodeId: "id-w1", name: "worker1", role: "worker", availability: "active", labels: {}, readyTimeoutSeconds: 5 };

  /** A node of the fake swarm; `labels` as a map, or as keys only (each with the value "v"). */
  function node(id: string, o: { role: string; labels?: string | Record<string, string>; status?: string; hostname?: string; addr?: string; availability?: string }): void {
    const labels = typeof o.labels === "string" ? Object.fromEntries(o.labels.split(" ").filter(Boolean).map((k) => [k, "v"])) : (o.labels ?? {});
    write(`role-${id}`, o.role);
    write(`addr-${id}`, o.addr ?? `addr-of-${id}`);
    write(`labels-${id}`, Object.keys(labels).map((k) => `${k} `).join(""));
    // as Go prints a map: keys sorted
    write(`labelsjson-${id}`, JSON.stringify(Object.fromEntries(Object.keys(labels).sort().map((k) => [k, labels[k]]))));
    if (o.availability) write(`availability-${id}`, o.availability);
    write(`status-${id}`, o.status ?? "ready");
    write(`hostname-${id}`, o.hostname ?? id);
  }

  const changes = () => calls().filter((c) => /^node (promote|demote|update|rm)/.test(c));

  it("demotes a node configured as a worker that is a manager", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "manager" });
    const r = run(settingsScript(base));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(changes()).toEqual(["node demote id-w1"]);
    expect(r.stdout).toBe("worker active\n");
  });

  it("promotes a node configured as a manager that is a worker", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "worker" });
    const r = run(settingsScript({ ...base, role: "manager" }));
    expect(r.code).toBe(0);
    expect(changes()).toEqual(["node promote id-w1"]);
    expect(calls()).toContain("node inspect -f {{.ManagerStatus.Reachability}} id-w1");
    expect(r.stdout).toBe("manager active\n");
  });

  it("changes nothing on a node that already has its role, availability and labels (a fresh join, a re-run), in two reads", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "worker" });
    const r = run(settingsScript(base));
    expect(r.code).toBe(0);
    expect(changes()).toEqual([]);
    expect(calls()).toEqual(["node inspect -f {{.Status.State}}|{{.Status.Addr}}|{{.Spec.Role}}|{{.Spec.Availability}} {{json .Spec.Labels}} id-w1", "node ls -q"]);
    expect(r.stdout).toBe("worker active\n");
  });

  it("takes labels equal to the configured ones, values with spaces included, as nothing to change", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "worker", labels: { zone: "a", "disk.type": "ssd b" }, availability: "drain" });
    const r = run(settingsScript({ ...base, availability: "drain", labels: { zone: "a", "disk.type": "ssd b" } }));
    expect(r.code).toBe(0);
    expect(changes()).toEqual([]);
    expect(r.stdout).toBe("worker drain\n");
  });

  it("takes Go's null for no labels (a node whose labels map was never set) as no labels", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "worker" });
    write("labelsjson-id-w1", "null");
    expect(run(settingsScript(base)).code).toBe(0);
    expect(changes()).toEqual([]);
    // but null is not the labels a node configured with labels should have
    expect(run(settingsScript({ ...base, labels: { zone: "a" } })).code).toBe(0);
    expect(changes()).toEqual(["node update --availability active --label-add zone=a id-w1"]);
  });

  it("updates a label whose value differs, and an availability that differs", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "worker", labels: { zone: "b" } });
    expect(run(settingsScript({ ...base, labels: { zone: "a" } })).code).toBe(0);
    expect(changes()).toEqual(["node update --availability active --label-add zone=a id-w1"]);
    m.write("nodes", "id-w2");
    node("id-w2", { role: "worker", labels: { zone: "a" } });
    expect(run(settingsScript({ ...base, nodeId: "id-w2", availability: "pause", labels: { zone: "a" } })).code).toBe(0);
    expect(changes().slice(1)).toEqual(["node update --availability pause --label-add zone=a id-w2"]);
  });

  it("applies the availability, adds the configured labels and removes the others", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "worker", labels: "zone old stale.key " });
    const r = run(settingsScript({ ...base, availability: "drain", labels: { zone: "a", "disk.type": "ssd b" } }));
    expect(r.code).toBe(0);
    expect(changes()).toEqual(["node update --availability drain --label-rm old --label-rm stale.key --label-add disk.type=ssd b --label-add zone=a id-w1"]);
    expect(r.stdout).toBe("worker drain\n");
  });

  it("removes every label when none is configured", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "worker", labels: "zone " });
    expect(run(settingsScript({ ...base, availability: "pause" })).code).toBe(0);
    expect(changes()).toEqual(["node update --availability pause --label-rm zone id-w1"]);
  });

  it("removes a stale Down entry with the same hostname (a node recreated behind swarmlab's back)", async () => {
    write("nodes", "id-old\nid-w1\nid-other");
    node("id-old", { role: "manager", status: "down", hostname: "worker1" });
    node("id-other", { role: "worker", status: "down", hostname: "worker2" });
    node("id-w1", { role: "worker", hostname: "worker1" });
    expect(run(settingsScript(base)).code).toBe(0);
    expect(changes()).toEqual(["node demote id-old", "node rm --force id-old"]);
  });

  it("removes a stale entry still listed Ready at the node's own address (its heartbeats have not timed out yet)", async () => {
    write("nodes", "id-old\nid-w1\nid-twin\nid-nameless\nid-stranger");
    node("id-old", { role: "worker", hostname: "worker1", addr: "10.0.0.5" });
    node("id-twin", { role: "worker", hostname: "worker1", addr: "10.0.0.9" });
    node("id-nameless", { role: "worker", status: "down", hostname: "" });
    node("id-stranger", { role: "worker", hostname: "worker2", addr: "10.0.0.5" });
    node("id-w1", { role: "worker", hostname: "worker1", addr: "10.0.0.5" });
    expect(run(settingsScript(base)).code).toBe(0);
    // the Ready twin elsewhere is another live machine, and another hostname is another node
    expect(changes()).toEqual(["node demote id-old", "node rm --force id-old", "node demote id-nameless", "node rm --force id-nameless"]);
  });

  it("fails with the node's name and state when it never becomes Ready", async () => {
    write("nodes", "id-w1");
    node("id-w1", { role: "worker", status: "down" });
    const r = run(settingsScript({ ...base, readyTimeoutSeconds: 1 }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("node worker1 (id-w1) is not Ready after 1 s (state: down)\n");
    expect(changes()).toEqual([]);
  });
});

describe("the shared retry of Raft changes (settingsScript)", () => {
  const base: NodeSettings = { nodeId: "id-m2", name: "manager2", role: "manager", availability: "active", labels: {}, readyTimeoutSeconds: 5 };

  beforeEach(() => {
    fakeSleep();
    write("nodes", "id-m2");
    write("role-id-m2", "worker");
    write("status-id-m2", "ready");
  });

  it("retries a promotion that times out, 2 s apart, until it goes through", async () => {
    write("fails-node-promote", "2");
    const r = run(settingsScript(base));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(calls().filter((c) => c.startsWith("node promote"))).toEqual(["node promote id-m2", "node promote id-m2", "node promote id-m2"]);
    expect(sleeps()).toEqual(["2", "2"]);
  });

  it("fails after 5 attempts with what it was doing and docker's last error", async () => {
    write("fails-node-promote", "99");
    write("error", "Error response from daemon: rpc error: code = DeadlineExceeded desc = context deadline exceeded");
    const r = run(settingsScript(base));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("cannot promote node manager2 (id-m2): Error response from daemon: rpc error: code = DeadlineExceeded desc = context deadline exceeded\n");
    expect(calls().filter((c) => c.startsWith("node promote"))).toHaveLength(5);
    expect(sleeps()).toEqual(["2", "2", "2", "2"]);
    expect(calls().filter((c) => c.startsWith("node update"))).toEqual([]);
  });
});

describe("retireScript", () => {
  const worker = { nodeId: "id-w1", name: "worker1", timeoutSeconds: 5 };
  const manager = { nodeId: "id-m2", name: "manager2", timeoutSeconds: 5 };
  const changes = () => calls().filter((c) => /^node (demote|promote|update|rm)/.test(c));
  const listings = () => calls().filter((c) => c.startsWith("node ps"));

  beforeEach(() => {
    fakeSleep();
    write("role-id-w1", "worker");
    write("role-id-m2", "manager");
  });

  it("drains a worker, does not demote it, and waits until no task is meant to run on it", async () => {
    write("running-id-w1", "2");
    const r = run(retireScript(worker));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(changes()).toEqual(["node update --availability drain id-w1"]);
    expect(listings()).toEqual(Array(3).fill("node ps id-w1 --filter desired-state=running -q"));
  });

  it("drains a manager, then demotes it", async () => {
    const r = run(retireScript(manager));
    expect(r.code).toBe(0);
    expect(changes()).toEqual(["node update --availability drain id-m2", "node demote id-m2"]);
  });

  it("never demotes the manager that runs it (the first manager retiring itself on destroy)", async () => {
    write("nodeid", "id-m2");
    const r = run(retireScript(manager));
    expect(r.code).toBe(0);
    expect(changes()).toEqual(["node update --availability drain id-m2"]);
  });

  it("exits 0 without touching anything when the node is already gone", async () => {
    const r = run(retireScript({ ...worker, nodeId: "id-gone" }));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(calls()).toEqual(["node inspect id-gone"]);
  });

  it("retries a drain that is out of sequence, 2 s apart, then goes on", async () => {
    write("fails-node-update", "2");
    const r = run(retireScript(manager));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(changes()).toEqual([...Array(3).fill("node update --availability drain id-m2"), "node demote id-m2"]);
    expect(sleeps()).toEqual(["2", "2"]);
  });

  it("fails with docker's error after 5 failed drains of a node that is still there", async () => {
    write("fails-node-update", "99");
    const r = run(retireScript(manager));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("cannot drain node manager2 (id-m2): Error response from daemon: rpc error: code = Unknown desc = update out of sequence\n");
    expect(changes()).toEqual(Array(5).fill("node update --availability drain id-m2"));
    expect(sleeps()).toEqual(["2", "2", "2", "2"]);
    expect(listings()).toEqual([]);
  });

  it("fails with docker's error after 5 failed demotions", async () => {
    write("fails-node-demote", "99");
    write("error", "Error response from daemon: rpc error: code = DeadlineExceeded desc = context deadline exceeded");
    const r = run(retireScript(manager));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("cannot demote node manager2 (id-m2): Error response from daemon: rpc error: code = DeadlineExceeded desc = context deadline exceeded\n");
    expect(changes()).toEqual(["node update --availability drain id-m2", ...Array(5).fill("node demote id-m2")]);
  });

  it("succeeds when the node is removed while its drain is retried", async () => {
    write("fails-node-update", "99");
    write("vanish-node-update", "id-w1");
    const r = run(retireScript(worker));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(changes()).toEqual(Array(5).fill("node update --availability drain id-w1"));
    expect(listings()).toEqual([]);
  });

  it("stops waiting when the node is removed while its tasks are listed", async () => {
    write("fails-node-ps", "1");
    write("vanish-node-ps", "id-w1");
    const r = run(retireScript(worker));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(listings()).toHaveLength(1);
  });

  it("fails naming the node and its tasks when they have not left by the timeout", async () => {
    write("running-id-w1", "1000");
    const r = run(retireScript({ ...worker, timeoutSeconds: 0 }));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("node worker1 (id-w1) still has tasks meant to run on it after 0 s of draining: task-a task-b\n");
  });

  it("quotes the node id", async () => {
    expect(retireScript({ ...worker, nodeId: "id-w1; reboot" })).toContain("id='id-w1; reboot'");
  });
});

describe("removeNodeScript", () => {
  const removals = () => calls().filter((c) => c.startsWith("node rm"));

  function node(id: string, hostname: string, status: string): void {
    write(`hostname-${id}`, hostname);
    write(`status-${id}`, status);
  }

  beforeEach(() => fakeSleep());

  it("removes every entry with the node's hostname once it is Down, and no other node", async () => {
    write("nodes", "id-m1\nid-w1\nid-w1-old\nid-w2");
    node("id-m1", "manager1", "ready");
    node("id-w1", "worker1", "down");
    node("id-w1-old", "worker1", "down");
    node("id-w2", "worker2", "down");
    const r = run(removeNodeScript("worker1"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(removals()).toEqual(["node rm --force id-w1", "node rm --force id-w1-old"]);
    expect(sleeps()).toEqual([]);
  });

  it("waits up to 20 s for the node to be Down, then removes it all the same", async () => {
    write("nodes", "id-w1");
    node("id-w1", "worker1", "ready");
    expect(run(removeNodeScript("worker1")).code).toBe(0);
    expect(calls().filter((c) => c === "node inspect -f {{.Status.State}} id-w1")).toHaveLength(20);
    expect(sleeps()).toEqual(Array(20).fill("1"));
    expect(removals()).toEqual(["node rm --force id-w1"]);
  });

  it("never removes the manager that runs it", async () => {
    write("nodes", "nodeid-self");
    node("nodeid-self", "worker1", "down");
    expect(run(removeNodeScript("worker1")).code).toBe(0);
    expect(removals()).toEqual([]);
  });

  it("does nothing when no node has that hostname (already removed)", async () => {
    write("nodes", "id-m1");
    node("id-m1", "manager1", "ready");
    const r = run(removeNodeScript("worker1"));
    expect(r.code).toBe(0);
    expect(removals()).toEqual([]);
  });
});

describe("readyScript", () => {
  const hostHasIpvs = fs.existsSync("/proc/net/ip_vs");

  beforeEach(() => {
    fakeSleep();
    // modprobe cannot load the module here (a container, say): notes that it was asked
    m.fake({ modprobe: `#!/bin/sh\necho "modprobe $*" >> "${m.dir}/modprobe"\nexit 1\n` });
  });

  it.skipIf(hostHasIpvs)("reports the engine version, and no IPVS when the kernel has none and modprobe cannot load it", async () => {
    const r = run(readyScript(5));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("engine=28.0.0\nipvs=no\n");
    expect(m.read("modprobe")).toBe("modprobe ip_vs\n");
  });

  it("waits for dockerd to answer", async () => {
    write("fails-info", "3");
    const r = run(readyScript(5));
    expect(r.code).toBe(0);
    expect(calls().filter((c) => c === "info")).toHaveLength(5); // 3 failed polls, the answer, the check after the wait
    expect(sleeps()).toEqual(["0.2", "0.2", "0.2"]);
    expect(r.stdout).toMatch(/^engine=28\.0\.0\nipvs=(yes|no)\n$/);
  });

  it("reports the MTU of the interface that holds the advertise address", async () => {
    m.fake({ ip: `#!/bin/sh\necho "1: lo    inet 127.0.0.1/8 scope host lo"\necho "2: lo    inet 10.9.8.7/24 scope global lo"\n` });
    const r = run(readyScript(5, "10.9.8.7"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nmtu=\d+\n$/);
    expect(r.stdout.match(/mtu=(\d+)/)?.[1]).toBe(fs.readFileSync("/sys/class/net/lo/mtu", "utf8").trim());
  });

  it("prints an empty mtu= when no interface holds the address, or there is no ip command", async () => {
    m.fake({ ip: `#!/bin/sh\necho "1: lo    inet 127.0.0.1/8 scope host lo"\n` });
    expect(run(readyScript(5, "10.9.8.7")).stdout).toMatch(/\nmtu=\n$/);
    m.fake({ ip: "#!/bin/sh\nexit 127\n" });
    const r = run(readyScript(5, "10.9.8.7"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nmtu=\n$/);
  });

  it("fails naming the host when dockerd does not answer within the timeout", async () => {
    write("fails-info", "1000");
    const r = run(readyScript(0));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("dockerd does not answer on node-under-test after 0 s\n");
    expect(r.stdout).toBe("");
    expect(calls()).toEqual(["info", "info"]);
  });
});

describe("parseNodeList", () => {
  it("parses docker node ls JSON lines and skips anything else", async () => {
    const out = [
      "some warning",
      '{"Availability":"Active","EngineVersion":"28.0.0","Hostname":"manager1","ID":"n1","ManagerStatus":"Leader","Self":true,"Status":"Ready","TLSStatus":"Ready"}',
      '{"Availability":"Drain","EngineVersion":"28.0.0","Hostname":"worker1","ID":"n2","ManagerStatus":"","Self":false,"Status":"Ready","TLSStatus":"Ready"}',
      '  {"Availability":"Active","Hostname":"worker2","Status":"Down"}',
      "",
    ].join("\n");
    expect(parseNodeList(out)).toEqual([
      { name: "manager1", status: "Ready", availability: "Active", managerStatus: "Leader" },
      { name: "worker1", status: "Ready", availability: "Drain", managerStatus: "" },
      { name: "worker2", status: "Down", availability: "Active", managerStatus: "" },
    ]);
    expect(parseNodeList("")).toEqual([]);
  });
});
