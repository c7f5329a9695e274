/**
 * The cluster services (components/services): the registry, Traefik and visualizer stacks as
 * rendered for the swarm, the htpasswd line, the shell scripts (registry trust, image side-loading,
 * overlay networks) run for real by bash against fake `docker`, `ssh`, `pidof`, `pkill`,
 * `systemctl` first on PATH, and the ClusterAddons graph under the mocks of ./mocks.ts.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import bcrypt from "bcryptjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { overlayNetworkSchema, registrySchema, traefikSchema } from "../../components/config/cluster";
import { ConfigError } from "../../components/config/errors";
import { knownHostsLine, type SshTarget } from "../../components/command/ssh";
import { checkLocalImages, sideLoadScript } from "../../components/addons/images";
import { networkCreateScript, networkDeleteScript, networkUnusedScript } from "../../components/addons/network";
import { REGISTRY_STACK, htpasswdLine, registryAddress, registryCompose, trustRegistryScript } from "../../components/addons/registry";
import { TRAEFIK_STACK, dashboardLabels, traefikArgs, traefikCompose, visualizerCompose } from "../../components/addons/traefik";
import { renderCompose } from "../../components/stacks/compose";
import { COMMAND_TYPE, dependsOnOf, findCommand, findResource, namesOf, recorded, resolve, servicesUnderMocks, setupMocks, type Mocked } from "./mocks";
import { tmp } from "./tmp";


/** Writes executable fakes into a fresh bin directory; returns it. */
function fakeBin(fakes: Record<string, string>): string {
  const bin = tmp("swarmlab-fakebin-");
  for (const [name, body] of Object.entries(fakes)) fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  return bin;
}

