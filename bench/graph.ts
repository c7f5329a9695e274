/**
 * Builds the whole resource graph of an N-node cluster under Pulumi mocks (no engine, no cluster)
 * and prints how long it took and how many resources it registered: the program's own share of
 * a `pulumi preview`. Usage: node --import tsx bench/graph.ts [nodes]
 */
import * as pulumi from "@pulumi/pulumi";

async function main(count: number): Promise<void> {
  let registered = 0;
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered++;
        const label = String(args.inputs.label ?? "");
        const stdout = label.endsWith("engine check") ? "engine=20.10\nipvs=yes" : label.endsWith("cluster SSH key") ? "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n-----SWARMLAB-PUBLIC-----\nssh-ed25519 AAAA" : "id";
        // the swarm itself (SwarmBootstrap) has no label: its cluster ID and tokens
        return { id: `${args.name}-id`, state: { ...args.inputs, stdout, clusterId: "c", worker: "w", manager: "m", event: "initialised" } };
      },
      call: (args) => {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "swarmlab",
    "bench",
    true,
  );
  const { loadClusterConfig } = await import("../components/config/load");
  const { createHosts } = await import("../components/hosts");
  const { SwarmCluster } = await import("../components/swarm/cluster");
  const managers = 5;
  const nodes = Array.from({ length: count }, (_, i) => ({ name: `node${i + 1}`, role: i < managers ? "manager" : "worker" }));
  const t = process.hrtime.bigint();
  const cfg = loadClusterConfig(
    { "swarmlab:nodes": JSON.stringify(nodes), "swarmlab:hosts": JSON.stringify({ kind: "docker-lab", privileged: true, reachability: "direct" }) },
    "bench",
  );
  const swarm = new SwarmCluster(cfg.name, { hosts: createHosts(cfg), swarm: cfg.swarm });
  await new Promise((resolve) => swarm.leaderAddress.apply(resolve)); // depends on every node's settings
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  console.error(`  ${count} nodes: ${registered} resources registered in ${s.toFixed(1)} s`);
}

main(Number(process.argv[2] ?? 100)).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
