/**
 * The ssh host kind (components/hosts/ssh.ts): config checks (exact messages), the connection plan, the private key from a
 * secret or a file, and the resources it registers (with the mocks of test/support/mocks.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import type { NodeConfig } from "../../components/config/cluster";
import { sshHostsSchema, type SshHosts } from "../../components/config/hosts";
import { loadClusterConfig } from "../../components/config/load";
import { loadPrivateKey, parseHostCheck, planSshHosts, resolveKeyPath } from "../../components/hosts/ssh";
import { COMMAND_TYPE, FAKE_PRIVATE_KEY, recorded, registered, resolve, setupMocks } from "../support/mocks";

const SOURCE = "Pulumi.prod.yaml";
const NODES = [
  { name: "manager1", role: "manager" },
  { name: "worker1", labels: { zone: "a" } },
];

function asPulumiConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`swarmlab:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

const INVENTORY = { manager1: { address: "10.0.0.1" }, worker1: { address: "10.0.0.2" } };
const sshConfig = (hosts: Record<string, unknown>, nodes: unknown[] = NODES) => asPulumiConfig({ name: "prod", hosts: { kind: "ssh", ...hosts }, nodes });
const hostsOf = (h: Record<string, unknown>): SshHosts => sshHostsSchema.parse({ kind: "ssh", privateKey: FAKE_PRIVATE_KEY, ...h });
const node = (name: string, role: "manager" | "worker" = "worker"): NodeConfig => ({ name, role, labels: {}, availability: "active" });

describe("ssh hosts: configuration", () => {
  it("accepts an inventory with a key file, and fills the defaults", () => {
    const cfg = loadClusterConfig(sshConfig({ privateKeyFile: "~/.ssh/id_ed25519", hosts: INVENTORY }), SOURCE);
    expect(cfg.hosts).toEqual({ kind: "ssh", user: "root", port: 22, privateKeyFile: "~/.ssh/id_ed25519", installDocker: true, hosts: INVENTORY });
  });

  it("refuses a configuration with neither a key file nor a key", () => {
    expect(() => loadClusterConfig(sshConfig({ hosts: INVENTORY }), SOURCE)).toThrow(
      'Pulumi.prod.yaml: swarmlab:hosts.privateKey: expected a private key: set hosts.privateKeyFile to its path, or the key itself with: pulumi config set --secret --path swarmlab:hosts.privateKey -- "$(cat KEYFILE)"',
    );
  });

  it("refuses both a key file and a key", () => {
    expect(() => loadClusterConfig(sshConfig({ hosts: INVENTORY, privateKey: "k", privateKeyFile: "f" }), SOURCE)).toThrow(
      "Pulumi.prod.yaml: swarmlab:hosts.privateKeyFile: expected either hosts.privateKey or hosts.privateKeyFile, got both",
    );
  });

  it("refuses an unknown key in an inventory entry", () => {
    expect(() => loadClusterConfig(sshConfig({ privateKey: "k", hosts: { ...INVENTORY, worker1: { address: "h", hostkey: "x" } } }), SOURCE)).toThrow(
      'Pulumi.prod.yaml: swarmlab:hosts.hosts.worker1: unknown key "hostkey" (check the spelling; see the configuration reference in README.md)',
    );
  });
});

describe("ssh hosts: plan", () => {
  it("connects with the defaults, per-host overrides, the host key and the bastion as jump host", () => {
    const hosts = hostsOf({
      user: "admin",
      port: 2222,
      bastion: { address: "bastion.example.com" },
      hosts: {
        manager1: { address: "m1.example.com", advertiseAddress: "10.0.0.1", hostKey: "ssh-ed25519 AAAAC3Nz m1\n" },
        worker1: { address: "10.0.0.2", port: 22, user: "root" },
      },
    });
    expect(planSshHosts(hosts, [node("manager1", "manager"), node("worker1")])).toEqual([
      {
        node: node("manager1", "manager"),
        address: "m1.example.com",
        advertiseAddress: "10.0.0.1",
        target: { host: "m1.example.com", port: 2222, user: "admin", hostKey: "ssh-ed25519 AAAAC3Nz m1", jump: { host: "bastion.example.com", port: 22, user: "root" } },
      },
      {
        node: node("worker1"),
        address: "10.0.0.2",
        advertiseAddress: "10.0.0.2",
        target: { host: "10.0.0.2", port: 22, user: "root", jump: { host: "bastion.example.com", port: 22, user: "root" } },
      },
    ]);
  });

  it("resolves ~ and project-relative key paths", () => {
    expect(resolveKeyPath("~/.ssh/id", "/proj", "/home/u")).toBe("/home/u/.ssh/id");
    expect(resolveKeyPath("keys/id", "/proj", "/home/u")).toBe("/proj/keys/id");
    expect(resolveKeyPath("/etc/k", "/proj", "/home/u")).toBe("/etc/k");
  });

  it("reads the key from the secret (newline added) or from the file; a missing file is a clear error", () => {
    expect(loadPrivateKey(hostsOf({ hosts: {}, privateKey: "KEY" }), "/x")).toBe("KEY\n");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-key-"));
    fs.writeFileSync(path.join(dir, "id"), FAKE_PRIVATE_KEY + "\n");
    const fromFile = sshHostsSchema.parse({ kind: "ssh", privateKeyFile: "id", hosts: {} });
    expect(loadPrivateKey(fromFile, dir)).toBe(FAKE_PRIVATE_KEY + "\n");
    const missing = sshHostsSchema.parse({ kind: "ssh", privateKeyFile: "nope", hosts: {} });
    expect(() => loadPrivateKey(missing, dir, "Pulumi.prod.yaml")).toThrow(
      `Pulumi.prod.yaml: swarmlab:hosts.privateKeyFile: cannot read ${path.join(dir, "nope")} (ENOENT): expected a private key file (a path relative to the project, or ~/...)`,
    );
    fs.rmSync(dir, { recursive: true });
  });

  it("parses what the host check prints", () => {
    expect(parseHostCheck("docker=installed\nmachine=0f3c9a\nhostname=worker2\n")).toEqual({ docker: "installed", machine: "0f3c9a", hostname: "worker2" });
  });
});

describe("ssh hosts: resources", () => {
  beforeAll(async () => {
    await setupMocks();
  });

  it("refuses, with the rest of the config (before registering anything), a node without an inventory entry and an entry without a node", () => {
    const load = () => loadClusterConfig(
      sshConfig({ privateKey: "k", hosts: { manager1: { address: "a" }, worker9: { address: "b" } } }, [...NODES, { name: "worker2" }]),
      SOURCE,
    );
    const before = recorded().length;
    expect(load).toThrow(
      [
        'Pulumi.prod.yaml: swarmlab:hosts.hosts: node "worker1" has no inventory entry: add hosts.hosts.worker1.address (the machine it runs on)',
        'Pulumi.prod.yaml: swarmlab:hosts.hosts: node "worker2" has no inventory entry: add hosts.hosts.worker2.address (the machine it runs on)',
        'Pulumi.prod.yaml: swarmlab:hosts.hosts.worker9: "worker9" is not a node: expected one of "manager1", "worker1", "worker2" (add it to nodes or remove this entry)',
      ].join("\n"),
    );
    expect(recorded().length).toBe(before);
  });

  it("runs one host check per machine over SSH: key secret, host key, jump host, install script; nothing to delete", async () => {
    const { createHosts } = await import("../../components/hosts");
    const cfg = loadClusterConfig(
      sshConfig({
        privateKey: FAKE_PRIVATE_KEY,
        bastion: { address: "gw", user: "jump" },
        hosts: { manager1: { address: "10.0.0.1", hostKey: "ssh-ed25519 AAAA m1" }, worker1: { address: "10.0.0.2", port: 2200 } },
      }),
      SOURCE,
    );
    const hosts = createHosts(cfg);
    await registered(hosts.flatMap((h) => h.dependsOn));
    const checks = recorded(COMMAND_TYPE).filter((r) => r.name.startsWith("prod-")).sort((a, b) => a.name.localeCompare(b.name));
    expect(checks.map((c) => c.name)).toEqual(["prod-manager1", "prod-worker1"]);
    const [m1, w1] = checks;
    expect(m1.inputs.label).toBe("manager1: host check");
    expect(m1.inputs.connection).toEqual({ host: "10.0.0.1", port: 22, user: "root", privateKey: `${FAKE_PRIVATE_KEY}\n`, hostKey: "ssh-ed25519 AAAA m1", jump: { host: "gw", port: 22, user: "jump" } });
    expect(m1.secretInputs).toContain("connection");
    expect(w1.inputs.connection).toMatchObject({ host: "10.0.0.2", port: 2200 });
    expect(m1.inputs.create).toContain("apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends docker.io");
    expect(m1.inputs.delete).toBeUndefined();
    expect(m1.inputs.triggers).toEqual(["10.0.0.1", 22]);
    expect(m1.inputs.dialTimeoutSeconds).toBe(300);
    expect(await resolve(hosts[0].address)).toBe("10.0.0.1");
    expect(await resolve(hosts[0].advertiseAddress)).toBe("10.0.0.1");
    expect(hosts.map((h) => `${h.name}:${h.role}`)).toEqual(["manager1:manager", "worker1:worker"]);
    expect(hosts[1].labels).toEqual({ zone: "a" });
    // a different machine behind the address is a different instance: the swarm layer re-joins it
    expect(await resolve(hosts[1].instance)).toBe("machine-worker1");
    // machines that stay behind: nothing is deleted with anything, every node leaves gracefully
    expect(hosts.map((h) => h.teardownWith)).toEqual([undefined, undefined]);
  });

  it("with installDocker false, the check fails on a host without Docker instead of installing", async () => {
    const { createHosts } = await import("../../components/hosts");
    const cfg = loadClusterConfig(asPulumiConfig({ name: "noinst", hosts: { kind: "ssh", privateKey: "k", installDocker: false, hosts: { manager1: { address: "h" } } }, nodes: [NODES[0]] }), SOURCE);
    const hosts = createHosts(cfg);
    await registered(hosts.flatMap((h) => h.dependsOn));
    const c = recorded(COMMAND_TYPE).find((r) => r.name === "noinst-manager1");
    expect(c?.inputs.create).toContain("hosts.installDocker is false");
    expect(c?.inputs.create).not.toContain("apt-get");
  });
});
