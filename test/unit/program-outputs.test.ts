/**
 * index.ts, what the program exports for npm run ssh/status/push (read by cli/lib/stackOutputs.ts),
 * under the mocks of test/support/mocks.ts: the leader by name, each node's SSH target without its key (not a secret), and per-node keys (a secret) only
 * where a node does not take the cluster key.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { asPulumiConfig, FAKE_PRIVATE_KEY, resolve, setupMocks } from "../support/mocks";

type Program = () => Promise<Record<string, pulumi.Output<unknown>>>;
let program: Program;

beforeAll(async () => {
  await setupMocks();
  program = ((await import("../../index")) as unknown as { default: Program }).default;
});

async function outputsOf(config: Record<string, unknown>) {
  pulumi.runtime.setAllConfig(asPulumiConfig(config));
  const out = await program();
  const value = async (k: string) => ({ value: await resolve(out[k]), secret: await pulumi.isSecret(out[k]) });
  return { leader: await value("leader"), sshTargets: await value("sshTargets"), sshPrivateKeys: await value("sshPrivateKeys") };
}

describe("outputs for the command-line helpers", () => {
  it("ssh hosts: the user, port, bastion and host key of each node, without the key, in clear", async () => {
    const out = await outputsOf({
      "swarmlab:name": "prod",
      "swarmlab:hosts": {
        kind: "ssh",
        user: "admin",
        privateKey: FAKE_PRIVATE_KEY,
        bastion: { address: "bastion.example", port: 2200, user: "jump" },
        hosts: { manager1: { address: "10.0.0.5", hostKey: "ssh-ed25519 AAAAm1" }, worker1: { address: "10.0.0.6", port: 2222, user: "deploy" } },
      },
      "swarmlab:nodes": [{ name: "manager1", role: "manager" }, { name: "worker1" }],
    });
    const jump = { host: "bastion.example", port: 2200, user: "jump" };
    expect(out.sshTargets).toEqual({
      secret: false,
      value: {
        manager1: { host: "10.0.0.5", port: 22, user: "admin", hostKey: "ssh-ed25519 AAAAm1", jump },
        worker1: { host: "10.0.0.6", port: 2222, user: "deploy", jump },
      },
    });
    expect(JSON.stringify(out.sshTargets.value)).not.toContain("PRIVATE KEY");
    // one key for every host: nothing beside sshPrivateKey, and still a secret
    expect(out.sshPrivateKeys).toEqual({ secret: true, value: {} });
    expect(out.leader).toEqual({ secret: false, value: "manager1" });
  });

  it("a lab reached through published ports: every node at 127.0.0.1, the leader still named, each node its own port", async () => {
    const out = await outputsOf({
      "swarmlab:name": "pub",
      "swarmlab:hosts": { kind: "docker-lab", privileged: true, reachability: "published", sshPortBase: 22200 },
      "swarmlab:nodes": [{ name: "manager1", role: "manager" }, { name: "manager2", role: "manager" }, { name: "manager3", role: "manager" }, { name: "worker1" }],
    });
    expect(out.leader.value).toBe("manager1");
    const targets = Object.values(out.sshTargets.value as Record<string, { host: string; port: number; user: string }>);
    expect(targets.map((t) => t.host)).toEqual(["127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"]);
    expect(new Set(targets.map((t) => t.port)).size).toBe(4);
    expect(targets.every((t) => t.user === "root" && t.port > 22200)).toBe(true);
  });
});
