/**
 * A swarm as `npm run status` sees it (cli/lib/swarmState.ts): three nodes, five services (two
 * routed by Traefik, Traefik itself, the registry), replica counts and running tasks, served by the
 * status docker of ./fakeDocker.ts on a fake machine. Shared by the tests of the status script's
 * parser, its tables and its Traefik routes.
 */
import * as fs from "fs";
import * as path from "path";
import { parseSwarmState, STATE_SCRIPT, type SwarmState } from "../../cli/lib/swarmState";
import { statusDocker } from "./fakeDocker";
import { fakeMachine, type FakeMachine } from "./fakes";

const node = (id: string, hostname: string, role: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}) => ({
  ID: id,
  Version: { Index: 10 },
  Spec: { Labels: labels, Role: role, Availability: "active" },
  Description: { Hostname: hostname, Platform: { Architecture: "x86_64", OS: "linux" }, Engine: { EngineVersion: "28.0.1" } },
  Status: { State: "ready", Addr: "172.28.0.2" },
  ...extra,
});

export const NODES = [
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

export const SERVICES = [
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
export const REPLICAS = [
  { ID: "1", Image: "traefik/whoami", Mode: "replicated", Name: "whoami_whoami", Ports: "", Replicas: "3/3" },
  { ID: "2", Image: "registry:2", Mode: "replicated", Name: "swarmlab-registry_registry", Ports: "*:5000->5000/tcp", Replicas: "1/1" },
];
export const TASKS = [
  { CurrentState: "Running 2 minutes ago", DesiredState: "Running", Error: "", ID: "t1", Image: "traefik/whoami", Name: "whoami_whoami.1", Node: "worker1", Ports: "" },
  { CurrentState: "Running 2 minutes ago", DesiredState: "Running", Error: "", ID: "t2", Image: "traefik/whoami", Name: "whoami_whoami.2", Node: "manager1", Ports: "" },
  { CurrentState: "Running 2 minutes ago", DesiredState: "Running", Error: "", ID: "t3", Image: "traefik/whoami", Name: "whoami_whoami.3", Node: "worker1", Ports: "" },
  { CurrentState: "Running 1 minute ago", DesiredState: "Running", Error: "", ID: "t4", Image: "registry:2", Name: "swarmlab-registry_registry.1", Node: "manager1", Ports: "" },
];

/** A manager whose docker answers with the swarm above (no services listed unless `services`). */
export function statusMachine(opts: { services: boolean; nodeLsFails?: boolean }): FakeMachine {
  const m = fakeMachine({ docker: statusDocker(opts) }, "swarmlab-status-");
  fs.writeFileSync(path.join(m.dir, "nodes.json"), JSON.stringify(NODES, null, 4) + "\n");
  fs.writeFileSync(path.join(m.dir, "services.json"), JSON.stringify(SERVICES, null, 4) + "\n");
  fs.writeFileSync(path.join(m.dir, "ls.jsonl"), opts.services ? jsonl(REPLICAS) : "");
  fs.writeFileSync(path.join(m.dir, "ps.jsonl"), jsonl(TASKS));
  return m;
}

/** STATE_SCRIPT is an ssh command line: run it as the remote login shell would (not in strict mode). */
export function runState(m: FakeMachine): { code: number | null; stdout: string; stderr: string; log: string } {
  const r = m.run(STATE_SCRIPT, { strict: false, env: { HOME: "/nonexistent" } });
  return { ...r, log: m.read("log") };
}

/** The state the script reports for the swarm above, with its services. */
export function sampleState(): SwarmState {
  return parseSwarmState(runState(statusMachine({ services: true })).stdout);
}
