import { describe, expect, it } from "vitest";
import { CLUSTER, docker, e2eEnabled, labelledObjects, labStack } from "./lab";

describe.runIf(e2eEnabled())("pulumi destroy", () => {
  it("records every piece of swarm work as deleted with the lab network: a lab removed whole is not drained node by node", async () => {
    const { deployment } = await (await labStack()).exportStack();
    const resources = (deployment as { resources: { urn: string; type: string; deletedWith?: string }[] }).resources;
    const network = resources.find((r) => r.urn.endsWith(`swarmlab:hosts:DockerLab$pulumi-nodejs:dynamic/swarmlab:Command::${CLUSTER}-network`));
    expect(network?.urn).toBeDefined();
    const swarmWork = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic") && /(::|\$)swarmlab:(swarm:SwarmCluster|addons:|stacks:)/.test(r.urn));
    expect(swarmWork.length).toBeGreaterThan(20); // joins, settings, removals, networks, side-loads, stack deploys
    expect(swarmWork.filter((r) => r.deletedWith !== network?.urn).map((r) => r.urn)).toEqual([]);
    // the lab itself (containers, network, key) is what a destroy removes, one docker rm each
    expect(resources.filter((r) => r.urn.includes("swarmlab:hosts:DockerLab$") && r.deletedWith).map((r) => r.urn)).toEqual([]);
  });

  it("takes down a lab that is already half gone (a worker removed, the manager stopped) and leaves nothing labelled", async () => {
    expect(labelledObjects().length).toBeGreaterThan(0); // the lab the other files used is still up
    docker(["rm", "-f", `${CLUSTER}-worker2`]);
    docker(["stop", "-t", "2", `${CLUSTER}-manager1`]);
    const stack = await labStack();
    const started = Date.now();
    await stack.destroy({ color: "never" });
    console.log(`destroy of the half-gone lab: ${Math.round((Date.now() - started) / 1000)} s`);
    expect(labelledObjects()).toEqual([]);
    const nodes = ["manager1", "worker1", "worker2", "worker3", "worker4"].map((n) => `${CLUSTER}-${n}`);
    expect(docker(["ps", "-a", "--format", "{{.Names}}"]).split("\n").filter((n) => nodes.includes(n))).toEqual([]);
    expect(docker(["network", "ls", "--format", "{{.Name}}"]).split("\n")).not.toContain(`swarmlab-${CLUSTER}`);
  }, 600_000);
});