/** Runs a script as swarmlab's Command does (bash, strict mode), with the fakes first on PATH. */
function runScript(script: string, bin: string, env: Record<string, string> = {}, stdin?: string) {
  const r = spawnSync("bash", ["--noprofile", "--norc", "-c", `set -euo pipefail\n${script}`], {
    encoding: "utf8",
    input: stdin,
    env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` },
    timeout: 20_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const registryCfg = (extra: Record<string, unknown> = {}) => registrySchema.parse({ enabled: true, ...extra });
const traefikCfg = (extra: Record<string, unknown> = {}) => traefikSchema.parse({ enabled: true, ...extra });

/** The typed stack of a system stack (systemStack is imported under the mocks' runtime below). */
async function rendered(name: string, text: string, defaults: { endpointMode: "vip" | "dnsrr"; publishMode: "ingress" | "host" }, values: Record<string, string> = {}) {
  const { systemStack } = await import("../../components/addons");
  const s = systemStack(name, text, values);
  return { prepared: s, yaml: renderCompose(s.stack, { name: s.name, source: s.file, defaults }) };
}

const DNSRR = { endpointMode: "dnsrr", publishMode: "host" } as const;
const VIP = { endpointMode: "vip", publishMode: "ingress" } as const;

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

describe("registryCompose", () => {
  it("one replica on the pinned manager, the published port, the data volume; no auth", async () => {
    expect(parse(registryCompose(registryCfg({ port: 5001 }), "manager1", false))).toEqual({
      services: {
        registry: {
          image: "registry:2",
          environment: { REGISTRY_STORAGE_DELETE_ENABLED: "true" },
          ports: [{ target: 5000, published: 5001, protocol: "tcp" }],
          volumes: ["registry-data:/var/lib/registry"],
          deploy: {
            replicas: 1,
            placement: { constraints: ["node.role == manager", "node.hostname == manager1"] },
            restart_policy: { condition: "any", delay: "2s" },
          },
        },
      },
      volumes: { "registry-data": {} },
    });
  });

  it("with auth: the htpasswd secret (from a value) and the REGISTRY_AUTH_* environment", async () => {
    const doc = parse(registryCompose(registryCfg(), "m2", true));
    expect(doc.services.registry.environment).toEqual({
      REGISTRY_STORAGE_DELETE_ENABLED: "true",
      REGISTRY_AUTH: "htpasswd",
      REGISTRY_AUTH_HTPASSWD_REALM: "swarmlab",
      REGISTRY_AUTH_HTPASSWD_PATH: "/run/secrets/htpasswd",
    });
    expect(doc.services.registry.secrets).toEqual(["htpasswd"]);
    expect(doc.secrets).toEqual({ htpasswd: { environment: "REGISTRY_HTPASSWD" } });
    expect(doc.services.registry.deploy.placement.constraints).toEqual(["node.role == manager", "node.hostname == m2"]);
  });

  it("renders for the swarm with host publishing and dnsrr, or the routing mesh and vip", async () => {
    const text = registryCompose(registryCfg(), "manager1", false);
    const host = parse((await rendered(REGISTRY_STACK, text, DNSRR)).yaml);
    expect(host.services.registry.ports).toEqual([{ mode: "host", protocol: "tcp", published: 5000, target: 5000 }]);
    expect(host.services.registry.deploy.endpoint_mode).toBe("dnsrr");
    expect(host.services.registry.volumes).toEqual([{ source: "registry-data", target: "/var/lib/registry", type: "volume" }]);
    const mesh = parse((await rendered(REGISTRY_STACK, text, VIP)).yaml);
    expect(mesh.services.registry.ports).toEqual([{ mode: "ingress", protocol: "tcp", published: 5000, target: 5000 }]);
    expect(mesh.services.registry.deploy.endpoint_mode).toBe("vip");
  });

  it("with auth, the htpasswd line becomes a content-named secret uploaded from a secret environment variable", async () => {
    const line = "admin:$2b$10$abcdefghijklmnopqrstuu0123456789012345678901234567890\n";
    const { prepared, yaml } = await rendered(REGISTRY_STACK, registryCompose(registryCfg(), "manager1", true), DNSRR, { REGISTRY_HTPASSWD: line });
    expect(prepared.uploads).toHaveLength(1);
    const [upload] = prepared.uploads;
    expect(upload).toMatchObject({ kind: "secret", key: "htpasswd", env: "SWARMLAB_STACK_SECRET_0", secret: true, redact: line });
    expect(Buffer.from(upload.base64, "base64").toString()).toBe(line);
    expect(upload.name).toMatch(/^swarmlab-registry_htpasswd_[0-9a-f]{8}$/);
    const doc = parse(yaml);
    expect(doc.secrets).toEqual({ htpasswd: { file: `./${upload.name}`, name: upload.name } });
    expect(doc.services.registry.secrets).toEqual([{ source: "htpasswd" }]);
    expect(yaml).not.toContain("$2b$");
  });

  it("registryAddress is the pinned manager's advertise address and the port", () => {
    expect(registryAddress("172.28.0.129", 5000)).toBe("172.28.0.129:5000");
  });
});

describe("htpasswdLine", () => {
  const hash = (pw: string, salt: string) => bcrypt.hashSync(pw, salt);

  it("is a bcrypt line that verifies, and the same on every call", () => {
    const line = htpasswdLine("admin", "correct horse", hash);
    expect(line).toMatch(/^admin:\$2b\$10\$[./A-Za-z0-9]{53}\n$/);
    const stored = line.slice("admin:".length).trim();
    expect(bcrypt.compareSync("correct horse", stored)).toBe(true);
    expect(bcrypt.compareSync("wrong horse", stored)).toBe(false);
    expect(htpasswdLine("admin", "correct horse", hash)).toBe(line);
  });

  it("changes with the user or the password", () => {
    const line = htpasswdLine("admin", "correct horse", hash);
    expect(htpasswdLine("admin", "correct horsf", hash)).not.toBe(line);
    expect(htpasswdLine("admim", "correct horse", hash).slice(6)).not.toBe(line.slice(6));
  });
});

// ---------------------------------------------------------------------------------------------
// Traefik and the visualizer
// ---------------------------------------------------------------------------------------------

describe("traefikArgs and dashboardLabels", () => {
  const base = [
    "--providers.swarm=true",
    "--providers.swarm.endpoint=unix:///var/run/docker.sock",
    "--providers.swarm.exposedByDefault=false",
    "--providers.swarm.network=traefik-public",
    "--entrypoints.web.address=:80",
    "--entrypoints.websecure.address=:443",
    "--accesslog=true",
    "--log.level=INFO",
    "--ping=true",
  ];

  it("the swarm provider on the cluster network, web and websecure, the API on Traefik's own entrypoint :8080", () => {
    expect(traefikArgs(traefikCfg())).toEqual([...base, "--api.dashboard=true", "--entrypoints.traefik.address=:8080"]);
  });

  it("without the dashboard, no API and no :8080 entrypoint; another network is named", () => {
    expect(traefikArgs(traefikCfg({ dashboard: false, network: "edge" }))).toEqual(base.map((a) => a.replace("traefik-public", "edge")));
  });

  it("ACME: the resolver's email, storage and HTTP challenge; the staging CA only when asked", () => {
    const acme = [
      "--certificatesresolvers.le.acme.email=ops@example.org",
      "--certificatesresolvers.le.acme.storage=/acme/acme.json",
      "--certificatesresolvers.le.acme.httpchallenge.entrypoint=web",
    ];
    expect(traefikArgs(traefikCfg({ dashboard: false, acme: { email: "ops@example.org", resolver: "le" } }))).toEqual([...base, ...acme]);
    expect(traefikArgs(traefikCfg({ dashboard: false, acme: { email: "ops@example.org", resolver: "le", staging: true } }))).toEqual([
      ...base,
      ...acme,
      "--certificatesresolvers.le.acme.caserver=https://acme-staging-v02.api.letsencrypt.org/directory",
    ]);
  });

  it("serves the dashboard and API (api@internal) on the traefik entrypoint, with the mandatory port label", () => {
    expect(dashboardLabels()).toEqual({
      "traefik.enable": "true",
      "traefik.http.routers.swarmlab-dashboard.rule": "PathPrefix(`/api`) || PathPrefix(`/dashboard`)",
      "traefik.http.routers.swarmlab-dashboard.entrypoints": "traefik",
      "traefik.http.routers.swarmlab-dashboard.service": "api@internal",
      "traefik.http.services.swarmlab-dashboard.loadbalancer.server.port": "8080",
    });
  });
});

describe("traefikCompose", () => {
  it("on a manager, the socket read-only, on the external network, the three ports, dashboard labels under deploy", () => {
    const doc = JSON.parse(traefikCompose(traefikCfg({ httpPort: 8000, httpsPort: 8443, dashboardPort: 9090 }), "manager1"));
    expect(doc).toEqual({
      services: {
        traefik: {
          image: "traefik:v3.5",
          command: traefikArgs(traefikCfg()),
          ports: [
            { target: 80, published: 8000, protocol: "tcp" },
            { target: 443, published: 8443, protocol: "tcp" },
            { target: 8080, published: 9090, protocol: "tcp" },
          ],
          volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"],
          networks: ["traefik-public"],
          deploy: {
            replicas: 1,
            placement: { constraints: ["node.role == manager"] },
            labels: dashboardLabels(),
            restart_policy: { condition: "any", delay: "2s" },
            update_config: { order: "stop-first" },
          },
        },
      },
      networks: { "traefik-public": { external: true } },
    });
  });

  it("without the dashboard: no :8080 port and no labels", () => {
    const doc = JSON.parse(traefikCompose(traefikCfg({ dashboard: false }), "manager1"));
    expect(doc.services.traefik.ports.map((p: { target: number }) => p.target)).toEqual([80, 443]);
    expect(doc.services.traefik.deploy.labels).toEqual({});
  });

  it("with ACME: one replica pinned to the manager holding the certificate volume", () => {
    const doc = JSON.parse(traefikCompose(traefikCfg({ acme: { email: "ops@example.org" } }), "manager2"));
    expect(doc.services.traefik.deploy.replicas).toBe(1);
    expect(doc.services.traefik.deploy.placement.constraints).toEqual(["node.role == manager", "node.hostname == manager2"]);
    expect(doc.services.traefik.volumes).toEqual(["/var/run/docker.sock:/var/run/docker.sock:ro", "traefik-acme:/acme"]);
    expect(doc.volumes).toEqual({ "traefik-acme": {} });
    expect(doc.services.traefik.command).toContain("--certificatesresolvers.letsencrypt.acme.storage=/acme/acme.json");
  });

  it("renders for the swarm: host publishing and dnsrr, or the routing mesh and vip; socket bind read-only", async () => {
    const text = traefikCompose(traefikCfg({ acme: { email: "ops@example.org", staging: true } }), "manager1");
    const host = parse((await rendered(TRAEFIK_STACK, text, DNSRR)).yaml);
    const t = host.services.traefik;
    expect(t.ports).toEqual([
      { mode: "host", protocol: "tcp", published: 80, target: 80 },
      { mode: "host", protocol: "tcp", published: 443, target: 443 },
      { mode: "host", protocol: "tcp", published: 8080, target: 8080 },
    ]);
    expect(t.deploy.endpoint_mode).toBe("dnsrr");
    expect(t.volumes).toEqual([
      { read_only: true, source: "/var/run/docker.sock", target: "/var/run/docker.sock", type: "bind" },
      { source: "traefik-acme", target: "/acme", type: "volume" },
    ]);
    expect(t.networks).toEqual({ "traefik-public": null });
    expect(host.networks).toEqual({ "traefik-public": { external: true } });
    expect(t.command).toContain("--certificatesresolvers.letsencrypt.acme.caserver=https://acme-staging-v02.api.letsencrypt.org/directory");
    expect(t.deploy.labels).toEqual(dashboardLabels());
    const mesh = parse((await rendered(TRAEFIK_STACK, text, VIP)).yaml);
    expect(mesh.services.traefik.ports.map((p: { mode: string }) => p.mode)).toEqual(["ingress", "ingress", "ingress"]);
    expect(mesh.services.traefik.deploy.endpoint_mode).toBe("vip");
  });
});

describe("traefik dashboardAuth", () => {
  it("puts basic auth in front of the dashboard router, the users file a swarm secret from the environment", async () => {
    const cfg = traefikCfg({ dashboardAuth: { username: "ops", password: "correct horse" } });
    expect(dashboardLabels(true)).toEqual({
      ...dashboardLabels(),
      "traefik.http.routers.swarmlab-dashboard.middlewares": "swarmlab-dashboard-auth",
      "traefik.http.middlewares.swarmlab-dashboard-auth.basicauth.usersfile": "/run/secrets/dashboard-users",
    });
    const line = htpasswdLine("ops", "correct horse", (pw, salt) => bcrypt.hashSync(pw, salt));
    const { prepared, yaml } = await rendered(TRAEFIK_STACK, traefikCompose(cfg, "manager1"), DNSRR, { TRAEFIK_DASHBOARD_USERS: line });
    const doc = parse(yaml);
    const [upload] = prepared.uploads;
    expect(upload).toMatchObject({ kind: "secret", key: "dashboard-users", secret: true, name: expect.stringMatching(/^swarmlab-traefik_dashboard-users_[0-9a-f]{8}$/) });
    expect(Buffer.from(upload.base64, "base64").toString()).toBe(line);
    expect(doc.secrets).toEqual({ "dashboard-users": { file: `./${upload.name}`, name: upload.name } });
    expect(doc.services.traefik.secrets).toEqual([{ source: "dashboard-users", target: "dashboard-users", mode: 0o400 }]);
    expect(yaml).not.toContain("$2b$");
    expect(doc.services.traefik.deploy.labels).toEqual(dashboardLabels(true));
    expect(yaml).not.toContain("correct horse");
  });

  it("is refused without the dashboard, and ignored by nothing else", () => {
    expect(traefikCompose(traefikCfg({ dashboard: false }), "manager1")).not.toContain("dashboard-users");
    expect(JSON.parse(traefikCompose(traefikCfg(), "manager1")).secrets).toBeUndefined();
  });
});

describe("visualizerCompose", () => {
  it("on a manager, the socket read-only, its port", async () => {
    const text = visualizerCompose({ image: "dockersamples/visualizer", port: 8081 });
    expect(JSON.parse(text)).toEqual({
      services: {
        visualizer: {
          image: "dockersamples/visualizer",
          ports: [{ target: 8080, published: 8081, protocol: "tcp" }],
          volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"],
          deploy: { replicas: 1, placement: { constraints: ["node.role == manager"] } },
        },
      },
    });
    const host = parse((await rendered("swarmlab-visualizer", text, DNSRR)).yaml);
    expect(host.services.visualizer.ports).toEqual([{ mode: "host", protocol: "tcp", published: 8081, target: 8080 }]);
    expect(host.services.visualizer.deploy.endpoint_mode).toBe("dnsrr");
    const mesh = parse((await rendered("swarmlab-visualizer", text, VIP)).yaml);
    expect(mesh.services.visualizer.ports).toEqual([{ mode: "ingress", protocol: "tcp", published: 8081, target: 8080 }]);
    expect(mesh.services.visualizer.deploy.endpoint_mode).toBe("vip");
  });
});

// ---------------------------------------------------------------------------------------------
// trustRegistryScript, run against fakes
// ---------------------------------------------------------------------------------------------

describe("trustRegistryScript", () => {
  const ADDR = "10.0.0.1:5000";
  const REAL_SLEEP = spawnSync("bash", ["-c", "command -v sleep"], { encoding: "utf8" }).stdout.trim();
  let dockerd: ChildProcess | undefined;

  afterEach(() => {
    if (dockerd && dockerd.exitCode === null) dockerd.kill("SIGKILL");
    dockerd = undefined;
  });

  /**
   * A node: daemon.json under a temp dir, a stand-in dockerd (a node process whose pid the fake
   * pidof prints: `kill -HUP` is bash's builtin) that on SIGHUP loads the file when `mode` is
   * "hup", and fakes whose restarts load it when `mode` is "restart". `docker info` shows the
   * registry as insecure once loaded (the file `trusted`).
   */
  async function node(mode: "hup" | "restart" | "never", opts: { systemd?: boolean; content?: string; trusted?: boolean } = {}) {
    const dir = tmp("swarmlab-trust-");
    const state = path.join(dir, "state");
    fs.mkdirSync(state);
    const daemonJson = path.join(dir, "etc/docker/daemon.json");
    if (opts.content !== undefined) {
      fs.mkdirSync(path.dirname(daemonJson), { recursive: true });
      fs.writeFileSync(daemonJson, opts.content);
    }
    if (opts.trusted) fs.writeFileSync(path.join(state, "trusted"), "");
    const load = `touch "${state}/restarted"; grep -q '"${ADDR}"' "${daemonJson}" && [ "${mode}" = restart ] && touch "${state}/trusted"; true`;
    const bin = fakeBin({
      docker: `echo "docker $*" >> "${state}/log"
if [ "$1" = info ]; then
  if [ "$#" -eq 1 ]; then exit 0; fi
  # a swarm worker: after a restart, "pending" twice before it is back
  case "$*" in *LocalNodeState*) n=$(cat "${state}/swarm" 2>/dev/null || echo 0); echo $((n + 1)) > "${state}/swarm"
    if [ -e "${state}/restarted" ] && [ "$n" -lt 3 ]; then echo pending; else echo active; fi; exit 0;; *ControlAvailable*) echo false; exit 0;; esac
  if [ -e "${state}/trusted" ]; then printf '{"${ADDR}":{"Name":"${ADDR}","Mirrors":[],"Secure":false,"Official":false},"docker.io":{"Name":"docker.io","Mirrors":[],"Secure":true,"Official":true}}\\n'
  else printf '{"docker.io":{"Name":"docker.io","Mirrors":[],"Secure":true,"Official":true}}\\n'; fi
  exit 0
fi
exit 1`,
      pidof: `echo "pidof $*" >> "${state}/log"; cat "${state}/pid"`,
      systemctl: `echo "systemctl $*" >> "${state}/log"
case "$1" in
  is-active) [ "${opts.systemd ?? true}" = true ];;
  restart) ${load};;
