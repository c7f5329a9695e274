/**
 * `npm run status` without a cluster: the remote script run by bash against a fake docker that
 * prints what docker prints, its output parsed, the tables and Traefik routes rendered, the
 * managers asked in turn, and URLs probed against a local HTTP server.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failureReport, firstAnswer, type RunResult } from "../../cli/lib/askManagers";
import { httpStatus } from "../../cli/lib/httpProbe";
import type { NodeConnection } from "../../cli/lib/nodes";
import { entrypointPorts, ruleHosts, rulePath, traefikRoutes } from "../../cli/lib/routes";
import { missingNodes, NODE_HEADER, nodeRows, renderTable, SERVICE_HEADER, serviceRows, swarmLeader } from "../../cli/lib/statusTables";
import { parseSwarmState, STATE_SCRIPT, type SwarmState } from "../../cli/lib/swarmState";
import { tmp } from "./tmp";

const node = (id: string, hostname: string, role: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) => ({
  ID: id,
  Version: { Index: 10 },
  Spec: { Labels: labels, Role: role, Availability: "active" },
  Description: { Hostname: hostname, Platform: { Architecture: "x86_64", OS: "linux" }, Engine: { EngineVersion: "28.0.1" } },
  Status: { State: "ready", Addr: "172.28.0.2" },
  ...extra,
});

const NODES = [
  node("w1", "worker1", "worker", {}, { zone: "a" }),
  node("m1", "manager1", "manager", { ManagerStatus: { Leader: true, Reachability: "reachable", Addr: "172.28.0.2:2377" } }),
  node("m2", "manager2", "manager", { ManagerStatus: { Reachability: "unreachable", Addr: "172.28.0.3:2377" }, Status: { State: "down" } }),
];

const stackLabel = (stack: string) => ({ "com.docker.stack.namespace": stack });
const service = (name: string, labels: Record<string, string>, ports: object[] = [], args?: string[]) => ({
  ID: `id-${name}`,
  Spec: { Name: name, Labels: labels, TaskTemplate: { ContainerSpec: { Image: "img", ...(args ? { Args: args } : {}) } }, Mode: { Replicated: { Replicas: 1 } } },
  Endpoint: { Spec: {}, Ports: ports },
});

const SERVICES = [
  service("whoami_whoami", { ...stackLabel("whoami"), "traefik.enable": "true", "traefik.http.routers.whoami_whoami.rule": "Host(`whoami.lab.local`)", "traefik.http.services.whoami_whoami.loadbalancer.server.port": "80" }),
  service(
    "shop_web",
    {
      ...stackLabel("shop"),
      "traefik.enable": "true",
      "traefik.http.routers.shop_web.rule": "Host(`shop.example`) && PathPrefix(`/api`)",
      "traefik.http.routers.shop_web.entrypoints": "websecure",
      "traefik.http.routers.shop_web.tls": "true",
      "traefik.http.routers.shop_web-http.rule": "Host(`shop.example`) && PathPrefix(`/api`)",
      "traefik.http.routers.shop_web-http.entrypoints": "web",
    },
  ),
  service("off_web", { ...stackLabel("off"), "traefik.http.routers.off.rule": "Host(`off.example`)" }),
  service(
    "swarmlab-traefik_traefik",
    { ...stackLabel("swarmlab-traefik"), "traefik.enable": "true", "traefik.http.routers.swarmlab-dashboard.rule": "PathPrefix(`/api`) || PathPrefix(`/dashboard`)", "traefik.http.routers.swarmlab-dashboard.entrypoints": "traefik" },
    [
      { Protocol: "tcp", TargetPort: 80, PublishedPort: 8000, PublishMode: "ingress" },
      { Protocol: "tcp", TargetPort: 443, PublishedPort: 443, PublishMode: "ingress" },
      { Protocol: "tcp", TargetPort: 8080, PublishedPort: 8080, PublishMode: "ingress" },
    ],
    ["--providers.swarm=true", "--entrypoints.web.address=:80", "--entrypoints.websecure.address=:443", "--entrypoints.traefik.address=:8080"],
  ),
  service("swarmlab-registry_registry", stackLabel("swarmlab-registry"), [{ Protocol: "tcp", TargetPort: 5000, PublishedPort: 5000, PublishMode: "host" }]),
];

const jsonl = (xs: object[]) => xs.map((x) => JSON.stringify(x)).join("\n") + "\n";
const REPLICAS = [
  { ID: "1", Image: "traefik/whoami", Mode: "replicated", Name: "whoami_whoami", Ports: "", Replicas: "3/3" },
  { ID: "2", Image: "registry:2", Mode: "replicated", Name: "swarmlab-registry_registry", Ports: "*:5000->5000/tcp", Replicas: "1/1" },
];
const TASKS = [
  { CurrentState: "Running 2 minutes ago", DesiredState: "Running", Error: "", ID: "t1", Image: "traefik/whoami", Name: "whoami_whoami.1", Node: "worker1", Ports: "" },
  { CurrentState: "Running 2 minutes ago", DesiredState: "Running", Error: "", ID: "t2", Image: "traefik/whoami", Name: "whoami_whoami.2", Node: "manager1", Ports: "" },
  { CurrentState: "Running 2 minutes ago", DesiredState: "Running", Error: "", ID: "t3", Image: "traefik/whoami", Name: "whoami_whoami.3", Node: "worker1", Ports: "" },
  { CurrentState: "Running 1 minute ago", DesiredState: "Running", Error: "", ID: "t4", Image: "registry:2", Name: "swarmlab-registry_registry.1", Node: "manager1", Ports: "" },
];

/** A fake docker on PATH that answers from files in `dir` and logs its arguments. */
function fakeDocker(dir: string, opts: { services: boolean; nodeLsFails?: boolean }): void {
  fs.writeFileSync(path.join(dir, "nodes.json"), JSON.stringify(NODES, null, 4) + "\n");
  fs.writeFileSync(path.join(dir, "services.json"), JSON.stringify(SERVICES, null, 4) + "\n");
  fs.writeFileSync(path.join(dir, "ls.jsonl"), opts.services ? jsonl(REPLICAS) : "");
  fs.writeFileSync(path.join(dir, "ps.jsonl"), jsonl(TASKS));
  const script = [
    "#!/bin/bash",
    `d=${dir}`,
    'echo "$*" >> "$d/log"',
    'case "$1 $2" in',
    opts.nodeLsFails
      ? '  "node ls") echo "Error response from daemon: This node is not a swarm manager." >&2; exit 1 ;;'
      : '  "node ls") printf "w1\\nm1\\nm2\\n" ;;',
    '  "node inspect") cat "$d/nodes.json" ;;',
    `  "service ls") if [ "$3" = -q ]; then ${opts.services ? 'printf "s1\\ns2\\n"' : "true"}; else cat "$d/ls.jsonl"; fi ;;`,
    '  "service inspect") cat "$d/services.json" ;;',
    '  "service ps") cat "$d/ps.jsonl" ;;',
    '  *) echo "fake docker: unexpected $*" >&2; exit 1 ;;',
    "esac",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "docker"), script, { mode: 0o755 });
}

