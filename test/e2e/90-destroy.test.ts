import { describe, expect, it } from "vitest";
import { docker, e2eEnabled, labelledObjects, labStack } from "./lab";

describe.runIf(e2eEnabled())("pulumi destroy", () => {
  it("leaves no container, volume or network carrying the cluster's label", async () => {
    expect(labelledObjects().length).toBeGreaterThan(0); // the lab the other files used is still up
    const stack = await labStack();
    await stack.destroy({ color: "never" });
    expect(labelledObjects()).toEqual([]);
    expect(docker(["ps", "-a", "--format", "{{.Names}}"]).split("\n").filter((n) => n.startsWith("e2e-"))).toEqual([]);
  }, 600_000);
});
