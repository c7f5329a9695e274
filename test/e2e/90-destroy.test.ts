import { describe, expect, it } from "vitest";
import { CLUSTER, docker, e2eEnabled, labelledObjects, labStack } from "./lab";

describe.runIf(e2eEnabled())("pulumi destroy", () => {
  it("leaves no container, volume or network carrying the cluster's label", async () => {
    expect(labelledObjects().length).toBeGreaterThan(0); // the lab the other files used is still up
    const stack = await labStack();
    await stack.destroy({ color: "never" });
    expect(labelledObjects()).toEqual([]);
    const nodes = ["manager1", "worker1", "worker2", "worker3", "worker4"].map((n) => `${CLUSTER}-${n}`);
    expect(docker(["ps", "-a", "--format", "{{.Names}}"]).split("\n").filter((n) => nodes.includes(n))).toEqual([]);
    expect(docker(["network", "ls", "--format", "{{.Name}}"]).split("\n")).not.toContain(`swarmlab-${CLUSTER}`);
  }, 600_000);
});