/** STATE_SCRIPT is an ssh command line: run it as the remote login shell would. */
function runState(dir: string): { status: number | null; stdout: string; stderr: string; log: string } {
  const r = spawnSync("bash", ["-c", STATE_SCRIPT], { encoding: "utf8", env: { PATH: `${dir}:${process.env.PATH}`, HOME: "/nonexistent" } });
  const log = fs.existsSync(path.join(dir, "log")) ? fs.readFileSync(path.join(dir, "log"), "utf8") : "";
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, log };
}

let state: SwarmState;
let full: ReturnType<typeof runState>;
beforeAll(() => {
  const dir = tmp("swarmlab-status-");
  fakeDocker(dir, { services: true });
  full = runState(dir);
  state = parseSwarmState(full.stdout);
});

describe("the remote script and its output", () => {
  it("asks docker for nodes, services, replica counts and running tasks, in one script", () => {
    expect(full.stderr).toBe("");
    expect(full.status).toBe(0);
    expect(full.log.split("\n")).toEqual([
      "node ls -q",
      "node inspect w1 m1 m2",
      "service ls -q",
      "service inspect s1 s2",
      "service ls --format {{json .}}",
      "service ps s1 s2 --filter desired-state=running --format {{json .}}",
      "",
    ]);
  });

  it("parses docker's JSON into nodes, services, replica counts and running tasks", () => {
    expect(state.nodes.map((n) => n.Description.Hostname)).toEqual(["worker1", "manager1", "manager2"]);
    expect(state.services.map((s) => s.Spec.Name)).toEqual(SERVICES.map((s) => s.Spec.Name));
    expect(state.replicas).toEqual({ whoami_whoami: "3/3", "swarmlab-registry_registry": "1/1" });
    expect(state.tasks).toHaveLength(4);
  });

  it("a swarm without services: no inspect, no ps, empty lists", () => {
    const dir = tmp("swarmlab-status-empty-");
    fakeDocker(dir, { services: false });
    const res = runState(dir);
    expect(res.status).toBe(0);
    expect(res.log).not.toMatch(/service (inspect|ps)/);
    const empty = parseSwarmState(res.stdout);
    expect([empty.services, empty.tasks, empty.replicas]).toEqual([[], [], {}]);
    expect(empty.nodes).toHaveLength(3);
  });

  it("a node that is not a manager fails the script with docker's message", () => {
    const dir = tmp("swarmlab-status-worker-");
    fakeDocker(dir, { services: true, nodeLsFails: true });
    const res = runState(dir);
    expect(res.status).toBe(1);
    expect(res.stderr.trim()).toBe("Error response from daemon: This node is not a swarm manager.");
    expect(res.log).toBe("node ls -q\n");
  });

  it("output that is not docker's is an error naming the section", () => {
    expect(() => parseSwarmState("@@swarmlab:nodes\n[{}]\n")).toThrow(/^unexpected output of docker in section "nodes"/);
  });
});

