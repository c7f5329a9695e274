/**
 * components/command/quietDebug.ts: the engine's answers cut from the SDK's RPC debug lines (they
 * may hold secrets).
 */
import { describe, expect, it } from "vitest";

describe("quietRpcDebug", () => {
  it("cuts the engine's answer from the SDK's RPC debug lines, and leaves other lines alone", async () => {
    const { withoutRpcAnswer } = await import("../../components/command/quietDebug");
    expect(withoutRpcAnswer("RegisterResource RPC finished: resource:lab-key-keygen[pulumi-nodejs:dynamic/swarmlab:Command]; err: null, resp: urn:...,stdout,,,-----BEGIN OPENSSH PRIVATE KEY-----")).toBe(
      "RegisterResource RPC finished: resource:lab-key-keygen[pulumi-nodejs:dynamic/swarmlab:Command]; err: null, resp: [left out by swarmlab: it may hold secrets]",
    );
    expect(withoutRpcAnswer("ReadResource RPC finished: x; err: Error: boom, resp: undefined")).toBe("ReadResource RPC finished: x; err: Error: boom, resp: [left out by swarmlab: it may hold secrets]");
    expect(withoutRpcAnswer("Registering resource: t=swarmlab:swarm:SwarmCluster, name=lab")).toBe("Registering resource: t=swarmlab:swarm:SwarmCluster, name=lab");
  });
});
