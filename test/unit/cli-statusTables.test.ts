/**
 * cli/lib/statusTables.ts: the node and service tables of `npm run status`, from the state the
 * remote script reports for the swarm of test/support/swarmStateFixture.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { missingNodes, NODE_HEADER, nodeRows, renderTable, SERVICE_HEADER, serviceRows, swarmLeader, unreachableManagers } from "../../cli/lib/statusTables";
import type { SwarmState } from "../../cli/lib/swarmState";
import { sampleState } from "../support/swarmStateFixture";

let state: SwarmState;
beforeAll(() => {
  state = sampleState();
});

describe("the status tables", () => {
  it("nodes by name; MANAGER is the reachability and `leader`, empty for workers; labels as k=v", () => {
    expect(renderTable(NODE_HEADER, nodeRows(state))).toBe(
      [
        "NODE      ROLE     AVAILABILITY  STATE  ENGINE  MANAGER           LABELS",
        "manager1  manager  active        ready  28.0.1  reachable leader",
        "manager2  manager  active        down   28.0.1  unreachable",
        "worker1   worker   active        ready  28.0.1                    zone=a",
      ].join("\n"),
    );
    expect(swarmLeader(state)).toBe("manager1");
  });

  it("asks only the managers the swarm lists unreachable whether they are locked, and marks the ones that are", () => {
    expect(unreachableManagers(state)).toEqual(["manager2"]);
    expect(nodeRows(state, ["manager2"]).find((r) => r[0] === "manager2")?.[3]).toBe("down (locked)");
    expect(nodeRows(state, []).find((r) => r[0] === "manager2")?.[3]).toBe("down");
  });

  it("services by stack then name, with their ports and the nodes of their running tasks", () => {
    expect(serviceRows(state)).toEqual([
      ["off", "off_web", "?", "-", "-"],
      ["shop", "shop_web", "?", "-", "-"],
      ["swarmlab-registry", "swarmlab-registry_registry", "1/1", "5000->5000/tcp (host)", "manager1"],
      ["swarmlab-traefik", "swarmlab-traefik_traefik", "?", "8000->80/tcp (ingress) 443->443/tcp (ingress) 8080->8080/tcp (ingress)", "-"],
      ["whoami", "whoami_whoami", "3/3", "-", "manager1,worker1"],
    ]);
    expect(renderTable(SERVICE_HEADER, serviceRows(state)).split("\n")[5]).toMatch(/^whoami\s+whoami_whoami\s+3\/3\s+-\s+manager1,worker1$/);
  });

  it("nodes of the configuration the swarm does not list", () => {
    expect(missingNodes(state, ["manager1", "worker1", "worker2"])).toEqual(["worker2"]);
  });
});