esac`,
      pkill: `echo "pkill $*" >> "${state}/log"; ${load}`,
      sleep: `exec ${REAL_SLEEP} 0.02`,
      hostname: "echo node7",
    });
    dockerd = spawn(process.execPath, [
      "-e",
      `const fs = require("fs");
process.on("SIGHUP", () => {
  fs.appendFileSync(${JSON.stringify(path.join(state, "hup"))}, "HUP\\n");
  let text = ""; try { text = fs.readFileSync(${JSON.stringify(daemonJson)}, "utf8"); } catch {}
  if (${JSON.stringify(mode)} === "hup" && text.includes(${JSON.stringify(`"${ADDR}"`)})) fs.writeFileSync(${JSON.stringify(path.join(state, "trusted"))}, "");
});
setInterval(() => {}, 1000);
console.log("ready");`,
    ]);
    await new Promise<void>((res) => dockerd!.stdout!.once("data", () => res()));
    fs.writeFileSync(path.join(state, "pid"), `${dockerd.pid}\n`);
    const run = () => runScript(trustRegistryScript(ADDR, daemonJson), bin);
    const read = () => fs.readFileSync(daemonJson, "utf8");
    const hups = () => (fs.existsSync(path.join(state, "hup")) ? fs.readFileSync(path.join(state, "hup"), "utf8").split("\n").filter(Boolean).length : 0);
    const log = () => fs.readFileSync(path.join(state, "log"), "utf8").trim().split("\n");
    const untrust = () => fs.rmSync(path.join(state, "trusted"), { force: true });
    return { daemonJson, backup: `${daemonJson}.swarmlab-backup`, run, read, hups, log, untrust };
  }

  it("is /etc/docker/daemon.json unless told otherwise", () => {
    expect(trustRegistryScript(ADDR)).toContain("f='/etc/docker/daemon.json'; mkdir -p '/etc/docker'");
  });

  it("creates an absent daemon.json (and its directory) with the address, and reloads dockerd", async () => {
    const n = await node("hup");
    const r = n.run();
    expect(r).toEqual({ code: 0, stdout: "reloaded\n", stderr: "" });
    expect(JSON.parse(n.read())).toEqual({ "insecure-registries": [ADDR] });
    expect(fs.existsSync(n.backup)).toBe(false);
    expect(n.hups()).toBe(1);
  });

  it("replaces an empty object, keeping it as the backup", async () => {
    const n = await node("hup", { content: "{ }\n" });
    expect(n.run()).toEqual({ code: 0, stdout: "reloaded\n", stderr: "" });
    expect(JSON.parse(n.read())).toEqual({ "insecure-registries": [ADDR] });
    expect(fs.readFileSync(n.backup, "utf8")).toBe("{ }\n");
  });

  it("inserts the key into a file with other keys, keeps them, and writes the backup once", async () => {
    const original = '{\n  "log-driver": "json-file",\n  "log-opts": {"max-size": "10m"},\n  "features": {"buildkit": true}\n}\n';
    const n = await node("hup", { content: original });
    expect(n.run()).toEqual({ code: 0, stdout: "reloaded\n", stderr: "" });
    expect(JSON.parse(n.read())).toEqual({ "insecure-registries": [ADDR], "log-driver": "json-file", "log-opts": { "max-size": "10m" }, features: { buildkit: true } });
    expect(fs.readFileSync(n.backup, "utf8")).toBe(original);
    // a second run on a node that forgot the setting (not trusted): the file already has it, the backup stays the original
    n.untrust();
    const edited = n.read();
    expect(n.run()).toEqual({ code: 0, stdout: "reloaded\n", stderr: "" });
    expect(n.read()).toBe(edited);
    expect(fs.readFileSync(n.backup, "utf8")).toBe(original);
    expect(n.hups()).toBe(2);
  });

  it("adds the address to an empty insecure-registries list, once", async () => {
    const n = await node("hup", { content: '{"debug": true, "insecure-registries": [ ]}\n' });
    expect(n.run().stdout).toBe("reloaded\n");
    expect(JSON.parse(n.read())).toEqual({ debug: true, "insecure-registries": [ADDR] });
    n.untrust();
    expect(n.run().stdout).toBe("reloaded\n");
    expect(JSON.parse(n.read())).toEqual({ debug: true, "insecure-registries": [ADDR] });
  });

  it("adds the address to a non-empty list, keeping the others, once", async () => {
    const n = await node("hup", { content: '{\n  "insecure-registries": [\n    "registry.old:5000",\n    "10.9.9.9:5000"\n  ]\n}\n' });
    expect(n.run().stdout).toBe("reloaded\n");
    expect(JSON.parse(n.read())).toEqual({ "insecure-registries": [ADDR, "registry.old:5000", "10.9.9.9:5000"] });
    n.untrust();
    expect(n.run().stdout).toBe("reloaded\n");
    expect(JSON.parse(n.read())["insecure-registries"]).toEqual([ADDR, "registry.old:5000", "10.9.9.9:5000"]);
  });

  it("prints unchanged and touches nothing when the engine already trusts the registry", async () => {
    const content = '{"log-level": "warn"}\n';
    const n = await node("hup", { content, trusted: true });
    expect(n.run()).toEqual({ code: 0, stdout: "unchanged\n", stderr: "" });
    expect(n.read()).toBe(content);
    expect(fs.existsSync(n.backup)).toBe(false);
    expect(n.hups()).toBe(0);
    expect(n.log()).toEqual(["docker info --format {{json .RegistryConfig.IndexConfigs}}"]);
  });

  it("restarts docker through systemd when the reload does not take", async () => {
    const n = await node("restart", { content: "{}" });
    expect(n.run()).toEqual({ code: 0, stdout: "restarted\n", stderr: "" });
    expect(JSON.parse(n.read())).toEqual({ "insecure-registries": [ADDR] });
    expect(n.hups()).toBe(1);
    expect(n.log().filter((l) => !l.startsWith("docker"))).toEqual(["pidof dockerd", "systemctl is-active -q docker", "systemctl restart docker"]);
    // it waited for the node to be back in the swarm: asked until "active" (once before, twice pending, then active)
    expect(n.log().filter((l) => l.includes("LocalNodeState"))).toHaveLength(4);
  });

  it("kills dockerd for its supervisor to restart when systemd does not run docker", async () => {
    const n = await node("restart", { systemd: false });
    expect(n.run()).toEqual({ code: 0, stdout: "restarted\n", stderr: "" });
    expect(JSON.parse(n.read())).toEqual({ "insecure-registries": [ADDR] });
    expect(n.log().filter((l) => !l.startsWith("docker"))).toEqual(["pidof dockerd", "systemctl is-active -q docker", "pkill -x dockerd"]);
  });

  it("fails naming the node, the file and the backup when even a restart does not take", async () => {
    const n = await node("never", { content: '{"a": 1}' });
    const r = n.run();
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`dockerd on node7 does not trust ${ADDR} after editing ${n.daemonJson}: check that file (a backup is ${n.daemonJson}.swarmlab-backup)\n`);
    expect(JSON.parse(n.read())).toEqual({ "insecure-registries": [ADDR], a: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Images: checkLocalImages and sideLoadScript
// ---------------------------------------------------------------------------------------------

describe("checkLocalImages", () => {
  it("returns the local IDs, or fails naming every missing image and what to do", () => {
    const ids: Record<string, string> = { "app:1": "sha256:aaa", "db:2": "sha256:bbb" };
    expect(checkLocalImages(["app:1", "db:2"], "Pulumi.dev.yaml", (i) => ids[i])).toEqual(ids);
    let error: unknown;
    try {
      checkLocalImages(["app:1", "missing:1", "gone:2"], "Pulumi.dev.yaml", (i) => ids[i]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      [
        'Pulumi.dev.yaml: swarmlab:images.sideLoad[1]: image "missing:1" is not on this machine: build or pull it first (docker image ls)',
        'Pulumi.dev.yaml: swarmlab:images.sideLoad[2]: image "gone:2" is not on this machine: build or pull it first (docker image ls)',
      ].join("\n"),
    );
  });

  it("asks the local docker by default", () => {
    const bin = fakeBin({ docker: `[ "$*" = "image inspect -f {{.Id}} app:1" ] && { echo sha256:aaa; exit 0; }; echo "Error: No such image: \${@: -1}" >&2; exit 1` });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      expect(checkLocalImages(["app:1"], "Pulumi.dev.yaml")).toEqual({ "app:1": "sha256:aaa" });
      expect(() => checkLocalImages(["nope:1"], "Pulumi.dev.yaml")).toThrowError('Pulumi.dev.yaml: swarmlab:images.sideLoad[0]: image "nope:1" is not on this machine: build or pull it first (docker image ls)');
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe("sideLoadScript", () => {
  const TARGET = { host: "10.0.0.3", port: 2222, user: "root", privateKey: "-----KEY-----" };

  /**
   * Fake `docker` with a local and a remote image store (files); fake `ssh` runs the remote command
   * with REMOTE=1 after recording its argv and the key it was given. A remote `docker load` stores
   * the ID named by $LOADS (the local one when unset).
   */
  function machine(local: string | undefined, remote: string | undefined, loads?: string, target: SshTarget = TARGET) {
    const dir = tmp("swarmlab-sideload-");
    const [l, r] = [path.join(dir, "local"), path.join(dir, "remote")];
    if (local) fs.writeFileSync(l, local);
    if (remote) fs.writeFileSync(r, remote);
    const bin = fakeBin({
      docker: `store=${l}; [ -n "\${REMOTE:-}" ] && store=${r}
