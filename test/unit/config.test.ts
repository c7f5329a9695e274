import { readFileSync } from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../components/config/errors";
import { CONFIG_KEYS, loadClusterConfig, parseConfigValue } from "../../components/config/load";

const SOURCE = "Pulumi.dev.yaml";

/** What `pulumi.runtime.allConfig()` hands the program: scalars as text, lists and mappings as JSON. */
function asPulumiConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

function devConfig(): Record<string, unknown> {
  const doc = parse(readFileSync(path.join(__dirname, "../../Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  return doc.config;
}

/** A valid starting point: one manager, one worker, docker-lab hosts. */
const BASE: Record<string, unknown> = {
  "swarmlab:nodes": [{ name: "manager1", role: "manager" }, { name: "worker1" }],
};

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

const KNOWN = "known keys: name, hosts, nodes, swarm, networks, registry, traefik, visualizer, images, stacks";

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
      swarm: { publishMode: "auto", endpointMode: "auto", readyTimeoutSeconds: 300 },
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
      visualizer: { enabled: false, image: "dockersamples/visualizer", port: 8081 },
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
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "a pinned lab address outside the subnet",
      { "swarmlab:hosts": { kind: "docker-lab", addresses: { worker1: "10.0.0.5" } } },
      'Pulumi.dev.yaml: swarmlab:hosts.addresses.worker1: expected an address from 172.28.0.2 to 172.28.0.254 (hosts.subnet 172.28.0.0/24), got "10.0.0.5"',
    ],
    [
      "the same lab address pinned twice",
      { "swarmlab:hosts": { kind: "docker-lab", addresses: { worker1: "172.28.0.50", worker2: "172.28.0.50" } } },
      'Pulumi.dev.yaml: swarmlab:hosts.addresses.worker2: 172.28.0.50 is already pinned for node "worker1"',
    ],
    [
      "unknown top-level key",
      { "swarmlab:nodez": [] },
      `Pulumi.dev.yaml: unknown key "swarmlab:nodez" (check the spelling; ${KNOWN}; see the configuration reference in README.md)`,
    ],
    [
      "several unknown top-level keys",
      { "swarmlab:stack": [], "swarmlab:nam": "x" },
      `Pulumi.dev.yaml: unknown keys "swarmlab:stack", "swarmlab:nam" (check the spelling; ${KNOWN}; see the configuration reference in README.md)`,
    ],
    [
      "unknown key in a node",
      { "swarmlab:nodes": [{ name: "manager1", role: "manager", lables: {} }] },
      'Pulumi.dev.yaml: swarmlab:nodes[0]: unknown key "lables" (check the spelling; see the configuration reference in README.md)',
    ],
    [
      "unknown key in the hosts",
      { "swarmlab:hosts": { kind: "docker-lab", subnett: "10.0.0.0/24" } },
      'Pulumi.dev.yaml: swarmlab:hosts: unknown key "subnett" (check the spelling; see the configuration reference in README.md)',
    ],
    [
      "unknown role",
      { "swarmlab:nodes": [{ name: "manager1", role: "boss" }] },
      'Pulumi.dev.yaml: swarmlab:nodes[0].role: expected "manager" | "worker", got "boss"',
    ],
    [
      "unknown availability",
      { "swarmlab:nodes": [{ name: "m", role: "manager", availability: "off" }] },
      'Pulumi.dev.yaml: swarmlab:nodes[0].availability: expected "active" | "pause" | "drain", got "off"',
    ],
    [
      "node name that is not a DNS name",
      { "swarmlab:nodes": [{ name: "Manager_1", role: "manager" }] },
      "Pulumi.dev.yaml: swarmlab:nodes[0].name: expected a lower-case DNS name (letters, digits, '-'), got \"Manager_1\"",
    ],
    [
      "duplicate node names",
      { "swarmlab:nodes": [{ name: "m", role: "manager" }, { name: "w" }, { name: "m" }] },
      'Pulumi.dev.yaml: swarmlab:nodes[2].name: duplicate node name "m": node names must be unique',
    ],
    [
      "no manager",
      { "swarmlab:nodes": [{ name: "w1" }, { name: "w2", role: "worker" }] },
      'Pulumi.dev.yaml: swarmlab:nodes: expected at least one node with role "manager", got none',
    ],
    ["nodes given as text", { "swarmlab:nodes": "three" }, 'Pulumi.dev.yaml: swarmlab:nodes: expected a list, got "three"'],
    ["node without a name", { "swarmlab:nodes": [{ name: "m", role: "manager" }, { role: "worker" }] }, "Pulumi.dev.yaml: swarmlab:nodes[1].name: is required (expected a string)"],
    [
      "label value that is not text",
      { "swarmlab:nodes": [{ name: "m", role: "manager", labels: { zone: 1 } }] },
      "Pulumi.dev.yaml: swarmlab:nodes[0].labels.zone: expected a string, got 1",
    ],
    [
      "label key with a space",
      { "swarmlab:nodes": [{ name: "m", role: "manager", labels: { "bad key!": "x" } }] },
      "Pulumi.dev.yaml: swarmlab:nodes[0].labels.bad key!: expected a label key (letters, digits, '.', '_', '-', '/'), got \"bad key!\"",
    ],
    [
      "unknown host kind",
      { "swarmlab:hosts": { kind: "aws" } },
      'Pulumi.dev.yaml: swarmlab:hosts.kind: expected "docker-lab" | "ssh" | "vagrant" | "hcloud", got "aws"',
    ],
    ["hosts given as text", { "swarmlab:hosts": "docker-lab" }, 'Pulumi.dev.yaml: swarmlab:hosts: expected a mapping, got "docker-lab"'],
    [
      "lab subnet without a prefix length",
      { "swarmlab:hosts": { kind: "docker-lab", subnet: "172.28.0.0" } },
      'Pulumi.dev.yaml: swarmlab:hosts.subnet: expected a CIDR subnet like 172.28.0.0/24, got "172.28.0.0"',
    ],
    [
      "privileged neither a boolean nor auto",
      { "swarmlab:hosts": { kind: "docker-lab", privileged: "yes" } },
      'Pulumi.dev.yaml: swarmlab:hosts.privileged: expected true or false | "auto", got "yes"',
    ],
    [
      "SSH port base out of range",
      { "swarmlab:hosts": { kind: "docker-lab", sshPortBase: 0 } },
      "Pulumi.dev.yaml: swarmlab:hosts.sshPortBase: expected a number >= 1, got 0",
    ],
    [
      "empty SSH host address",
      { "swarmlab:hosts": { kind: "ssh", privateKeyFile: "~/.ssh/id", hosts: { m: { address: "" } } } },
      'Pulumi.dev.yaml: swarmlab:hosts.hosts.m.address: expected a non-empty string of at least 1 character(s), got ""',
    ],
    ["vagrant VM too small", { "swarmlab:hosts": { kind: "vagrant", memory: 100 } }, "Pulumi.dev.yaml: swarmlab:hosts.memory: expected a number >= 512, got 100"],
    [
      "overlay network subnet without a prefix length",
      { "swarmlab:networks": [{ name: "n", subnet: "10.0.0.0" }] },
      'Pulumi.dev.yaml: swarmlab:networks[0].subnet: expected a CIDR subnet like 10.20.0.0/24, got "10.0.0.0"',
    ],
    ["boolean given as text", { "swarmlab:networks": [{ name: "n", encrypted: "yes" }] }, 'Pulumi.dev.yaml: swarmlab:networks[0].encrypted: expected true or false, got "yes"'],
    [
      "registry basic auth over plain HTTP without the opt-in",
      { "swarmlab:registry": { enabled: true, auth: { username: "u", password: "password1" } } },
      "Pulumi.dev.yaml: swarmlab:registry.auth: basic auth over plain HTTP sends the password in clear text: serve the registry over TLS (registry.tls: {}) or set registry.auth.allowPlainHttp: true (lab only)",
    ],
    [
      "registry certificate without its key",
      { "swarmlab:registry": { tls: { certFile: "certs/registry.crt" } } },
      "Pulumi.dev.yaml: swarmlab:registry.tls.keyFile: certFile and keyFile go together: give both, or neither to have swarmlab make a CA and a certificate",
    ],
    [
      "registry CA without a certificate",
      { "swarmlab:registry": { tls: { caFile: "certs/ca.crt" } } },
      "Pulumi.dev.yaml: swarmlab:registry.tls.caFile: is the CA of your own certificate: give certFile and keyFile too (without them swarmlab makes its own CA)",
    ],
    [
      "registry tls key typo",
      { "swarmlab:registry": { tls: { cert: "certs/registry.crt" } } },
      'Pulumi.dev.yaml: swarmlab:registry.tls: unknown key "cert" (check the spelling; see the configuration reference in README.md)',
    ],
    [
      "registry port taken by Traefik",
      { "swarmlab:traefik": { enabled: true }, "swarmlab:registry": { enabled: true, port: 80 } },
      "Pulumi.dev.yaml: swarmlab:registry.port: port 80 is already published by traefik.httpPort",
    ],
    [
      "Traefik dashboard on the HTTPS port",
      { "swarmlab:traefik": { enabled: true, dashboardPort: 443 } },
      "Pulumi.dev.yaml: swarmlab:traefik.dashboardPort: port 443 is already published by traefik.httpsPort",
    ],
    [
      "visualizer port taken by the registry",
      { "swarmlab:visualizer": { enabled: true }, "swarmlab:registry": { enabled: true, port: 8081 } },
      "Pulumi.dev.yaml: swarmlab:visualizer.port: port 8081 is already published by registry.port",
    ],
    ["port out of range", { "swarmlab:registry": { port: 70000 } }, "Pulumi.dev.yaml: swarmlab:registry.port: expected a number <= 65535, got 70000"],
    [
      "Traefik network listed in networks",
      { "swarmlab:traefik": { enabled: true }, "swarmlab:networks": [{ name: "backend" }, { name: "traefik-public" }] },
      'Pulumi.dev.yaml: swarmlab:networks[1].name: "traefik-public" is the Traefik network, which swarmlab creates itself: remove it here or change traefik.network',
    ],
    [
      "duplicate networks",
      { "swarmlab:networks": [{ name: "a" }, { name: "b" }, { name: "a" }] },
      'Pulumi.dev.yaml: swarmlab:networks[2].name: duplicate network name "a"',
    ],
    [
      "duplicate stacks",
      { "swarmlab:stacks": [{ name: "web", file: "stacks/a.yaml" }, { name: "web", file: "stacks/b.yaml" }] },
      'Pulumi.dev.yaml: swarmlab:stacks[1].name: duplicate stack name "web"',
    ],
    [
      "bad stack name",
      { "swarmlab:stacks": [{ name: "Web", file: "stacks/web.yaml" }] },
      "Pulumi.dev.yaml: swarmlab:stacks[0].name: expected a stack name (lower-case letters, digits, '_', '-'), got \"Web\"",
    ],
    ["stack without a file", { "swarmlab:stacks": [{ name: "web" }] }, "Pulumi.dev.yaml: swarmlab:stacks[0].file: is required (expected a string)"],
    [
      "ACME without Traefik",
      { "swarmlab:traefik": { enabled: false, acme: { email: "admin@example.com" } } },
      "Pulumi.dev.yaml: swarmlab:traefik.acme: ACME needs traefik.enabled: true",
    ],
    [
      "dashboard auth without the dashboard",
      { "swarmlab:traefik": { dashboard: false, dashboardAuth: { username: "ops", password: "long enough" } } },
      "Pulumi.dev.yaml: swarmlab:traefik.dashboardAuth: protects the dashboard, which is off: set traefik.dashboard: true or remove dashboardAuth",
    ],
    [
      "dashboard password too short",
      { "swarmlab:traefik": { dashboardAuth: { username: "ops", password: "short" } } },
      // a secret is described, never quoted
      "Pulumi.dev.yaml: swarmlab:traefik.dashboardAuth.password: expected a non-empty string of at least 8 character(s), got a secret of 5 character(s)",
    ],
    [
      "ACME email that is not one",
      { "swarmlab:traefik": { enabled: true, acme: { email: "nope" } } },
      'Pulumi.dev.yaml: swarmlab:traefik.acme.email: expected an email address, got "nope"',
    ],
    [
      "number given as text",
      { "swarmlab:swarm": { readyTimeoutSeconds: "300" } },
      'Pulumi.dev.yaml: swarmlab:swarm.readyTimeoutSeconds: expected a number, got "300"',
    ],
    ["timeout too short", { "swarmlab:swarm": { readyTimeoutSeconds: 5 } }, "Pulumi.dev.yaml: swarmlab:swarm.readyTimeoutSeconds: expected a number >= 10, got 5"],
    ["fractional port", { "swarmlab:swarm": { dataPathPort: 4789.5 } }, "Pulumi.dev.yaml: swarmlab:swarm.dataPathPort: expected a whole number, got 4789.5"],
    [
      "unknown publish mode",
      { "swarmlab:swarm": { publishMode: "mesh" } },
      'Pulumi.dev.yaml: swarmlab:swarm.publishMode: expected "auto" | "ingress" | "host", got "mesh"',
    ],
    ["cluster name with capitals", { "swarmlab:name": "Lab" }, "Pulumi.dev.yaml: swarmlab:name: expected a lower-case DNS name (letters, digits, '-'), got \"Lab\""],
    ["side-loaded images given as text", { "swarmlab:images": { sideLoad: "app:dev" } }, 'Pulumi.dev.yaml: swarmlab:images.sideLoad: expected a list, got "app:dev"'],
  ];

  it("has at least 20 cases", async () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)("%s", async (_title, overrides, message) => {
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
