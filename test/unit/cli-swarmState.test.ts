/**
 * cli/lib/swarmState.ts: `npm run status`'s remote script run by bash against a fake docker that
 * prints what docker prints (test/support/swarmStateFixture.ts), and its output parsed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseSwarmState, type SwarmState } from "../../cli/lib/swarmState";
import { runState, SERVICES, statusMachine } from "../support/swarmStateFixture";

let state: SwarmState;
let full: ReturnType<typeof runState>;
beforeAll(() => {
  full = runState(statusMachine({ services: true }));
  state = parseSwarmState(full.stdout);
});

describe("the remote script and its output", () => {
  it("asks docker for nodes, services, replica counts and running tasks, in one script", () => {
    expect(full.stderr).toBe("");
    expect(full.code).toBe(0);
    expect(full.log.split("\n")).toEqual([
      "node ls -q",
      "node inspect w1 m1 m2",
      "service ls -q",
      "service inspect s1 s2",
      "service ls --format {{json .}}",
      "service ps s1 s2 --filter desired-state=running --format {{json .}}",
      "",
    ]);
  });

  it("parses docker's JSON into nodes, services, replica counts and running tasks", () => {
    expect(state.nodes.map((n) => n.Description.Hostname)).toEqual(["worker1", "manager1", "manager2"]);
    expect(state.services.map((s) => s.Spec.Name)).toEqual(SERVICES.map((s) => s.Spec.Name));
    expect(state.replicas).toEqual({ whoami_whoami: "3/3", "swarmlab-registry_registry": "1/1" });
    expect(state.tasks).toHaveLength(4);
  });

  it("a swarm without services: no inspect, no ps, empty lists", () => {
    const res = runState(statusMachine({ services: false }));
    expect(res.code).toBe(0);
    expect(res.log).not.toMatch(/service (inspect|ps)/);
    const empty = parseSwarmState(res.stdout);
    expect([empty.services, empty.tasks, empty.replicas]).toEqual([[], [], {}]);
    expect(empty.nodes).toHaveLength(3);
  });

  it("a node that is not a manager fails the script with docker's message", () => {
    const res = runState(statusMachine({ services: true, nodeLsFails: true }));
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe("Error response from daemon: This node is not a swarm manager.");
    expect(res.log).toBe("node ls -q\n");
  });

  it("output that is not docker's is an error naming the section", () => {
    expect(() => parseSwarmState("@@swarmlab:nodes\n[{}]\n")).toThrow(/^unexpected output of docker in section "nodes"/);
  });
});
