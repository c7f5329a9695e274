/**
 * What the last deployment looked like (components/swarm/previous.ts): the `nodes` output read back
 * through a StackReference to the stack itself, under mocks that answer that reference as the
 * engine does (an output map, empty for a stack never deployed) or fail as a broken backend would.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { managersOf, readPreviousManagers } from "../../components/swarm/previous";
import { unhandledRejections } from "../support/mocks";

const STACK = "organization/swarmlab/dev";

/** What the mocked backend answers for a stack reference: its outputs, or an error. */
let answer: { outputs: Record<string, unknown> } | { error: string };

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        if (args.type !== "pulumi:pulumi:StackReference") throw new Error(`unexpected resource ${args.type}`);
        if ("error" in answer) throw new Error(answer.error);
        return { id: args.name, state: { name: args.name, outputs: answer.outputs } };
      },
      call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "swarmlab",
    "dev",
    false,
    "organization",
  );
});

beforeEach(() => {
  answer = { outputs: {} };
});


const rows = [
  { name: "manager1", role: "manager", address: "172.28.0.10", sshPort: 22, labels: {}, availability: "active" },
  { name: "worker1", role: "worker", address: "172.28.0.11", sshPort: 22, labels: {}, availability: "active" },
  { name: "manager2", role: "manager", address: "172.28.0.12", sshPort: 22, labels: {}, availability: "active" },
];

describe("managersOf", () => {
  it("lists the managers of a node table in config order", async () => {
    expect(managersOf(rows)).toEqual(["manager1", "manager2"]);
  });

  it("finds none when there is no node table yet", async () => {
    expect(managersOf(undefined)).toEqual([]);
    expect(managersOf(null)).toEqual([]);
    expect(managersOf([])).toEqual([]);
  });

  it.each([["a string", "manager1"], ["a mapping", { manager1: "manager" }], ["rows without a role", [{ name: "manager1" }]]])(
    "refuses %s rather than guess",
    async (_what, value) => {
      expect(() => managersOf(value)).toThrow(
        "its output `nodes` is not swarmlab's node table (a list of rows with a name and a role); see `pulumi stack output nodes --json`",
      );
    },
  );
});

describe("readPreviousManagers", () => {
  it("finds no manager for a stack never deployed (the first up, a preview of a new stack): its output map is empty", async () => {
    await expect(readPreviousManagers(STACK)).resolves.toEqual([]);
  });

  it("reads the managers, in config order, from the last deployment's nodes output", async () => {
    answer = { outputs: { cluster: "lab", nodes: rows } };
    await expect(readPreviousManagers(STACK)).resolves.toEqual(["manager1", "manager2"]);
  });

  it("reads a nodes output that is secret too", async () => {
    answer = { outputs: { nodes: { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: rows } } };
    await expect(readPreviousManagers(STACK)).resolves.toEqual(["manager1", "manager2"]);
  });

  it("fails, naming the stack and the cause, when the backend cannot be read", async () => {
    answer = { error: "the backend is unreachable" };
    const sdk = await unhandledRejections(async () => {
      await expect(readPreviousManagers(STACK)).rejects.toThrow(
        "cannot read the last deployment of stack organization/swarmlab/dev, which the manager quorum checks need: " +
          "failed to read resource #organization/swarmlab/dev 'organization/swarmlab/dev' [pulumi:pulumi:StackReference]: the backend is unreachable",
      );
    });
    // The SDK rejects the reference's other outputs too, unawaited: a real program stops on those as well.
    expect(sdk.length).toBeGreaterThan(0);
    expect(new Set(sdk)).toEqual(new Set(["failed to read resource #organization/swarmlab/dev 'organization/swarmlab/dev' [pulumi:pulumi:StackReference]: the backend is unreachable"]));
  });

  it("fails, naming the stack, when its nodes output is not a node table", async () => {
    answer = { outputs: { nodes: "manager1" } };
    await expect(readPreviousManagers(STACK)).rejects.toThrow(
      "cannot read the last deployment of stack organization/swarmlab/dev, which the manager quorum checks need: its output `nodes` is not swarmlab's node table",
    );
  });
});