echo "\${REMOTE:+remote }docker $*" >> ${dir}/log
case "$1 $2" in
  "image inspect") [ -f "$store" ] && { cat "$store"; echo; exit 0; }; echo "Error: No such image" >&2; exit 1;;
  "save "*) printf 'TAR:%s' "$(cat ${l})";;
  "load -q") data=$(cat); [ "\${data#TAR:}" != "$data" ] || exit 1; printf '%s' "\${LOADS-\${data#TAR:}}" > "$store"; echo "Loaded image ID: x";;
  *) exit 1;;
esac`,
      ssh: `echo "ssh $*" >> ${dir}/ssh-args; cat "$2" > ${dir}/ssh-key
for a in "$@"; do case "$a" in UserKnownHostsFile=/dev/null) ;; UserKnownHostsFile=*) cat "\${a#UserKnownHostsFile=}" > ${dir}/known;; esac; done
REMOTE=1 bash -c "\${@: -1}"`,
    });
    const env = { SWARMLAB_SSH_KEY: target.privateKey, ...(target.hostKey ? { SWARMLAB_KNOWN_HOSTS: knownHostsLine(target) } : {}), ...(loads !== undefined ? { LOADS: loads } : {}) };
    const run = () => runScript(sideLoadScript("app:1", "worker1", target), bin, env);
    const log = () => fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n");
    return { dir, run, log, key: () => fs.readFileSync(path.join(dir, "ssh-key"), "utf8"), sshArgs: () => fs.readFileSync(path.join(dir, "ssh-args"), "utf8") };
  }

  it("verifies a configured host key, as the command resource does (and accepts any key without one)", () => {
    const m = machine("sha256:aaa", "sha256:aaa", undefined, { ...TARGET, hostKey: "ssh-ed25519 AAAAhostkey" });
    expect(m.run().code).toBe(0);
    expect(m.sshArgs()).toContain("StrictHostKeyChecking=yes");
    expect(fs.readFileSync(path.join(m.dir, "known"), "utf8")).toBe("[10.0.0.3]:2222 ssh-ed25519 AAAAhostkey\n");
    const open = machine("sha256:aaa", "sha256:aaa");
    expect(open.run().code).toBe(0);
    expect(open.sshArgs()).toContain("StrictHostKeyChecking=no");
  });

  it("skips the load when the node has the same image ID", () => {
    const m = machine("sha256:aaa", "sha256:aaa");
    expect(m.run()).toEqual({ code: 0, stdout: "sha256:aaa\n", stderr: "" });
    expect(m.log()).toEqual(["docker image inspect -f {{.Id}} app:1", "remote docker image inspect -f {{.Id}} app:1", "remote docker image inspect -f {{.Id}} app:1"]);
    expect(m.key()).toBe("-----KEY-----\n");
    expect(m.sshArgs()).toContain("-p 2222");
    expect(m.sshArgs()).toContain("root@10.0.0.3");
  });

  it("loads an image the node lacks (or has in another version) and checks the ID afterwards", () => {
    for (const remote of [undefined, "sha256:old"]) {
      const m = machine("sha256:aaa", remote);
      expect(m.run()).toEqual({ code: 0, stdout: "sha256:aaa\n", stderr: "" });
      expect(m.log()).toEqual([
        "docker image inspect -f {{.Id}} app:1",
        "remote docker image inspect -f {{.Id}} app:1",
        "docker save app:1",
        "remote docker load -q",
        "remote docker image inspect -f {{.Id}} app:1",
      ]);
    }
  });

  it("fails with the documented message when the IDs still differ after loading", () => {
    const m = machine("sha256:aaa", undefined, "sha256:zzz");
    expect(m.run()).toEqual({ code: 1, stdout: "", stderr: "app:1 on worker1 has ID sha256:zzz after loading, expected sha256:aaa\n" });
  });

  it("says none when the node still has no such image", () => {
    const m = machine("sha256:aaa", undefined, "");
    expect(m.run()).toEqual({ code: 1, stdout: "", stderr: "app:1 on worker1 has ID none after loading, expected sha256:aaa\n" });
  });
});

// ---------------------------------------------------------------------------------------------
// Overlay networks
// ---------------------------------------------------------------------------------------------

describe("networkCreateScript and networkDeleteScript", () => {
  const net = (extra: Record<string, unknown> = {}) => overlayNetworkSchema.parse({ name: "backend", ...extra });

  /** A fake docker: `network inspect` answers from $dir/exists ("<driver> <scope>"), services from files. */
  function engine(exists?: string, services: { users?: string } = {}) {
    const dir = tmp("swarmlab-net-");
    if (exists) fs.writeFileSync(path.join(dir, "exists"), exists);
    const bin = fakeBin({
      docker: `echo "docker $*" >> ${dir}/log