describe("the status tables", () => {
  it("nodes by name; MANAGER is the reachability and `leader`, empty for workers; labels as k=v", () => {
    expect(renderTable(NODE_HEADER, nodeRows(state))).toBe(
      [
        "NODE      ROLE     AVAILABILITY  STATE  ENGINE  MANAGER           LABELS",
        "manager1  manager  active        ready  28.0.1  reachable leader",
        "manager2  manager  active        down   28.0.1  unreachable",
        "worker1   worker   active        ready  28.0.1                    zone=a",
      ].join("\n"),
    );
    expect(swarmLeader(state)).toBe("manager1");
  });

  it("services by stack then name, with their ports and the nodes of their running tasks", () => {
    expect(serviceRows(state)).toEqual([
      ["off", "off_web", "?", "-", "-"],
      ["shop", "shop_web", "?", "-", "-"],
      ["swarmlab-registry", "swarmlab-registry_registry", "1/1", "5000->5000/tcp (host)", "manager1"],
      ["swarmlab-traefik", "swarmlab-traefik_traefik", "?", "8000->80/tcp (ingress) 443->443/tcp (ingress) 8080->8080/tcp (ingress)", "-"],
      ["whoami", "whoami_whoami", "3/3", "-", "manager1,worker1"],
    ]);
    expect(renderTable(SERVICE_HEADER, serviceRows(state)).split("\n")[5]).toMatch(/^whoami\s+whoami_whoami\s+3\/3\s+-\s+manager1,worker1$/);
  });

  it("nodes of the configuration the swarm does not list", () => {
    expect(missingNodes(state, ["manager1", "worker1", "worker2"])).toEqual(["worker2"]);
  });
});

