/**
 * components/addons/index.ts: the ClusterAddons component (registry, Traefik, visualizer, overlay
 * networks, side-loaded images) on a three-node lab, under the mocks of test/support/mocks.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { networkCreateScript, networkDeleteScript, networkUnusedScript } from "../../components/addons/network";
import { containerSideLoadScript } from "../../components/addons/images";
import { trustRegistryScript } from "../../components/addons/registry";
import { localImagesDocker } from "../support/fakeDocker";
import { fakeBin } from "../support/fakes";
import { COMMAND_TYPE, dependsOnOf, findCommand, findResource, namesOf, recorded, resolve, servicesUnderMocks, setupMocks, type Mocked } from "../support/mocks";

describe("ClusterAddons under mocks", () => {
  const IP = { manager1: "172.28.0.129", worker1: "172.28.0.172", worker2: "172.28.0.233" };
  const NODES = ["manager1", "worker1", "worker2"] as const;
  let mocked: Mocked;
  let urls: Record<string, string>;
  let registryAt: string | undefined;
  let forStacks: string[] = [];
  const savedPath = process.env.PATH;

  beforeAll(async () => {
    mocked = await setupMocks();
    // checkLocalImages asks `docker image inspect` at construction: a fake docker knows the image
    const bin = fakeBin({ docker: localImagesDocker({ "shop/app:1": "sha256:app1", "registry:2.8": "sha256:reg28" }) });
    process.env.PATH = `${bin}:${savedPath}`;
    const values: Record<string, unknown> = {
      "swarmlab:name": "svc",
      // pinned so that nothing runs at construction (see graph.test.ts)
      "swarmlab:hosts": { kind: "docker-lab", privileged: true, reachability: "direct" },
      "swarmlab:nodes": [
        { name: "manager1", role: "manager" },
        { name: "worker1", role: "worker" },
        { name: "worker2", role: "worker" },
      ],
      "swarmlab:registry": { enabled: true, image: "registry:2.8" },
      "swarmlab:traefik": { enabled: true },
      "swarmlab:visualizer": { enabled: true },
      "swarmlab:images": { sideLoad: ["shop/app:1", "registry:2.8"] },
      "swarmlab:networks": [{ name: "backend", encrypted: true }],
    };
    const { swarm, services } = await servicesUnderMocks(values, "svc-services");
    forStacks = namesOf(await Promise.all(services.forStacks.map((r) => resolve(r.urn))));
    urls = await resolve(services.urls);
    registryAt = services.registryAddress && (await resolve(services.registryAddress));
    await resolve(swarm.leaderAddress);
    // a stack's deploy command is registered within its component: its services come from the deploy's output
    const { StackDeployment } = await import("../../components/stacks/deployment");
    await Promise.all(services.ready.flatMap((r) => (r instanceof StackDeployment ? [resolve(r.services)] : [])));
  });

  afterAll(() => {
    process.env.PATH = savedPath;
  });

  const deploys = () => recorded(COMMAND_TYPE).filter((r) => r.name.startsWith("svc-services-") && r.name.endsWith("-deploy"));

  it("makes every node trust the registry at the manager's advertise address, one command each", async () => {
    expect(registryAt).toBe(`${IP.manager1}:5000`);
    const trust = recorded(COMMAND_TYPE).filter((r) => r.name.startsWith("svc-services-trust-registry-"));
    expect(trust.map((r) => r.name)).toEqual(NODES.map((n) => `svc-services-trust-registry-${n}`));
    for (const n of NODES) {
      const c = findCommand(`svc-services-trust-registry-${n}`);
      expect(c.inputs.label).toBe(`${n}: trust the registry`);
      expect(c.inputs.create).toBe(trustRegistryScript(`${IP.manager1}:5000`));
      expect(c.inputs.update).toBeUndefined(); // an update runs create again
      expect((c.inputs.connection as { host: string }).host).toBe(IP[n]);
      expect(c.inputs.triggers).toEqual([`container-${n}`]);
    }
  });

  it("deploys the registry, Traefik and the visualizer as stacks named swarmlab-*", async () => {
    expect(deploys().map((r) => [r.name, r.inputs.label]).sort()).toEqual([
      ["svc-services-registry-deploy", "stack swarmlab-registry: docker stack deploy"],
      ["svc-services-traefik-deploy", "stack swarmlab-traefik: docker stack deploy"],
      ["svc-services-visualizer-deploy", "stack swarmlab-visualizer: docker stack deploy"],
    ]);
    // on whichever manager answers with control (here the only one), no fixed connection
    for (const d of deploys()) {
      expect((d.inputs.managers as { host: string }[]).map((m) => m.host)).toEqual([IP.manager1]);
      expect(d.inputs.connection).toBeUndefined();
      expect(d.inputs.triggers).toBeUndefined();
      expect((d.inputs.environment as Record<string, string>).SWARMLAB_CLUSTER_ID).toBe("fake-cluster-id");
    }
    const registry = parse(String(findCommand("svc-services-registry-deploy").inputs.stdin));
    expect(registry.services.registry.deploy.placement.constraints).toEqual(["node.role == manager", "node.hostname == manager1"]);
    // the engine checks found IPVS: the routing mesh and virtual IPs
    expect(registry.services.registry.ports).toEqual([{ mode: "ingress", protocol: "tcp", published: 5000, target: 5000 }]);
    expect(registry.services.registry.deploy.labels).toEqual({ "swarmlab.cluster": "svc" });
    const traefik = parse(String(findCommand("svc-services-traefik-deploy").inputs.stdin));
    expect(traefik.networks).toEqual({ "traefik-public": { external: true } });
  });

  it("creates the traefik-public overlay network (attachable) and the configured ones, on the manager", async () => {
    expect(recorded("swarmlab:addons:OverlayNetwork").map((r) => r.name)).toEqual(["svc-services-net-traefik-public", "svc-services-net-backend"]);
    const net = findCommand("svc-services-net-traefik-public-create");
    expect(net.inputs.create).toBe(networkCreateScript({ name: "traefik-public", attachable: true, encrypted: false, labels: {} }, { "swarmlab.cluster": "svc" }));
    expect(net.inputs.delete).toBe(networkDeleteScript("traefik-public"));
    expect(net.inputs.replaceGuard).toBe(networkUnusedScript("traefik-public", ", or keep the network's settings (they cannot change in place)"));
    expect((net.inputs.managers as { host: string }[]).map((m) => m.host)).toEqual([IP.manager1]);
    // no update and no trigger: every setting is in the create script, so any change replaces it
    expect([net.inputs.update, net.inputs.triggers, net.inputs.connection]).toEqual([undefined, undefined, undefined]);
    expect(findCommand("svc-services-net-backend-create").inputs.create).toContain("--opt encrypted");
    // overlay networks exist only on a swarm: created once it is ready
    expect(namesOf(dependsOnOf(net))).toEqual(["svc-nodes"]);
    expect(namesOf(dependsOnOf(findCommand("svc-services-net-backend-create")))).toEqual(["svc-nodes"]);
  });

  it("side-loads the configured image into every node, keyed on its local ID, through docker exec as soon as the node container exists", async () => {
    for (const n of NODES) {
      const c = findCommand(`svc-services-images-shop-app-1-${n}`);
      expect(c.inputs.label).toBe(`${n}: load image shop/app:1`);
      expect(c.inputs.triggers).toEqual(["sha256:app1", `container-${n}`]);
      expect(c.inputs.create).toBe(containerSideLoadScript("shop/app:1", n, { name: `svc-${n}` }, 300)); // swarm.readyTimeoutSeconds
      // no SSH: no key in its inputs; and not held back by the swarm's formation
      expect([c.inputs.environment, c.inputs.connection]).toEqual([undefined, undefined]);
      expect(namesOf(c.dependencies)).toEqual([`svc-${n}`]); // the node container
    }
    // nor through their component: the engine registers a component's children only once its dependsOn is done
    expect(findResource("svc-services-images", "swarmlab:addons:ImageDelivery").dependencies).toEqual([]);
  });

  it("copies an image only the add-ons run (here the registry's) into the managers alone: no worker runs it", async () => {
    expect(recorded(COMMAND_TYPE).filter((r) => r.name.startsWith("svc-services-images-registry-2-8-")).map((r) => r.name)).toEqual(["svc-services-images-registry-2-8-manager1"]);
  });

  it("deploys each add-on after the copies of its own image only: the registry after them and every trust command", async () => {
    const explicit = (name: string) => namesOf(dependsOnOf(findCommand(name)));
    expect(explicit("svc-services-registry-deploy")).toEqual(["svc-nodes", "svc-services-images-registry-2-8-manager1", ...NODES.map((n) => `svc-services-trust-registry-${n}`)]);
    // Traefik waits for the networks (a component in dependsOn stands for its children); the visualizer for the swarm only (their images are not side-loaded here)
    expect(explicit("svc-services-traefik-deploy")).toEqual(["svc-nodes", "svc-services-net-backend-create", "svc-services-net-traefik-public-create"]);
    expect(explicit("svc-services-visualizer-deploy")).toEqual(["svc-nodes"]);
  });

  it("has stacks wait for the copies of the images they may run, not for those only the add-ons run", async () => {
    expect(forStacks.filter((n) => n.startsWith("svc-services-images-"))).toEqual(NODES.map((n) => `svc-services-images-shop-app-1-${n}`));
    expect(forStacks).toContain("svc-services-net-backend");
  });

  it("exports the URLs at the manager's address", async () => {
    expect(urls).toEqual({
      registry: `http://${IP.manager1}:5000/v2/`,
      traefik: `http://${IP.manager1}:80/`,
      dashboard: `http://${IP.manager1}:8080/dashboard/`,
      visualizer: `http://${IP.manager1}:8081/`,
    });
  });

  it("registers the services component once, registers no docker.Image and makes no invokes", async () => {
    expect(findResource("svc-services", "swarmlab:addons:ClusterAddons").custom).toBe(false);
    expect(recorded("docker:index/image:Image")).toEqual([]);
    expect(mocked.calls).toEqual([]);
  });
});
