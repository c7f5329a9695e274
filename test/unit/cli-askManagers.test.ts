/**
 * cli/lib/askManagers.ts: `npm run status` asks the managers in turn, the leader first, and says
 * why none answered.
 */
import { describe, expect, it } from "vitest";
import { failureReport, firstAnswer, type RunResult } from "../../cli/lib/askManagers";
import type { NodeConnection } from "../../cli/lib/nodes";

describe("asking the managers", () => {
  const conn = (name: string, host: string): NodeConnection => ({ name, role: "manager", host, port: 22, user: "root", privateKey: "k" });
  const managers = [conn("manager1", "172.28.0.2"), conn("manager2", "172.28.0.3"), conn("manager3", "172.28.0.4")];
  const noSsh = (host: string): RunResult => ({ status: 255, stdout: "", stderr: `ssh: connect to host ${host} port 22: Connection refused\n` });

  it("the leader first; when it does not answer, the next manager", async () => {
    const asked: string[] = [];
    const answer = await firstAnswer(managers, async (n) => {
      asked.push(n.name);
      return n.name === "manager1" ? noSsh(n.host) : { status: 0, stdout: "state", stderr: "" };
    });
    expect(asked).toEqual(["manager1", "manager2"]);
    expect(answer.from?.name).toBe("manager2");
    expect(answer.failed.map((f) => f.node.name)).toEqual(["manager1"]);
  });

  it("no SSH answer from any manager: the cluster is unreachable (exit 2), each manager named with ssh's reason", async () => {
    const answer = await firstAnswer(managers.slice(0, 2), async (n) => noSsh(n.host));
    expect(answer.from).toBeUndefined();
    expect(failureReport(answer.failed, "lab")).toEqual({
      code: 2,
      message:
        "the cluster is unreachable: no SSH answer from the leader manager1 (root@172.28.0.2:22: ssh: connect to host 172.28.0.2 port 22: Connection refused), " +
        "nor from the other managers: manager2 (root@172.28.0.3:22: ssh: connect to host 172.28.0.3 port 22: Connection refused). " +
        "Is it running? (for a lab: docker ps --filter label=swarmlab.cluster=lab; npm run up recreates what is missing)",
    });
  });

  it("a single manager that does not answer reads as the e2e test expects", async () => {
    const answer = await firstAnswer(managers.slice(0, 1), async (n) => noSsh(n.host));
    expect(failureReport(answer.failed, "lab").message).toMatch(/^the cluster is unreachable: no SSH answer from the leader manager1 \(/);
  });

  it("managers that answer but whose docker fails are named with docker's message (exit 1)", async () => {
    const answer = await firstAnswer(managers.slice(0, 2), async (n) =>
      n.name === "manager1" ? { status: 1, stdout: "", stderr: "Error response from daemon: The swarm does not have a leader.\n" } : noSsh(n.host),
    );
    expect(failureReport(answer.failed, "lab")).toEqual({
      code: 1,
      message: "no manager could report the swarm's state:\n  manager1: docker failed: Error response from daemon: The swarm does not have a leader.\n  manager2: no SSH answer (root@172.28.0.3:22)",
    });
  });
});