describe("Traefik routes", () => {
  it("hosts and path of a rule", () => {
    expect(ruleHosts("Host(`a.example`)")).toEqual(["a.example"]);
    expect(ruleHosts('Host("a.example") || Host(`b.example`)')).toEqual(["a.example", "b.example"]);
    expect(ruleHosts("HostRegexp(`^.+\\.example$`) || HostSNI(`*`)")).toEqual([]);
    expect(rulePath("Host(`a`) && PathPrefix(`/api`)")).toBe("/api");
    expect(rulePath("Host(`a`) && Path(`/exact`)")).toBe("/exact");
    expect(rulePath("Host(`a`)")).toBe("/");
  });

  it("entrypoints are read from Traefik's own arguments and published ports", () => {
    expect(Object.fromEntries(entrypointPorts(state.services))).toEqual({ web: 8000, websecure: 443, traefik: 8080 });
    expect(entrypointPorts([])).toEqual(new Map());
  });

  it("one URL per Host rule of an enabled service, on its entrypoint's published port; TLS routers are https", () => {
    expect(traefikRoutes(state.services)).toEqual([
      { service: "shop_web", router: "shop_web-http", url: "http://shop.example:8000/api" },
      { service: "shop_web", router: "shop_web", url: "https://shop.example/api" },
      { service: "whoami_whoami", router: "whoami_whoami", url: "http://whoami.lab.local:8000/" },
    ]);
  });
});

describe("asking the managers", () => {
  const conn = (name: string, host: string): NodeConnection => ({ name, role: "manager", host, port: 22, user: "root", privateKey: "k" });
  const managers = [conn("manager1", "172.28.0.2"), conn("manager2", "172.28.0.3"), conn("manager3", "172.28.0.4")];
  const noSsh = (host: string): RunResult => ({ status: 255, stdout: "", stderr: `ssh: connect to host ${host} port 22: Connection refused\n` });

  it("the leader first; when it does not answer, the next manager", async () => {
    const asked: string[] = [];
    const answer = await firstAnswer(managers, async (n) => {
      asked.push(n.name);
      return n.name === "manager1" ? noSsh(n.host) : { status: 0, stdout: "state", stderr: "" };
    });
    expect(asked).toEqual(["manager1", "manager2"]);
    expect(answer.from?.name).toBe("manager2");
    expect(answer.failed.map((f) => f.node.name)).toEqual(["manager1"]);
  });

  it("no SSH answer from any manager: the cluster is unreachable (exit 2), each manager named with ssh's reason", async () => {
    const answer = await firstAnswer(managers.slice(0, 2), async (n) => noSsh(n.host));
    expect(answer.from).toBeUndefined();
    expect(failureReport(answer.failed, "lab")).toEqual({
      code: 2,
      message:
        "the cluster is unreachable: no SSH answer from the leader manager1 (root@172.28.0.2:22: ssh: connect to host 172.28.0.2 port 22: Connection refused), " +
        "nor from the other managers: manager2 (root@172.28.0.3:22: ssh: connect to host 172.28.0.3 port 22: Connection refused). " +
        "Is it running? (for a lab: docker ps --filter label=swarmlab.cluster=lab; npm run up recreates what is missing)",
    });
  });

  it("a single manager that does not answer reads as the e2e test expects", async () => {
    const answer = await firstAnswer(managers.slice(0, 1), async (n) => noSsh(n.host));
    expect(failureReport(answer.failed, "lab").message).toMatch(/^the cluster is unreachable: no SSH answer from the leader manager1 \(/);
  });

  it("managers that answer but whose docker fails are named with docker's message (exit 1)", async () => {
    const answer = await firstAnswer(managers.slice(0, 2), async (n) =>
      n.name === "manager1" ? { status: 1, stdout: "", stderr: "Error response from daemon: The swarm does not have a leader.\n" } : noSsh(n.host),
    );
    expect(failureReport(answer.failed, "lab")).toEqual({
      code: 1,
      message: "no manager could report the swarm's state:\n  manager1: docker failed: Error response from daemon: The swarm does not have a leader.\n  manager2: no SSH answer (root@172.28.0.3:22)",
    });
  });
});

describe("probing URLs", () => {
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.statusCode = req.headers.host?.startsWith("whoami.lab.local") && req.url === "/api" ? 200 : 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("a route is checked through Traefik's address with its own Host header", async () => {
    expect(await httpStatus({ url: `http://whoami.lab.local:${port}/api`, connectTo: "127.0.0.1" })).toBe("200");
    expect(await httpStatus({ url: `http://other.example:${port}/api`, connectTo: "127.0.0.1" })).toBe("404");
  });

  it("a closed port is `no answer (refused)`", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await httpStatus({ url: `http://127.0.0.1:${free}/` })).toBe("no answer (refused)");
  });
});