case "$1 $2" in
  "network inspect")
    [ -f ${dir}/exists ] || exit 1
    case "$*" in *"{{.Driver}} {{.Scope}}"*) cat ${dir}/exists; echo;; *"{{.Id}}"*) echo net-id-1;; esac;;
  "network create") echo "overlay swarm" > ${dir}/exists;;
  "network rm") ;;
  "service ls") printf 'svc1\\nsvc2\\nsvc3\\n';;
  "service inspect") printf '%s\\n' ${services.users ?? "'web_app other-net '"};;
  *) exit 1;;
esac`,
    });
    const log = () => fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n");
    return { bin, log };
  }

  it("creates an attachable, encrypted overlay with its subnet and labels (the cluster's last)", () => {
    const script = networkCreateScript(net({ encrypted: true, subnet: "10.20.0.0/24", labels: { tier: "back" } }), { "swarmlab.cluster": "lab" });
    expect(script.split("\n").map((l) => l.trim())).toContain(
      "docker network create --driver overlay --attachable --opt encrypted --subnet '10.20.0.0/24' --label 'tier=back' --label 'swarmlab.cluster=lab' 'backend' >/dev/null",
    );
    const e = engine();
    expect(runScript(script, e.bin)).toEqual({ code: 0, stdout: "net-id-1\n", stderr: "" });
    expect(e.log()).toEqual([
      "docker network inspect backend",
      "docker network create --driver overlay --attachable --opt encrypted --subnet 10.20.0.0/24 --label tier=back --label swarmlab.cluster=lab backend",
      "docker network inspect -f {{.Id}} backend",
    ]);
  });

  it("leaves out the flags that are off", () => {
    const script = networkCreateScript(net({ attachable: false }), {});
    expect(script.split("\n").map((l) => l.trim())).toContain("docker network create --driver overlay 'backend' >/dev/null");
  });

  it("does nothing when the overlay exists with the configured settings, and refuses a non-overlay network of that name", () => {
    const script = networkCreateScript(net(), { "swarmlab.cluster": "lab" });
    // as docker prints it: an unencrypted network has no "encrypted" option; a subnet chosen by docker is not compared
    const ok = engine("overlay swarm attachable=true encrypted= subnet=10.0.1.0/24 label:swarmlab.cluster=lab ");
    expect(runScript(script, ok.bin)).toEqual({ code: 0, stdout: "net-id-1\n", stderr: "" });
    expect(ok.log().some((l) => l.startsWith("docker network create"))).toBe(false);
    const clash = engine("bridge local attachable=false encrypted= ");
    expect(runScript(script, clash.bin)).toEqual({ code: 1, stdout: "", stderr: "a network named backend exists and is not a swarm overlay network: rename one of them\n" });
  });

  it("never adopts an existing overlay with other settings: it names what differs and what to do", () => {
    const script = networkCreateScript(net({ encrypted: true, subnet: "10.20.0.0/24", labels: { tier: "back" } }), { "swarmlab.cluster": "lab" });
    const other = engine("overlay swarm attachable=true encrypted= subnet=10.0.1.0/24 label:swarmlab.cluster=lab label:tier=front ");
    expect(runScript(script, other.bin)).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "overlay network backend exists with other settings than configured (wanted: encrypted=true subnet=10.20.0.0/24 label:tier=back): " +
        "settings cannot change in place; remove it (docker network rm backend, once no service uses it) or give the configured network another name\n",
    });
    expect(other.log().some((l) => l.startsWith("docker network create"))).toBe(false);
    const same = engine("overlay swarm attachable=true encrypted=true subnet=10.20.0.0/24 label:swarmlab.cluster=lab label:tier=back ");
    expect(runScript(script, same.bin)).toEqual({ code: 0, stdout: "net-id-1\n", stderr: "" });
  });

  it("removes a network no service uses; an absent one is a success", () => {
    const unused = engine("overlay swarm", { users: "'web_app other-net ' 'api_x other-net '" });
    expect(runScript(networkDeleteScript("backend"), unused.bin)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(unused.log()).toContain("docker network rm backend");
    const absent = engine();
    expect(runScript(networkDeleteScript("backend"), absent.bin)).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(absent.log()).toEqual(["docker network inspect backend"]);
  });

  it("refuses to remove a network services still use, naming them", () => {
    const used = engine("overlay swarm", { users: "'web_app net-id-1 ' 'db_pg other-net ' 'api_x other-net net-id-1 '" });
    expect(runScript(networkDeleteScript("backend"), used.bin)).toEqual({
      code: 1,
      stdout: "",
      stderr: "network backend is still used by services: web_app api_x - remove them (or their stacks) first\n",
    });
    expect(used.log()).not.toContain("docker network rm backend");
    // the same check guards a replacement at plan time, with a hint of its own
    expect(runScript(networkUnusedScript("backend", ", or keep its settings"), used.bin).stderr).toBe(
      "network backend is still used by services: web_app api_x - remove them (or their stacks) first, or keep its settings\n",
    );
    expect(runScript(networkUnusedScript("backend"), engine("overlay swarm").bin).code).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The ClusterAddons graph (mocks)
// ---------------------------------------------------------------------------------------------

describe("ClusterAddons under mocks", () => {
  const IP = { manager1: "172.28.0.129", worker1: "172.28.0.172", worker2: "172.28.0.233" };
  const NODES = ["manager1", "worker1", "worker2"] as const;
  let mocked: Mocked;
  let urls: Record<string, string>;
  let registryAt: string | undefined;
  const savedPath = process.env.PATH;

  beforeAll(async () => {
    mocked = await setupMocks();
    // checkLocalImages asks `docker image inspect` at construction: a fake docker knows the image
    const bin = fakeBin({ docker: `[ "$*" = "image inspect -f {{.Id}} shop/app:1" ] && { echo sha256:app1; exit 0; }; exit 1` });
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
      "swarmlab:registry": { enabled: true },
      "swarmlab:traefik": { enabled: true },
      "swarmlab:visualizer": { enabled: true },
      "swarmlab:images": { sideLoad: ["shop/app:1"] },
      "swarmlab:networks": [{ name: "backend", encrypted: true }],
    };
    const { swarm, services } = await servicesUnderMocks(values, "svc-services");
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

  it("side-loads the configured image into every node, keyed on its local ID", async () => {
    for (const n of NODES) {
      const c = findCommand(`svc-services-images-shop-app-1-${n}`);
      expect(c.inputs.label).toBe(`${n}: load image shop/app:1`);
      expect(c.inputs.triggers).toEqual(["sha256:app1", `container-${n}`]);
      expect(c.secretInputs).toContain("environment");
    }
  });

  it("deploys the registry after every trust command and the side-loaded images (dependsOn of the deploy command itself)", async () => {
    const loads = NODES.map((n) => `svc-services-images-shop-app-1-${n}`);
    const explicit = (name: string) => namesOf(dependsOnOf(findCommand(name)));
    expect(explicit("svc-services-registry-deploy")).toEqual(["svc-nodes", ...loads, ...NODES.map((n) => `svc-services-trust-registry-${n}`)]);
    // Traefik waits for the networks (a component in dependsOn stands for its children); the visualizer for the images only
    expect(explicit("svc-services-traefik-deploy")).toEqual(["svc-nodes", ...loads, "svc-services-net-backend-create", "svc-services-net-traefik-public-create"]);
    expect(explicit("svc-services-visualizer-deploy")).toEqual(["svc-nodes", ...loads]);
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
