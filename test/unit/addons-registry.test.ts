/**
 * components/addons/registry.ts: the registry stack as rendered for the swarm, the htpasswd line,
 * and trustRegistryScript run for real by bash against a fake node (docker, pidof, systemctl, pkill,
 * a stand-in dockerd: test/support/fakeDocker.ts) first on PATH.
 */
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import bcrypt from "bcryptjs";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { registrySchema } from "../../components/config/cluster";
import { REGISTRY_STACK, htpasswdLine, registryAddress, registryCompose, trustRegistryScript } from "../../components/addons/registry";
import { startFakeDockerd, trustNodeFakes, type ReloadMode } from "../support/fakeDocker";
import { fakeBin, runScript } from "../support/fakes";
import { DNSRR, rendered, VIP } from "../support/systemStacks";
import { tmp } from "../support/tmp";

const registryCfg = (extra: Record<string, unknown> = {}) => registrySchema.parse({ enabled: true, ...extra });

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

describe("trustRegistryScript", () => {
  const ADDR = "10.0.0.1:5000";
  let dockerd: ChildProcess | undefined;

  afterEach(() => {
    if (dockerd && dockerd.exitCode === null) dockerd.kill("SIGKILL");
    dockerd = undefined;
  });

  /**
   * A node: daemon.json under a temp dir, a stand-in dockerd (a node process whose pid the fake
   * pidof prints: `kill -HUP` is bash's builtin) that on SIGHUP loads the file when `mode` is
   * "hup", and fakes whose restarts load it when `mode` is "restart". `docker info` shows the
   * registry as insecure once loaded (the file `trusted`). See trustNodeFakes and startFakeDockerd.
   */
  async function node(mode: ReloadMode, opts: { systemd?: boolean; content?: string; trusted?: boolean } = {}) {
    const dir = tmp("swarmlab-trust-");
    const state = path.join(dir, "state");
    fs.mkdirSync(state);
    const daemonJson = path.join(dir, "etc/docker/daemon.json");
    if (opts.content !== undefined) {
      fs.mkdirSync(path.dirname(daemonJson), { recursive: true });
      fs.writeFileSync(daemonJson, opts.content);
    }
    if (opts.trusted) fs.writeFileSync(path.join(state, "trusted"), "");
    const bin = fakeBin(trustNodeFakes({ state, daemonJson, addr: ADDR, mode, systemd: opts.systemd ?? true }));
    dockerd = await startFakeDockerd({ state, daemonJson, addr: ADDR, mode });
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
