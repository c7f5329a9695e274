/**
 * components/stacks/crossChecks.ts: what a stack asks of the cluster (networks, placement labels,
 * published ports...) checked against the cluster's configuration.
 */
import { describe, expect, it } from "vitest";
import { clusterSchema, type ClusterInput } from "../../components/config/cluster";
import { crossCheck } from "../../components/stacks/crossChecks";
import { parseStack } from "../../components/stacks/load";

const cluster = (over: Partial<ClusterInput> = {}) =>
  clusterSchema.parse({
    nodes: [
      { name: "manager1", role: "manager" },
      { name: "worker1", labels: { zone: "a" } },
      { name: "worker2", labels: { zone: "b", db: "true" } },
    ],
    ...over,
  });
const stack = (file: string, text: string) => ({ name: "web", file, stack: parseStack(text, file).stack });
const messages = (cfg: ReturnType<typeof cluster>, ...stacks: ReturnType<typeof stack>[]) =>
  crossCheck(cfg, stacks).map((p) => `${p.source}: ${p.path}: ${p.message}`);

describe("cross-checks between the cluster and its stacks", () => {
  it("refuses a stack subnet that overlaps the nodes' network, a cluster overlay network or another stack's", () => {
    const cfg = cluster({ networks: [{ name: "app_net", subnet: "10.20.0.0/16" }] });
    const a = stack("stacks/a.yaml", "services: {api: {image: x}}\nnetworks:\n  lab: {ipam: {config: [{subnet: 172.28.0.128/25}]}}\n  own: {ipam: {config: [{subnet: 10.30.0.0/24}]}}\n");
    const b = stack("stacks/b.yaml", "services: {api: {image: x}}\nnetworks:\n  app: {ipam: {config: [{subnet: 10.20.1.0/24}]}}\n  again: {ipam: {config: [{subnet: 10.30.0.0/25}]}}\n  ext: {external: true, name: app_net}\n");
    expect(messages(cfg, a, b)).toEqual([
      "stacks/a.yaml: networks.lab.ipam.config[0].subnet: 172.28.0.128/25 overlaps swarmlab:hosts.subnet (172.28.0.0/24, the nodes' own network): give each network a range of its own",
      "stacks/b.yaml: networks.app.ipam.config[0].subnet: 10.20.1.0/24 overlaps swarmlab:networks[0] (10.20.0.0/16): give each network a range of its own",
      "stacks/b.yaml: networks.again.ipam.config[0].subnet: 10.30.0.0/25 overlaps stacks/a.yaml (networks.own, 10.30.0.0/24): give each network a range of its own",
    ]);
  });

  it("accepts constraints that some node satisfies, and != constraints whatever they name", () => {
    const s = stack("stacks/web.yaml", "services:\n  db:\n    image: postgres\n    deploy:\n      placement:\n        constraints: [node.labels.db == true, node.role == manager, node.labels.zone != c, node.hostname == worker1]\n");
    expect(messages(cluster(), s)).toEqual([]);
  });

  it("refuses a constraint on a label value no node has, listing the labels there are", () => {
    const s = stack("stacks/web.yaml", "services:\n  api:\n    image: nginx\n    deploy:\n      placement:\n        constraints: [node.labels.zone == c]\n");
    expect(messages(cluster(), s)).toEqual([
      "stacks/web.yaml: services.api.deploy.placement.constraints[0]: no node has the label zone=c (node labels: zone=a (worker1), zone=b (worker2), db=true (worker2)): add it to a node in swarmlab:nodes or change the constraint",
    ]);
  });

  it("refuses a constraint on a hostname that is not a node", () => {
    const s = stack("stacks/web.yaml", "services:\n  api:\n    image: nginx\n    deploy:\n      placement:\n        constraints: [node.hostname == worker9]\n");
    expect(messages(cluster(), s)).toEqual(['stacks/web.yaml: services.api.deploy.placement.constraints[0]: no node is named "worker9" (nodes: manager1, worker1, worker2)']);
  });

  it("refuses an external network the cluster does not create, accepts the Traefik one and configured ones", () => {
    const text = "services:\n  api:\n    image: nginx\n    networks: [front, back, edge]\nnetworks:\n  front: {external: true, name: traefik-public}\n  back: {external: true}\n  edge: {external: true}\n";
    const cfg = cluster({ traefik: { enabled: true }, networks: [{ name: "back" }] });
    expect(messages(cfg, stack("stacks/web.yaml", text))).toEqual([
      'stacks/web.yaml: networks.edge: network "edge" is external, but the cluster does not create it (cluster networks: back, traefik-public): add it to swarmlab:networks',
    ]);
  });

  it("refuses a port published twice across stacks, and a port the cluster's services hold", () => {
    const a = stack("stacks/a.yaml", 'services:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n');
    const b = stack("stacks/b.yaml", 'services:\n  web:\n    image: nginx\n    ports: ["8080:80", "5000:5000", "8080:80/udp"]\n');
    const cfg = cluster({ registry: { enabled: true } });
    expect(messages(cfg, a, b)).toEqual([
      "stacks/b.yaml: services.web.ports[0]: port 8080/tcp is already published by stacks/a.yaml (services.web)",
      "stacks/b.yaml: services.web.ports[1]: port 5000/tcp is already published by registry.port",
    ]);
  });

  it("refuses the Traefik ports to a stack when Traefik is enabled, not when it is off", () => {
    const s = stack("stacks/web.yaml", 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n');
    expect(messages(cluster({ traefik: { enabled: true } }), s)).toEqual(["stacks/web.yaml: services.web.ports[0]: port 80/tcp is already published by traefik.httpPort"]);
    expect(messages(cluster(), s)).toEqual([]);
  });
});
