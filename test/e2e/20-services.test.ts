import { execFileSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import { beforeAll, describe, expect, it } from "vitest";
import { BACKEND_NETWORK, CLUSTER, cliEnv, e2eEnabled, eventually, labImages, labStack, nodeDocker, servicesConfig, setConfig, stateText, up } from "./lab";

/** An HTTP GET from this machine, with headers; returns status, headers and body. */
function curl(url: string, headers: Record<string, string> = {}): { body: string; headers: string } {
  const args = ["-s", "-D", "-", "--max-time", "5", url, ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`])];
  const out = execFileSync("curl", args, { encoding: "utf8" });
  const i = out.indexOf("\r\n\r\n");
  return { headers: out.slice(0, i), body: out.slice(i + 4) };
}

const hostnameOf = (body: string) => body.match(/^Hostname: (.*)$/m)?.[1] ?? "";

describe.runIf(e2eEnabled())("cluster services: registry, Traefik, image delivery", () => {
  let outputs: Record<string, unknown> = {};
  let upText = "";
  let upEvents = "";
  let manager = "";

  beforeAll(async () => {
    const res = await up(servicesConfig());
    outputs = res.outputs;
    upText = res.stdout;
    upEvents = res.events;
    manager = (outputs.nodes as { address: string }[])[0].address;
  }, 900_000);

  it("detects whether the kernels have IPVS, and without it warns and publishes in host mode with DNS round robin", () => {
    const ipvs = fs.existsSync("/proc/net/ip_vs");
    expect(outputs.networkModes).toEqual(ipvs ? { publishMode: "ingress", endpointMode: "vip" } : { publishMode: "host", endpointMode: "dnsrr" });
    if (!ipvs) expect(upText).toContain("no IPVS in the kernel of manager1, worker1, worker2: the routing mesh and virtual IPs would not work");
    const ports = nodeDocker("manager1", ["service", "inspect", "-f", "{{json .Endpoint.Spec}}", "swarmlab-traefik_traefik"]);
    expect(ports).toContain(ipvs ? '"Mode":"vip"' : '"Mode":"dnsrr"');
    expect(ports).toContain(ipvs ? '"PublishMode":"ingress"' : '"PublishMode":"host"');
  });

  it("streams a stack deploy's progress to the Pulumi log while it runs: ephemeral lines, each with its command's label", () => {
    const diagnostics = upEvents
      .split("\n")
      .map((l) => (JSON.parse(l) as { diagnosticEvent?: { message: string; ephemeral?: boolean; severity: string } }).diagnosticEvent)
      .filter((d) => d !== undefined);
    const streamed = diagnostics.filter((d) => d.message.startsWith("stack swarmlab-registry: docker stack deploy: "));
    expect(streamed.map((d) => d.message.trim())).toContain("stack swarmlab-registry: docker stack deploy: deploying stack swarmlab-registry");
    expect(streamed.every((d) => d.ephemeral === true && d.severity === "info")).toBe(true);
  });

  it("side-loads the stacks' images into every node, and those only the add-ons run (pinned to managers) into the manager alone", () => {
    const img = labImages();
    for (const node of ["manager1", "worker1", "worker2"]) {
      const have = nodeDocker(node, ["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]).split("\n");
      expect(have).toContain(img.SWARMLAB_WHOAMI_IMAGE);
      const addOns = [img.SWARMLAB_TRAEFIK_IMAGE, img.SWARMLAB_REGISTRY_IMAGE];
      if (node === "manager1") expect(have).toEqual(expect.arrayContaining(addOns));
      else expect(have.filter((i) => addOns.includes(i))).toEqual([]);
    }
  });

  it("runs the registry on the manager, with its data on a volume", () => {
    expect(outputs.registry).toBe(`${manager}:5000`);
    const ps = nodeDocker("manager1", ["service", "ps", "swarmlab-registry_registry", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}"]);
    expect(ps).toMatch(/^manager1 Running/);
    expect(nodeDocker("manager1", ["volume", "ls", "--format", "{{.Name}}"])).toContain("swarmlab-registry_registry-data");
  });

  it("takes an image pushed from this machine, and a worker pulls it", async () => {
    const env = cliEnv();
    const ref = execFileSync("npm", ["run", "-s", "push", "--", labImages().SWARMLAB_WHOAMI_V2_IMAGE], { encoding: "utf8", env }).trim().split("\n").pop() as string;
    expect(ref).toBe(`${manager}:5000/swarmlab/whoami:v2`);
    nodeDocker("manager1", ["service", "create", "-d", "--name", "e2e-pulled", "--constraint", "node.role==worker", "--endpoint-mode", "dnsrr", ref]);
    await eventually("the pushed image runs on a worker", () => /^worker\d Running/m.test(nodeDocker("manager1", ["service", "ps", "e2e-pulled", "--format", "{{.Node}} {{.CurrentState}}"])));
    nodeDocker("manager1", ["service", "rm", "e2e-pulled"]);
  }, 180_000);

  it("keeps the registry's data across a node restart and a re-run", async () => {
    const catalog = () => execFileSync("curl", ["-s", "--max-time", "3", `http://${manager}:5000/v2/_catalog`], { encoding: "utf8" });
    expect(catalog()).toContain("swarmlab/whoami");
    execFileSync("docker", ["restart", "-t", "5", `${CLUSTER}-manager1`], { stdio: "ignore" });
    await eventually("the registry answers again after the restart", () => catalog().includes("swarmlab/whoami"), 180_000);
    await up(servicesConfig());
    expect(catalog()).toContain("swarmlab/whoami");
  }, 600_000);

  it("routes by Host header through Traefik to several whoami backends on at least two nodes", async () => {
    const nodes = nodeDocker("manager1", ["service", "ps", "whoami_whoami", "--filter", "desired-state=running", "--format", "{{.Node}}"]).trim().split("\n");
    expect(nodes).toHaveLength(3);
    expect(new Set(nodes).size).toBeGreaterThanOrEqual(2);
    const seen = new Set<string>();
    await eventually("Traefik answers for whoami.lab.local", () => hostnameOf(curl(`http://${manager}/`, { Host: "whoami.lab.local" }).body) !== "");
    for (let i = 0; i < 30; i++) seen.add(hostnameOf(curl(`http://${manager}/`, { Host: "whoami.lab.local" }).body));
    expect(seen.size).toBeGreaterThanOrEqual(2);
    expect(curl(`http://${manager}/`, { Host: "nobody.lab.local" }).headers).toMatch(/^HTTP\/1.1 404/);
    // the route the stack output gives, with a curl that works as printed
    const route = (outputs.routes as Record<string, { url: string; curl: string }>)["whoami/whoami"];
    expect(route).toEqual({ url: "http://whoami.lab.local/", curl: `curl -H 'Host: whoami.lab.local' http://${manager}/` });
    expect(hostnameOf(execFileSync("bash", ["-c", `${route.curl} --max-time 5 -s`], { encoding: "utf8" }))).not.toBe("");
  }, 180_000);

  it("keeps a client on one backend with sticky sessions", async () => {
    await eventually("Traefik answers for sticky.lab.local", () => hostnameOf(curl(`http://${manager}/`, { Host: "sticky.lab.local" }).body) !== "");
    const first = curl(`http://${manager}/`, { Host: "sticky.lab.local" });
    const cookie = first.headers.match(/^Set-Cookie: ([^;]+)/im)?.[1];
    expect(cookie).toMatch(/^sticky_whoami=/);
    const backends = new Set<string>();
    for (let i = 0; i < 15; i++) backends.add(hostnameOf(curl(`http://${manager}/`, { Host: "sticky.lab.local", Cookie: cookie as string }).body));
    expect([...backends]).toEqual([hostnameOf(first.body)]);
  }, 120_000);

  it("with htpasswd auth: anonymous pulls are refused, services still pull, the password never shows", async () => {
    const password = `e2e-${randomBytes(12).toString("hex")}`;
    const registry = { ...(servicesConfig().registry as object), auth: { username: "e2e", password, allowPlainHttp: true } };
    const res = await up({ ...servicesConfig(), registry }, ["registry"]);
    const status = (url: string) => execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "3", url], { encoding: "utf8" });
    expect(status(`http://${manager}:5000/v2/`)).toBe("401");
    expect(status(`http://e2e:${password}@${manager}:5000/v2/`)).toBe("200");
    // npm run push logs in for the push (the password comes from the stack's secret output)
    const env = cliEnv();
    const pushed = execFileSync("npm", ["run", "-s", "push", "--", labImages().SWARMLAB_WHOAMI_IMAGE], { encoding: "utf8", env });
    expect(pushed.trim().split("\n").pop()).toBe(`${manager}:5000/swarmlab/whoami:latest`);
    expect(pushed.includes(password)).toBe(false);
    // the manager logged in: --with-registry-auth hands its credentials to the worker that pulls
    const ref = `${manager}:5000/swarmlab/whoami:v2`;
    nodeDocker("manager1", ["image", "rm", "-f", ref]);
    nodeDocker("manager1", ["service", "create", "-d", "--with-registry-auth", "--name", "e2e-auth", "--constraint", "node.role==worker", "--endpoint-mode", "dnsrr", ref]);
    await eventually("a worker pulls with the credentials", () => /Running/.test(nodeDocker("manager1", ["service", "ps", "e2e-auth", "--format", "{{.CurrentState}}"])));
    nodeDocker("manager1", ["service", "rm", "e2e-auth"]);
    expect(res.stdout.includes(password)).toBe(false);
    expect(stateText().includes(password)).toBe(false);
    await up(servicesConfig());
    expect(status(`http://${manager}:5000/v2/`)).toBe("200");
  }, 600_000);

  it("with dashboard auth and a TLS route: the API asks for the password, HTTPS answers, HTTP redirects to it", async () => {
    const password = `e2e-${randomBytes(12).toString("hex")}`;
    const base = servicesConfig();
    const traefik = { ...(base.traefik as object), dashboardAuth: { username: "ops", password } };
    const stacks = [...(base.stacks as object[]), { name: "secure", file: "test/fixtures/stacks/secure.yaml", images: { whoami: labImages().SWARMLAB_WHOAMI_IMAGE } }];
    const res = await up({ ...base, traefik, stacks }, ["traefik"]);
    const code = (args: string[]) => execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", ...args], { encoding: "utf8" });
    await eventually("the dashboard API asks for credentials", () => code([`http://${manager}:8080/api/version`]) === "401");
    expect(code(["-u", `ops:${password}`, `http://${manager}:8080/api/version`])).toBe("200");
    expect(code(["-u", "ops:wrong-password", `http://${manager}:8080/api/version`])).toBe("401");
    await eventually("Traefik serves secure.lab.local over HTTPS", () => hostnameOf(execFileSync("curl", ["-sk", "--max-time", "5", "-H", "Host: secure.lab.local", `https://${manager}/`], { encoding: "utf8" })) !== "");
    const redirect = curl(`http://${manager}/`, { Host: "secure.lab.local" });
    expect(redirect.headers).toMatch(/^HTTP\/1.1 30[18]/);
    expect(redirect.headers).toMatch(/^Location: https:\/\/secure\.lab\.local\//im);
    // the plain routes stay plain
    expect(hostnameOf(curl(`http://${manager}/`, { Host: "whoami.lab.local" }).body)).not.toBe("");
    expect(res.stdout.includes(password)).toBe(false);
    expect(stateText().includes(password)).toBe(false);
    await up(servicesConfig());
    // a restarted Traefik serves its routes once its swarm provider has read the services (it polls)
    await eventually("the dashboard API answers without credentials again", () => code([`http://${manager}:8080/api/version`]) === "200");
  }, 600_000);

  it("creates the configured overlay network with its settings; a change replaces it, refused while a service uses it", async () => {
    interface NetworkInspect { Id: string; Driver: string; Scope: string; Attachable: boolean; Options: Record<string, string> | null; IPAM: { Config: { Subnet: string }[] }; Labels: Record<string, string> }
    const inspect = () => (JSON.parse(nodeDocker("manager1", ["network", "inspect", "backend"])) as NetworkInspect[])[0];
    const before = inspect();
    expect([before.Driver, before.Scope, before.Attachable]).toEqual(["overlay", "swarm", true]);
    expect(Object.keys(before.Options ?? {})).toContain("encrypted");
    expect(before.IPAM.Config.map((c) => c.Subnet)).toEqual(["10.231.0.0/24"]);
    expect(before.Labels).toEqual({ tier: "backend", "swarmlab.cluster": CLUSTER });

    const relabelled = { ...servicesConfig(), networks: [{ ...BACKEND_NETWORK, labels: { tier: "data" } }] };
    nodeDocker("manager1", ["service", "create", "-d", "--name", "e2e-netuser", "--network", "backend", "--replicas", "0", labImages().SWARMLAB_WHOAMI_IMAGE]);
    // refused at plan time, by preview and by up alike, before anything is removed
    const refusal = "overlay network backend: cannot be replaced now on root@";
    const inUse = "network backend is still used by services: e2e-netuser - remove them (or their stacks) first, or keep the network's settings (they cannot change in place)";
    await expect((await setConfig(relabelled)).preview()).rejects.toThrow(inUse);
    const refused = await up(relabelled).then(() => "up succeeded", (e: Error) => e.message);
    expect(refused).toContain(refusal);
    expect(refused).toContain(inUse);
    expect(inspect().Id).toBe(before.Id);
    nodeDocker("manager1", ["service", "rm", "e2e-netuser"]);
    await up(relabelled);
    const after = inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(after.Labels).toEqual({ tier: "data", "swarmlab.cluster": CLUSTER });
    await up(servicesConfig());
    expect(inspect().Labels.tier).toBe("backend");
  }, 900_000);

  it("runs the visualizer on the first manager with the docker socket read-only, answering on its port; disabling it removes it", async () => {
    // dockersamples/visualizer cannot be fetched here: a stand-in built from whoami listens on its port (8080)
    const standIn = "swarmlab/visualizer-standin:e2e";
    execFileSync("docker", ["build", "-q", "-t", standIn, "-"], { input: `FROM ${labImages().SWARMLAB_WHOAMI_IMAGE}\nENV WHOAMI_PORT_NUMBER=8080\n`, encoding: "utf8" });
    const base = servicesConfig();
    const sideLoad = (base.images as { sideLoad: string[] }).sideLoad;
    const res = await up({ ...base, images: { sideLoad: [...sideLoad, standIn] }, visualizer: { enabled: true, image: standIn, port: 8081 } });
    expect((res.outputs.urls as Record<string, string>).visualizer).toBe(`http://${manager}:8081/`);
    const service = "swarmlab-visualizer_visualizer";
    await eventually("the visualizer runs", () => /^manager1 Running/.test(nodeDocker("manager1", ["service", "ps", service, "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}"])));
    const mounts = JSON.parse(nodeDocker("manager1", ["service", "inspect", "-f", "{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}", service])) as Record<string, unknown>[];
    expect(mounts).toEqual([expect.objectContaining({ Type: "bind", Source: "/var/run/docker.sock", Target: "/var/run/docker.sock", ReadOnly: true })]);
    await eventually("the visualizer answers on 8081", () => {
      try {
        return hostnameOf(curl(`http://${manager}:8081/`).body) !== "";
      } catch {
        return false;
      }
    });
    await up(base);
    expect(nodeDocker("manager1", ["service", "ls", "--filter", `name=${service}`, "--format", "{{.Name}}"]).trim()).toBe("");
    execFileSync("docker", ["rmi", standIn], { stdio: "ignore" });
  }, 600_000);

  it("a second pulumi up changes nothing", async () => {
    const res = await up(servicesConfig());
    expect(Object.keys(res.changes).filter((k) => k !== "same" && k !== "read")).toEqual([]);
    const stack = await labStack();
    await expect(stack.preview({ expectNoChanges: true })).resolves.toBeDefined();
  }, 300_000);
});
