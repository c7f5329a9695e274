/**
 * components/config/load.ts: loadClusterConfig on the dev stack and on bad configurations (one
 * exact message each, several at once), Docker's own rules and no stricter, and the warnings for
 * keys outside swarmlab's namespace.
 */
import { readFileSync } from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../components/config/errors";
import { CONFIG_KEYS, configWarnings, loadClusterConfig, parseConfigValue } from "../../components/config/load";
import { asPulumiConfig } from "../support/config";
import { BAD_CONFIG_BASE, BAD_CONFIGS, KNOWN } from "./bad-inputs";

const SOURCE = "Pulumi.dev.yaml";

function devConfig(): Record<string, unknown> {
  const doc = parse(readFileSync(path.join(__dirname, "../../Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  return doc.config;
}

/** A valid starting point: one manager, one worker, docker-lab hosts. */
const BASE = BAD_CONFIG_BASE;

function load(overrides: Record<string, unknown>) {
  return loadClusterConfig(asPulumiConfig({ ...BASE, ...overrides }), SOURCE);
}

/** The ConfigError thrown for a config; fails the test when the config loads. */
function errorOf(overrides: Record<string, unknown>): ConfigError {
  try {
    load(overrides);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(overrides)}`);
}


describe("loadClusterConfig: the dev stack", () => {
  it("loads Pulumi.dev.yaml with every default filled in", async () => {
    const cfg = loadClusterConfig(asPulumiConfig(devConfig()), SOURCE);
    expect(cfg).toEqual({
      name: "lab",
      hosts: {
        kind: "docker-lab",
        image: "swarmlab/node:latest",
        subnet: "172.28.0.0/24",
        privileged: "auto",
        reachability: "auto",
        sshPortBase: 22200,
        publishPorts: [],
        addresses: {},
      },
      nodes: [
        { name: "manager1", role: "manager", labels: {}, availability: "active" },
        { name: "worker1", role: "worker", labels: { zone: "a" }, availability: "active" },
        { name: "worker2", role: "worker", labels: { zone: "b" }, availability: "active" },
      ],
      swarm: { publishMode: "auto", endpointMode: "auto", readyTimeoutSeconds: 300, sshRetrySeconds: 60, forceNewCluster: false, autolock: false, mtu: "auto" },
      networks: [],
      registry: { enabled: true, image: "registry:2", port: 5000 },
      traefik: {
        enabled: true,
        image: "traefik:v3.5",
        network: "traefik-public",
        httpPort: 80,
        httpsPort: 443,
        dashboardPort: 8080,
        dashboard: true,
      },
      visualizer: { enabled: false, image: "swarmlab/board:0.1.0", port: 8081 },
      images: { sideLoad: [] },
      stacks: [{ name: "whoami", file: "stacks/whoami.yaml", images: {} }],
    });
  });

  it("ignores other namespaces (provider settings) and keys without one", async () => {
    const cfg = loadClusterConfig(asPulumiConfig({ ...devConfig(), "aws:region": "eu-west-1", "hcloud:token": "x", plain: "y" }), SOURCE);
    expect(cfg.name).toBe("lab");
    expect(cfg.nodes.map((n) => n.name)).toEqual(["manager1", "worker1", "worker2"]);
  });

  it("defaults the name, the hosts kind and every node's role to worker", async () => {
    const cfg = load({});
    expect(cfg.name).toBe("lab");
    expect(cfg.hosts.kind).toBe("docker-lab");
    expect(cfg.nodes[1]).toEqual({ name: "worker1", role: "worker", labels: {}, availability: "active" });
  });

  it("fills the defaults of an enabled registry, Traefik with ACME, and sections given partially", async () => {
    const cfg = load({
      "swarmlab:registry": { enabled: true, auth: { username: "admin", password: "secret-pw", allowPlainHttp: true } },
      "swarmlab:traefik": { enabled: true, acme: { email: "admin@example.com" } },
      "swarmlab:networks": [{ name: "backend", encrypted: true }],
      "swarmlab:stacks": [{ name: "whoami", file: "stacks/whoami.yaml" }],
    });
    expect(cfg.registry).toEqual({ enabled: true, image: "registry:2", port: 5000, auth: { username: "admin", password: "secret-pw", allowPlainHttp: true } });
    expect(cfg.traefik.acme).toEqual({ email: "admin@example.com", resolver: "letsencrypt", staging: false });
    expect(cfg.networks).toEqual([{ name: "backend", attachable: true, encrypted: true, labels: {} }]);
    expect(cfg.stacks).toEqual([{ name: "whoami", file: "stacks/whoami.yaml", images: {} }]);
  });

  it("accepts auth without the plain-HTTP opt-in when the registry serves HTTPS", async () => {
    const cfg = load({ "swarmlab:registry": { tls: {}, auth: { username: "ci", password: "a long password" } } });
    expect(cfg.registry.tls).toEqual({});
    expect(cfg.registry.auth?.allowPlainHttp).toBe(false);
  });

  it("accepts a registry with auth when the registry is disabled, and the Traefik network name when Traefik is off", async () => {
    const cfg = load({
      "swarmlab:registry": { enabled: false, auth: { username: "u", password: "password1" } },
      "swarmlab:networks": [{ name: "traefik-public" }],
    });
    expect(cfg.networks.map((n) => n.name)).toEqual(["traefik-public"]);
  });

  it("parses config values as Pulumi hands them: JSON when it parses, text otherwise", async () => {
    expect(parseConfigValue('{"a":[1,2]}')).toEqual({ a: [1, 2] });
    expect(parseConfigValue("lab")).toBe("lab");
    expect(parseConfigValue("true")).toBe(true);
  });

  it("lists the config keys it knows", async () => {
    expect(CONFIG_KEYS).toEqual(["name", "hosts", "nodes", "swarm", "networks", "registry", "traefik", "visualizer", "images", "stacks"]);
  });
});

describe("loadClusterConfig: bad configurations, one exact message each", () => {

  it.each(BAD_CONFIGS)("%s", async (_title, overrides, message) => {
    const error = errorOf(overrides);
    expect(error.message).toBe(message);
    expect(error.problems).toHaveLength(1);
    expect(error.name).toBe("ConfigError");
  });
});

describe("loadClusterConfig: several problems at once", () => {
  it("reports every field problem in one error, each on its own line", async () => {
    const error = errorOf({
      "swarmlab:nodes": [{ name: "w" }, { role: "worker" }],
      "swarmlab:nodez": 1,
      "swarmlab:traefik": { enabled: true, acme: { email: "nope" } },
    });
    expect(error.message).toBe(
      [
        "Pulumi.dev.yaml: swarmlab:nodes[1].name: is required (expected a string)",
        'Pulumi.dev.yaml: swarmlab:traefik.acme.email: expected an email address, got "nope"',
        `Pulumi.dev.yaml: unknown key "swarmlab:nodez" (check the spelling; ${KNOWN}; see the configuration reference in README.md)`,
      ].join("\n"),
    );
    expect(error.problems.map((p) => p.path)).toEqual(["swarmlab:nodes[1].name", "swarmlab:traefik.acme.email", ""]);
    expect(error.problems.every((p) => p.source === SOURCE)).toBe(true);
  });

  it("reports every cross-field problem in one error", async () => {
    const error = errorOf({
      "swarmlab:nodes": [{ name: "a" }, { name: "a" }],
      "swarmlab:networks": [{ name: "n" }, { name: "n" }],
      "swarmlab:stacks": [{ name: "s", file: "x" }, { name: "s", file: "y" }],
      "swarmlab:traefik": { enabled: false, acme: { email: "admin@example.com" } },
    });
    expect(error.message).toBe(
      [
        'Pulumi.dev.yaml: swarmlab:nodes[1].name: duplicate node name "a": node names must be unique',
        'Pulumi.dev.yaml: swarmlab:nodes: expected at least one node with role "manager", got none',
        'Pulumi.dev.yaml: swarmlab:networks[1].name: duplicate network name "n"',
        'Pulumi.dev.yaml: swarmlab:stacks[1].name: duplicate stack name "s"',
        "Pulumi.dev.yaml: swarmlab:traefik.acme: ACME needs traefik.enabled: true",
      ].join("\n"),
    );
  });

  it("an empty node list is both too short and without a manager", async () => {
    expect(errorOf({ "swarmlab:nodes": [] }).message).toBe(
      [
        "Pulumi.dev.yaml: swarmlab:nodes: expected at least 1 item(s), got a list of 0",
        'Pulumi.dev.yaml: swarmlab:nodes: expected at least one node with role "manager", got none',
      ].join("\n"),
    );
  });

  it("names the file it was given", async () => {
    expect(() => loadClusterConfig(asPulumiConfig({ "swarmlab:nodes": "x" }), "Pulumi.prod.yaml")).toThrow(
      'Pulumi.prod.yaml: swarmlab:nodes: expected a list, got "x"',
    );
  });
});

describe("Docker's rules, not stricter", () => {
  it("accepts the classic lab's overlay network app_net, a 63-character node name and upper case in a node name", () => {
    const name = `m${"x".repeat(62)}`;
    const cfg = load({ "swarmlab:nodes": [{ name, role: "manager" }, { name: "Worker1" }], "swarmlab:networks": [{ name: "app_net", subnet: "10.20.0.0/24" }] });
    expect(cfg.networks[0].name).toBe("app_net");
    expect(cfg.nodes.map((n) => n.name)).toEqual([name, "Worker1"]);
  });
});

describe("configWarnings", () => {
  it("names a key under a namespace that looks like a typo of swarmlab:, and leaves other providers' keys alone", () => {
    const raw = asPulumiConfig({ "swarmlab:name": "lab", "swarmlb:nodes": [], "Swarmlab:name": "x", "swramlab:stacks": [], "hcloud:token": "t", "aws:region": "eu" });
    expect(configWarnings(raw, SOURCE)).toEqual([
      'Pulumi.dev.yaml: swarmlb:nodes: the namespace "swarmlb" looks like a typo of "swarmlab": this key is ignored (swarmlab reads only swarmlab:* keys)',
      'Pulumi.dev.yaml: Swarmlab:name: the namespace "Swarmlab" looks like a typo of "swarmlab": this key is ignored (swarmlab reads only swarmlab:* keys)',
      'Pulumi.dev.yaml: swramlab:stacks: the namespace "swramlab" looks like a typo of "swarmlab": this key is ignored (swarmlab reads only swarmlab:* keys)',
    ]);
  });
});
