/**
 * components/swarm/decision.ts: which swarm the cluster is, from every manager's report (pure),
 * and the scripts that read a manager's state and act on the decision (run against a fake docker:
 * BOOTSTRAP_DOCKER of test/support/fakeDocker.ts).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { actScript, decideSwarm, parseSurvey, surveyScript, type ManagerReport } from "../../components/swarm/decision";
import { BOOTSTRAP_DOCKER, HOSTNAME_FAKE } from "../support/fakeDocker";
import { fakeMachine, type FakeMachine } from "../support/fakes";

const live = (name: string, cluster = "c1"): ManagerReport => ({ name, reached: true, state: "active", control: true, node: `id-${name}`, cluster });
const fresh = (name: string): ManagerReport => ({ name, reached: true, state: "inactive", control: false });
const silent = (name: string): ManagerReport => ({ name, reached: false, error: "ssh: connect to host 172.28.0.5 port 22: Connection timed out" });
const headless = (name: string): ManagerReport => ({ name, reached: true, state: "active", control: true, node: `id-${name}` });
const keep = { forceNewCluster: false };
const force = { forceNewCluster: true };

describe("decideSwarm", () => {
  it("initialises only a cluster where every manager answered and none holds a swarm, on the first manager", () => {
    expect(decideSwarm([fresh("m1"), fresh("m2"), fresh("m3")], keep)).toEqual({ action: "init", on: "m1" });
  });

  it("never initialises beside a manager that is pending or in error (an engine restarting may hold the swarm): waits for it", () => {
    for (const state of ["pending", "error"]) {
      const d = decideSwarm([{ ...fresh("m1"), state, node: "id-m1" }, fresh("m2")], keep);
      expect(d).toEqual({
        action: "wait",
        message:
          `m1 is ${state}: its swarm state is settling, and it may hold the swarm. swarmlab does not initialise a new swarm beside it: ` +
          "wait for it (docker info on it), or, if it was only an interrupted join, run docker swarm leave --force there; then pulumi up",
      });
    }
    // three managers, two recreated and the third restarting without quorum: not an init either
    expect(decideSwarm([{ ...fresh("m1"), state: "pending" }, fresh("m2"), fresh("m3")], keep).action).toBe("wait");
  });

  it("keeps the swarm a live manager holds when the first manager was lost with its disk (it joins instead)", () => {
    expect(decideSwarm([fresh("m1"), live("m2"), live("m3")], keep)).toEqual({ action: "use", on: "m2", cluster: "c1" });
  });

  it("takes another swarm than the one this stack made only when every manager answers", () => {
    expect(decideSwarm([live("m1", "other"), silent("m2"), silent("m3")], { ...keep, recorded: "c1" })).toMatchObject({
      action: "wait",
      message: expect.stringContaining("the managers that answer hold swarm other, not swarm c1 that this stack made, and m2 does not answer"),
    });
    expect(decideSwarm([live("m1", "c1"), silent("m2")], { ...keep, recorded: "c1" }).action).toBe("use");
    expect(decideSwarm([live("m1", "other"), fresh("m2")], { ...keep, recorded: "c1" })).toEqual({ action: "use", on: "m1", cluster: "other" });
  });

  it("keeps the swarm when the first manager does not answer at all", () => {
    expect(decideSwarm([silent("m1"), live("m2"), live("m3")], keep)).toEqual({ action: "use", on: "m2", cluster: "c1" });
  });

  it("waits (never initialises) while a manager that may hold the swarm is silent", () => {
    const d = decideSwarm([fresh("m1"), silent("m2")], keep);
    expect(d.action).toBe("wait");
    expect(d).toMatchObject({
      message: expect.stringContaining("cannot tell whether the swarm still exists: m2 does not answer (ssh: connect to host 172.28.0.5 port 22: Connection timed out), and no manager that answers holds it"),
    });
    expect(decideSwarm([silent("m1")], keep).action).toBe("wait");
  });

  it("stops on split brain, naming each manager and the swarm it holds", () => {
    expect(decideSwarm([live("m1", "aaa"), live("m2", "bbb"), live("m3", "bbb")], keep)).toEqual({
      action: "refuse",
      message:
        "the managers are in different swarms (split brain): m1 in swarm aaa; m2 and m3 in swarm bbb. swarmlab changed nothing. " +
        "Choose the swarm to keep; on each manager of the other, run docker swarm leave --force (what only that swarm holds is lost with it), then pulumi up again: they join the kept one",
    });
  });

  it("refuses when quorum is lost, naming the survivors and the missing, and how to recover", () => {
    expect(decideSwarm([headless("m1"), fresh("m2"), silent("m3")], keep)).toEqual({
      action: "refuse",
      message:
        "the swarm has lost its Raft quorum: m1 still holds it but no leader can be elected, since 3 managers need 2 to agree and " +
        "m2 is in no swarm (a new or reinstalled machine); m3 does not answer (ssh: connect to host 172.28.0.5 port 22: Connection timed out). swarmlab changed nothing. " +
        "If the missing managers can come back, start them: the swarm recovers by itself, then run pulumi up. " +
        "If they are lost for good, set swarmlab:swarm.forceNewCluster to true and run pulumi up: docker swarm init --force-new-cluster on m1 " +
        "keeps the swarm's services, secrets and configs, and the other nodes join it again; then remove the setting",
    });
  });

  it("forces a new cluster on the first survivor only when asked, and refuses the setting while quorum holds", () => {
    // the other survivor holds a stale copy once m2 forced a new cluster: it leaves and joins again
    expect(decideSwarm([fresh("m1"), headless("m2"), headless("m3")], force)).toEqual({ action: "force", on: "m2", others: ["m3"] });
    expect(decideSwarm([live("m1"), live("m2"), fresh("m3")], force)).toMatchObject({ action: "refuse", message: expect.stringContaining("swarmlab:swarm.forceNewCluster is set, but the swarm has its quorum (m1 and m2 answer with control)") });
    expect(decideSwarm([fresh("m1")], force)).toMatchObject({ action: "refuse", message: expect.stringContaining("no manager holds a swarm to recover") });
  });

  it("stops on a locked swarm and on managers that are workers of a swarm it cannot see", () => {
    expect(decideSwarm([{ name: "m1", reached: true, state: "locked" }, fresh("m2")], keep)).toMatchObject({ action: "refuse", message: expect.stringContaining("m1 holds a locked swarm (autolock) and swarmlab has no unlock key for it: set SWARMLAB_UNLOCK_KEY") });
    expect(decideSwarm([{ name: "m1", reached: true, state: "active", control: false }, fresh("m2")], keep)).toMatchObject({
      action: "refuse",
      message: expect.stringContaining("m1 is a worker of a swarm whose managers are not among the configured managers or do not answer"),
    });
  });
});

describe("parseSurvey", () => {
  it("reads a manager's key=value report, and a failed run as not reached with its last error line", () => {
    expect(parseSurvey("m1", { code: 0, stdout: "state=active\ncontrol=true\nnode=abc\nerror=\ncluster=c1\n", stderr: "" })).toEqual({
      name: "m1",
      reached: true,
      state: "active",
      control: true,
      node: "abc",
      cluster: "c1",
      error: undefined,
    });
    expect(parseSurvey("m2", { code: 255, stdout: "", stderr: "x\nssh: connect to host h port 22: No route to host\n" })).toEqual({ name: "m2", reached: false, error: "ssh: connect to host h port 22: No route to host" });
  });
});

let m: FakeMachine;
const write = (f: string, v: string) => m.write(f, v);
const calls = () => m.lines("log");
const run = (script: string) => m.run(script);

describe("the bootstrap scripts", () => {
  /** A fresh manager for every test: BOOTSTRAP_DOCKER (its state in `state`, `control`, `cluster`; every call logged) and a hostname. */
  beforeEach(() => {
    m = fakeMachine({ docker: BOOTSTRAP_DOCKER, hostname: HOSTNAME_FAKE }, "swarmlab-bootstrap-");
  });

  it("surveyScript reports the state, and the cluster ID only where the control plane answers", () => {
    write("state", "active");
    write("control", "true");
    write("cluster", "c1");
    expect(parseSurvey("m1", { ...run(surveyScript()), code: 0 } as never)).toMatchObject({ reached: true, state: "active", control: true, node: "id-self", cluster: "c1" });
    write("cluster", "");
    expect(parseSurvey("m1", { ...run(surveyScript()), code: 0 } as never)).toMatchObject({ state: "active", control: true, cluster: undefined });
    // one docker call each time: the survey is the swarm's drift check at every preview
    expect(calls().length).toBe(2);
  });

  it("surveyScript waits for a dockerd that does not answer, then says so", () => {
    m.fake({ docker: "#!/bin/sh\necho x >> \"$FAKE_DIR/log\"\nexit 1\n" });
    const r = run(surveyScript(2));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("dockerd does not answer on node-under-test\n");
    expect(parseSurvey("m1", r as never)).toMatchObject({ reached: false, error: "dockerd does not answer on node-under-test" });
    expect(calls().length).toBeGreaterThan(2); // polled (every 0.2 s)
  });

  it("init: swarm init with the advertise address, pool and data path port, then the cluster ID and tokens", () => {
    write("state", "inactive");
    const r = run(actScript({ action: "init", on: "m1" }, { advertiseAddress: "10.0.0.5", defaultAddrPool: "10.20.0.0/16", dataPathPort: 7789 }));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("cluster=c-new\nworker=SWMTKN-1-w\nmanager=SWMTKN-1-m\nunlock=\n");
    expect(calls()).toContain("swarm init --advertise-addr 10.0.0.5 --default-addr-pool 10.20.0.0/16 --data-path-port 7789");
  });

  it("init never leaves anything (it runs only where every manager is in no swarm)", () => {
    write("state", "inactive");
    run(actScript({ action: "init", on: "m1" }, { advertiseAddress: "10.0.0.5" }));
    expect(calls().filter((c) => /^swarm (leave|init)/.test(c))).toEqual(["swarm init --advertise-addr 10.0.0.5"]);
  });

  it("fails instead of recording an empty swarm ID or token when a read fails", () => {
    write("state", "active");
    write("cluster", "c1");
    m.fake({ docker: BOOTSTRAP_DOCKER.replace('"swarm join-token -q manager") echo "SWMTKN-1-m$(get tokens)" ;;', '"swarm join-token -q manager") echo "Error response from daemon: rpc error" >&2; exit 1 ;;') });
    const r = run(actScript({ action: "use", on: "m2", cluster: "c1" }, { advertiseAddress: "10.0.0.6" }));
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
  });

  it("use: only reads the cluster ID and tokens (never init, never leave)", () => {
    write("state", "active");
    write("cluster", "c1");
    const r = run(actScript({ action: "use", on: "m2", cluster: "c1" }, { advertiseAddress: "10.0.0.6" }));
    expect(r.stdout).toBe("cluster=c1\nworker=SWMTKN-1-w\nmanager=SWMTKN-1-m\nunlock=\n");
    expect(calls().filter((c) => c.startsWith("swarm init") || c.startsWith("swarm leave"))).toEqual([]);
  });

  it("force: docker swarm init --force-new-cluster on the survivor, quoted advertise address", () => {
    write("state", "active");
    const r = run(actScript({ action: "force", on: "m2", others: [] }, { advertiseAddress: "10.0.0.6" }));
    expect(r.stdout).toBe("cluster=c-kept\nworker=SWMTKN-1-w\nmanager=SWMTKN-1-m\nunlock=\n");
    expect(calls()).toContain("swarm init --force-new-cluster --advertise-addr 10.0.0.6");
  });

  it("force keeps autolock when asked (a restored backup of a locked swarm: init would turn it off and drop the key)", () => {
    write("state", "active");
    run(actScript({ action: "force", on: "m2", others: [] }, { advertiseAddress: "10.0.0.6", autolock: true }));
    expect(calls()).toContain("swarm init --force-new-cluster --autolock --advertise-addr 10.0.0.6");
  });
});
