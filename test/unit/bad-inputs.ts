/**
 * The catalogue of bad inputs: configurations and stack files, each with the one exact message it
 * must get. The schema tests check each message; program.test.ts runs each through the whole
 * program to show it is refused before a single resource is registered.
 */

export const KNOWN = "known keys: name, hosts, nodes, swarm, networks, registry, traefik, visualizer, images, stacks";

/** The valid configuration every bad configuration starts from: one manager, one worker. */
export const BAD_CONFIG_BASE: Record<string, unknown> = {
  "swarmlab:nodes": [{ name: "manager1", role: "manager" }, { name: "worker1" }],
};

/** [what, config values over BAD_CONFIG_BASE, the message for Pulumi.dev.yaml] */
export const BAD_CONFIGS: [string, Record<string, unknown>, string][] = [
  [
    "a pinned lab address outside the subnet",
    { "swarmlab:hosts": { kind: "docker-lab", addresses: { worker1: "10.0.0.5" } } },
    'Pulumi.dev.yaml: swarmlab:hosts.addresses.worker1: expected an address from 172.28.0.2 to 172.28.0.254 (hosts.subnet 172.28.0.0/24), got "10.0.0.5"',
  ],
  [
    "the same lab address pinned twice",
    { "swarmlab:hosts": { kind: "docker-lab", addresses: { manager1: "172.28.0.50", worker1: "172.28.0.50" } } },
    'Pulumi.dev.yaml: swarmlab:hosts.addresses.worker1: 172.28.0.50 is already pinned for node "manager1"',
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
    'Pulumi.dev.yaml: swarmlab:nodes[0].name: expected a node name of letters, digits and "-", starting and ending with a letter or digit (an RFC 1123 host name label: the node\'s hostname, which the swarm lists nodes by), got "Manager_1"',
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
    { "swarmlab:hosts": { kind: "ssh", privateKeyFile: "~/.ssh/id", hosts: { manager1: { address: "" }, worker1: { address: "10.0.0.2" } } } },
    'Pulumi.dev.yaml: swarmlab:hosts.hosts.manager1.address: expected a non-empty string of at least 1 character(s), got ""',
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
  // checks that used to come late, as plain errors with a stack trace
  [
    "lab subnet smaller than a /24",
    { "swarmlab:hosts": { kind: "docker-lab", subnet: "172.28.0.0/30" } },
    'Pulumi.dev.yaml: swarmlab:hosts.subnet: expected a /24 or larger network (a prefix length of 24 or less: nodes get addresses .10 to .249 of its first /24), got "172.28.0.0/30"',
  ],
  [
    "ssh node without an inventory entry",
    { "swarmlab:hosts": { kind: "ssh", privateKeyFile: "~/.ssh/id", hosts: { manager1: { address: "10.0.0.1" } } } },
    'Pulumi.dev.yaml: swarmlab:hosts.hosts: node "worker1" has no inventory entry: add hosts.hosts.worker1.address (the machine it runs on)',
  ],
  [
    "hcloud location outside the network zone",
    { "swarmlab:hosts": { kind: "hcloud", nodes: { worker1: { location: "ash" } } } },
    "Pulumi.dev.yaml: swarmlab:hosts.nodes.worker1.location: location ash is in network zone us-east, but hosts.networkZone is eu-central: servers can only join a private network of their own zone (node worker1)",
  ],
  // Docker's naming rules, and values docker cannot parse
  [
    "node name longer than a host name label",
    { "swarmlab:nodes": [{ name: `m${"x".repeat(63)}`, role: "manager" }] },
    `Pulumi.dev.yaml: swarmlab:nodes[0].name: expected a node name of at most 63 characters (an RFC 1123 host name label: the node's hostname, which the swarm lists nodes by), got "m${"x".repeat(63)}", 64 characters`,
  ],
  [
    "overlay network name with a dot",
    { "swarmlab:networks": [{ name: "app.net" }] },
    'Pulumi.dev.yaml: swarmlab:networks[0].name: expected a network name of letters, digits, "-" and "_", starting and ending with a letter or digit (swarmkit: a DNS label), got "app.net"',
  ],
  [
    "overlay network named like one every node has",
    { "swarmlab:networks": [{ name: "ingress" }] },
    'Pulumi.dev.yaml: swarmlab:networks[0].name: expected a network name other than "bridge", "host", "none", "ingress", "docker_gwbridge" (every swarm node has these networks already), got "ingress"',
  ],
  [
    "overlay subnet that is not CIDR",
    { "swarmlab:networks": [{ name: "app_net", subnet: "999.28.0.0/24" }] },
    'Pulumi.dev.yaml: swarmlab:networks[0].subnet: expected a CIDR subnet like 10.20.0.0/24 (each of the 4 numbers 0 to 255), got "999.28.0.0/24": 999 is over 255',
  ],
  [
    "overlay subnet with host bits set",
    { "swarmlab:networks": [{ name: "app_net", subnet: "10.20.0.5/24" }] },
    'Pulumi.dev.yaml: swarmlab:networks[0].subnet: expected a network address (no host bits set: docker refuses it), got "10.20.0.5/24": the network is 10.20.0.0/24',
  ],
  [
    "overlay networks that overlap",
    { "swarmlab:networks": [{ name: "a", subnet: "10.20.0.0/16" }, { name: "b", subnet: "10.20.5.0/24" }] },
    "Pulumi.dev.yaml: swarmlab:networks[1].subnet: 10.20.5.0/24 overlaps networks[0].subnet (10.20.0.0/16): give each network a range of its own",
  ],
  [
    "overlay network over the lab's own subnet",
    { "swarmlab:networks": [{ name: "app_net", subnet: "172.28.0.0/25" }] },
    "Pulumi.dev.yaml: swarmlab:networks[0].subnet: 172.28.0.0/25 overlaps hosts.subnet (172.28.0.0/24, the nodes' own network): give each network a range of its own",
  ],
  [
    "default address pool that is not CIDR",
    { "swarmlab:swarm": { defaultAddrPool: "10.0.0.0/40" } },
    'Pulumi.dev.yaml: swarmlab:swarm.defaultAddrPool: expected a CIDR subnet like 10.0.0.0/8 (a prefix length of 0 to 32), got "10.0.0.0/40"',
  ],
  [
    "default address pool over the lab's own subnet",
    { "swarmlab:swarm": { defaultAddrPool: "172.16.0.0/12" } },
    "Pulumi.dev.yaml: swarmlab:swarm.defaultAddrPool: 172.16.0.0/12 overlaps hosts.subnet (172.28.0.0/24, the nodes' own network): overlay networks would get addresses of the nodes' own network; choose a pool apart from it",
  ],
  [
    "side-loaded image with two tags",
    { "swarmlab:images": { sideLoad: ["app:1:2"] } },
    'Pulumi.dev.yaml: swarmlab:images.sideLoad[0]: expected an image reference [registry[:port]/]repository[:tag][@digest], like "nginx:1.27" or "172.28.0.10:5000/team/app:2" (docker: "invalid reference format"), got "app:1:2"',
  ],
  [
    "Traefik image with upper case",
    { "swarmlab:traefik": { image: "Traefik:v3.5" } },
    'Pulumi.dev.yaml: swarmlab:traefik.image: expected an image reference whose repository is in lower case (docker: "repository name must be lowercase"), got "Traefik:v3.5"',
  ],
  [
    "image override that docker cannot parse",
    { "swarmlab:stacks": [{ name: "whoami", file: "stacks/whoami.yaml", images: { whoami: "WhoAmI" } }] },
    'Pulumi.dev.yaml: swarmlab:stacks[0].images.whoami: expected an image reference whose repository is in lower case (docker: "repository name must be lowercase"), got "WhoAmI"',
  ],
];

/** [what, stack file text, the message after "<file>: "] */
export const BAD_STACK_FILES: [string, string, string][] = [
  ["replicas as text", "services: {api: {image: x, deploy: {replicas: two}}}", 'services.api.deploy.replicas: expected a number, got "two"'],
  ["negative replicas", "services: {api: {image: x, deploy: {replicas: -1}}}", "services.api.deploy.replicas: expected a number >= 0, got -1"],
  ["fractional replicas", "services: {api: {image: x, deploy: {replicas: 1.5}}}", "services.api.deploy.replicas: expected a whole number, got 1.5"],
  ["deploy mode", "services: {api: {image: x, deploy: {mode: replica}}}", 'services.api.deploy.mode: expected "replicated" | "global", got "replica"'],
  ["endpoint mode", "services: {api: {image: x, deploy: {endpoint_mode: rr}}}", 'services.api.deploy.endpoint_mode: expected "vip" | "dnsrr", got "rr"'],
  ["restart condition", "services: {api: {image: x, deploy: {restart_policy: {condition: always}}}}", 'services.api.deploy.restart_policy.condition: expected "none" | "on-failure" | "any", got "always"'],
  ["restart policy typo", "services: {api: {image: x, deploy: {restart_policy: {max_retries: 3}}}}", 'services.api.deploy.restart_policy: unknown key "max_retries" (check the spelling; see the configuration reference in README.md)'],
  ["update failure action", "services: {api: {image: x, deploy: {update_config: {failure_action: explode}}}}", 'services.api.deploy.update_config.failure_action: expected "continue" | "pause" | "rollback", got "explode"'],
  ["rollback failure action", "services: {api: {image: x, deploy: {rollback_config: {failure_action: rollback}}}}", 'services.api.deploy.rollback_config.failure_action: expected "continue" | "pause", got "rollback"'],
  ["update order", "services: {api: {image: x, deploy: {update_config: {order: first}}}}", 'services.api.deploy.update_config.order: expected "stop-first" | "start-first", got "first"'],
  ["update delay", "services: {api: {image: x, deploy: {update_config: {delay: 10 seconds}}}}", 'services.api.deploy.update_config.delay: expected a duration like "10s" or "1m30s", got "10 seconds"'],
  ["failure ratio", "services: {api: {image: x, deploy: {update_config: {max_failure_ratio: 2}}}}", "services.api.deploy.update_config.max_failure_ratio: expected a number <= 1, got 2"],
  ["memory limit", "services: {api: {image: x, deploy: {resources: {limits: {memory: lots}}}}}", 'services.api.deploy.resources.limits.memory: expected a size like "512M" or "2G", got "lots"'],
  ["cpus limit", "services: {api: {image: x, deploy: {resources: {limits: {cpus: half}}}}}", 'services.api.deploy.resources.limits.cpus: expected a number of CPUs like "0.5", got "half"'],
  ["constraint with =", 'services: {api: {image: x, deploy: {placement: {constraints: ["node.role = manager"]}}}}', 'services.api.deploy.placement.constraints[0]: expected "<attribute> == <value>" or "<attribute> != <value>" with attribute node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>, got "node.role = manager"'],
  ["constraint attribute", 'services: {api: {image: x, deploy: {placement: {constraints: ["node.label.db==true"]}}}}', 'services.api.deploy.placement.constraints[0]: expected "<attribute> == <value>" or "<attribute> != <value>" with attribute node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>, got "node.label.db==true"'],
  ["constraint role", 'services: {api: {image: x, deploy: {placement: {constraints: ["node.role==leader"]}}}}', 'services.api.deploy.placement.constraints[0]: expected node.role == manager or node.role == worker, got "node.role==leader"'],
  ["spread preference", "services: {api: {image: x, deploy: {placement: {preferences: [{spread: zone}]}}}}", 'services.api.deploy.placement.preferences[0].spread: expected node.labels.<name> or engine.labels.<name> (swarm spreads over labels only: node.id, node.hostname and the rest are ignored), got "zone"'],
  ["spread over node.id, which swarm ignores", "services: {api: {image: x, deploy: {placement: {preferences: [{spread: node.id}]}}}}", 'services.api.deploy.placement.preferences[0].spread: expected node.labels.<name> or engine.labels.<name> (swarm spreads over labels only: node.id, node.hostname and the rest are ignored), got "node.id"'],
  ["service key typo", "services: {api: {image: x, imgae: y}}", 'services.api: unknown key "imgae" (check the spelling; see the configuration reference in README.md)'],
  ["port text", 'services: {api: {image: x, ports: ["80:abc"]}}', 'services.api.ports[0]: expected a port like "80", "8080:80", "8080:80/udp" or "8000-8010:8000-8010", got "80:abc"'],
  ["port ranges", 'services: {api: {image: x, ports: ["8000-8010:80-81"]}}', 'services.api.ports[0]: expected a published range as long as the target range, got "8000-8010:80-81"'],
  ["port out of range", 'services: {api: {image: x, ports: ["70000:80"]}}', 'services.api.ports[0]: expected ports between 0 and 65535 (ranges low-high), got "70000:80"'],
  ["port number", "services: {api: {image: x, ports: [70000]}}", "services.api.ports[0]: expected a number <= 65535, got 70000"],
  ["port protocol", "services: {api: {image: x, ports: [{target: 80, protocol: tcpp}]}}", 'services.api.ports[0].protocol: expected "tcp" | "udp" | "sctp", got "tcpp"'],
  ["port mode", "services: {api: {image: x, ports: [{target: 80, mode: routing}]}}", 'services.api.ports[0].mode: expected "ingress" | "host", got "routing"'],
  ["port target missing", "services: {api: {image: x, ports: [{published: 80}]}}", "services.api.ports[0].target: is required (expected a number)"],
  ["port as list", "services: {api: {image: x, ports: [[80]]}}", 'services.api.ports[0]: expected a port like "80", "8080:80", "8080:80/udp" or "8000-8010:8000-8010" or a mapping with target, published, protocol and mode, got a list of 1'],
  ["environment scalar", "services: {api: {image: x, environment: 5}}", 'services.api.environment: expected a list of "KEY=value" strings or a mapping, got 5'],
  ["environment value", "services: {api: {image: x, environment: {A: {b: 1}}}}", "services.api.environment.A: expected a string, a number, true/false or null, got an object"],
  ["command number", "services: {api: {image: x, command: 5}}", "services.api.command: expected a string or a list of strings, got 5"],
  ["entrypoint item", "services: {api: {image: x, entrypoint: [sh, 5]}}", "services.api.entrypoint[1]: expected a string, got 5"],
  ["volume short", 'services: {api: {image: x, volumes: ["data"]}}', 'services.api.volumes[0]: expected "source:/target", "source:/target:ro" or "/target", got "data"'],
  ["volume mode", 'services: {api: {image: x, volumes: ["/a:/b:rx"]}}', 'services.api.volumes[0]: expected "source:/target", "source:/target:ro" or "/target", got "/a:/b:rx"'],
  ["volume type", "services: {api: {image: x, volumes: [{type: nfs, target: /d}]}}", 'services.api.volumes[0].type: expected "volume" | "bind" | "tmpfs", got "nfs"'],
  ["volume target", "services: {api: {image: x, volumes: [{type: bind, source: /d}]}}", "services.api.volumes[0].target: is required (expected a string)"],
  ["healthcheck interval", "services: {api: {image: x, healthcheck: {interval: 10}}}", "services.api.healthcheck.interval: expected a string, got 10"],
  ["healthcheck retries", "services: {api: {image: x, healthcheck: {retries: three}}}", 'services.api.healthcheck.retries: expected a number, got "three"'],
  ["stop grace period", "services: {api: {image: x, stop_grace_period: 1 minute}}", 'services.api.stop_grace_period: expected a duration like "10s" or "1m30s", got "1 minute"'],
  ["ulimit hard missing", "services: {api: {image: x, ulimits: {nofile: {soft: 1024}}}}", "services.api.ulimits.nofile.hard: is required (expected a number)"],
  ["logging option", "services: {api: {image: x, logging: {options: {max-size: [1]}}}}", "services.api.logging.options.max-size: expected a string, a number or null, got a list of 1"],
  ["service network entry", "services: {api: {image: x, networks: {front: {aliases: web}}}}\nnetworks: {front: }", 'services.api.networks.front.aliases: expected a list, got "web"'],
  ["undeclared network (list)", "services: {api: {image: x, networks: [front]}}", 'services.api.networks[0]: network "front" is not declared under the top-level networks'],
  ["undeclared network (map)", "services: {api: {image: x, networks: {back: {aliases: [db]}}}}", 'services.api.networks.back: network "back" is not declared under the top-level networks'],
  ["undeclared secret", "services: {api: {image: x, secrets: [token]}}", 'services.api.secrets[0]: secret "token" is not declared under the top-level secrets'],
  ["undeclared config", "services: {api: {image: x, configs: [{source: conf, target: /etc/app.conf}]}}", 'services.api.configs[0]: config "conf" is not declared under the top-level configs'],
  ["undeclared volume", 'services: {api: {image: x, volumes: ["data:/data"]}}', 'services.api.volumes[0]: volume "data" is not declared under the top-level volumes'],
  ["undeclared volume (long)", "services: {api: {image: x, volumes: [{type: volume, source: data, target: /data}]}}", 'services.api.volumes[0]: volume "data" is not declared under the top-level volumes'],
  ["replicas with global", "services: {api: {image: x, deploy: {mode: global, replicas: 2}}}", "services.api.deploy.replicas: cannot be set with mode: global (a global service runs one task on every eligible node)"],
  ["port published twice", 'services: {a: {image: x, ports: ["8080:80"]}, b: {image: z, ports: [{target: 81, published: 8080}]}}', "services.b.ports[0]: published port 8080/tcp is already used by services.a.ports[0]"],
  ["port in two ranges", 'services: {a: {image: x, ports: ["8000-8005:8000-8005", "8005:1"]}}', "services.a.ports[1]: published port 8005/tcp is already used by services.a.ports[0]"],
  ["ingress with dnsrr", "services: {a: {image: x, ports: [{target: 80, published: 80, mode: ingress}], deploy: {endpoint_mode: dnsrr}}}", "services.a.ports[0].mode: ingress publishing cannot be used with endpoint_mode: dnsrr (use mode: host)"],
  ["no image, no build", "services: {api: {command: [serve]}}", "services.api.image: is required (docker stack deploy runs an existing image; it does not build one)"],
  ["bad service name", 'services: {"my api": {image: x}}', 'services.my api: expected a service name of letters, digits, "-" and "_", starting and ending with a letter or digit (swarmkit: a DNS label), got "my api" (service "web_my api" on the swarm)'],
  ["service name with a dot, which swarmkit refuses", "services: {my.api: {image: x}}", 'services.my.api: expected a service name of letters, digits, "-" and "_", starting and ending with a letter or digit (swarmkit: a DNS label), got "my.api" (service "web_my.api" on the swarm)'],
  [
    "service name too long for a DNS label once prefixed with the stack",
    `services: {${"a".repeat(60)}: {image: x}}`,
    `services.${"a".repeat(60)}: expected a service name of at most 63 characters (swarmkit: a DNS label): this one may have at most 59, got "${"a".repeat(60)}" (service "web_${"a".repeat(60)}" on the swarm), 64 characters`,
  ],
  ["image with upper case in the repository", "services: {api: {image: Nginx:1.27}}", 'services.api.image: expected an image reference whose repository is in lower case (docker: "repository name must be lowercase"), got "Nginx:1.27"'],
  ["image with two tags", "services: {api: {image: \"nginx:1.27:latest\"}}", 'services.api.image: expected an image reference [registry[:port]/]repository[:tag][@digest], like "nginx:1.27" or "172.28.0.10:5000/team/app:2" (docker: "invalid reference format"), got "nginx:1.27:latest"'],
  ["external volume with a driver", "services: {api: {image: x}}\nvolumes: {data: {external: true, driver: local}}", 'volumes.data.driver: cannot be set on an external volume (docker: conflicting parameters "external" and "driver"): the volume exists already, with its own'],
  [
    "external network whose name conflicts with external.name",
    "services: {api: {image: x}}\nnetworks: {front: {name: edge, external: {name: traefik-public}}}",
    'networks.front.external.name: conflicts with networks.front.name (docker: "network.external.name and network.name conflict; only use network.name"): keep name: and external: true',
  ],
  ["network subnet that is not CIDR", "services: {api: {image: x}}\nnetworks: {back: {ipam: {config: [{subnet: 999.28.0.0/24}]}}}", 'networks.back.ipam.config[0].subnet: expected a CIDR subnet like 10.20.0.0/24 (each of the 4 numbers 0 to 255), got "999.28.0.0/24": 999 is over 255'],
  ["network subnet with host bits set", "services: {api: {image: x}}\nnetworks: {back: {ipam: {config: [{subnet: 10.20.0.5/24}]}}}", 'networks.back.ipam.config[0].subnet: expected a network address (no host bits set: docker refuses it), got "10.20.0.5/24": the network is 10.20.0.0/24'],
  ["network name docker refuses", "services: {api: {image: x}}\nnetworks: {back: {name: back.net}}", 'networks.back.name: expected a network name of letters, digits, "-" and "_", starting and ending with a letter or digit (swarmkit: a DNS label), got "back.net"'],
  ["volume name the local driver refuses", "services: {api: {image: x}}\nvolumes: {data: {name: _data}}", 'volumes.data.name: expected a volume name of at least 2 characters: letters, digits, "_", "." and "-", starting with a letter or digit (docker\'s local volume driver), got "_data"'],
  ["secret without source", "services: {api: {image: x}}\nsecrets: {token: {name: t}}", "secrets.token: expected exactly one of file, environment or external: true, got 0"],
  ["secret with two sources", "services: {api: {image: x}}\nsecrets: {token: {file: ./t, environment: T}}", "secrets.token: expected exactly one of file, environment or external: true, got 2"],
  ["config without source", "services: {api: {image: x}}\nconfigs: {conf: {}}", "configs.conf: expected exactly one of file or external: true, got 0"],
  ["network key typo", "services: {api: {image: x}}\nnetworks: {front: {drivr: overlay}}", 'networks.front: unknown key "drivr" (check the spelling; see the configuration reference in README.md)'],
  ["network external", "services: {api: {image: x}}\nnetworks: {front: {external: maybe}}", 'networks.front.external: expected true, false or a mapping with a name, got "maybe"'],
  ["version as number", "version: 3.8\nservices: {api: {image: x}}", "version: expected a string, got 3.8"],
  ["stack name", 'name: "My App"\nservices: {api: {image: x}}', 'name: expected a stack name of lower-case letters, digits, _ and - (starting with a letter or digit), got "My App"'],
  ["top-level typo", "services: {api: {image: x}}\nvolume: {}", 'unknown key "volume" (check the spelling; see the configuration reference in README.md)'],
  ["no services", "networks: {}", "services: is required (expected a mapping)"],
  ["not a mapping", "- a\n- b", "expected a mapping, got a list of 2"],
  ["expose host", "services: {api: {image: x, x-swarmlab: {expose: {host: not a host, port: 80}}}}", 'services.api.x-swarmlab.expose.host: expected a host name like "whoami.lab.local", got "not a host"'],
  ["expose port", "services: {api: {image: x, x-swarmlab: {expose: {host: a.lab.local}}}}", "services.api.x-swarmlab.expose.port: is required (expected a number)"],
  ["expose path", "services: {api: {image: x, x-swarmlab: {expose: {host: a.lab.local, port: 80, path: api}}}}", 'services.api.x-swarmlab.expose.path: expected a path starting with "/", got "api"'],
  ["x-swarmlab typo", "services: {api: {image: x, x-swarmlab: {expsoe: {}}}}", 'services.api.x-swarmlab: unknown key "expsoe" (check the spelling; see the configuration reference in README.md)'],
  ["yes is not a boolean (YAML 1.2)", "services: {api: {image: x, init: yes}}", 'services.api.init: expected true or false, got "yes"'],
  ["expose sticky", "services: {api: {image: x, x-swarmlab: {expose: {host: a.lab.local, port: 80, sticky: sometimes}}}}", 'services.api.x-swarmlab.expose.sticky: expected true or false, got "sometimes"'],
];

/** [what, stack file text, the message after "<file>" (YAML problems carry their line and column)] */
export const BAD_YAML_FILES: [string, string, string][] = [
  ["the file is empty", "", ": the file is empty: expected a stack file (services: ...)"],
  ["only a comment", "# to do\n", ": the file is empty: expected a stack file (services: ...)"],
  ["two YAML documents", "services: {a: {image: x}}\n---\nservices: {b: {image: y}}\n", ":2:1: one YAML document per stack file: this file has another after `---`; put each stack in a file of its own"],
  ["a duplicated key", "services:\n  api:\n    image: x\n    image: y\n", ':4:5: duplicate key "image": a key may appear once in a mapping (docker refuses the file)'],
  ["an unresolved alias", "services:\n  api:\n    image: *img\n", ":3:12: unresolved alias *img: no anchor &img is set before it"],
  ["a merge key that is not a mapping", "x-img: &img nginx\nservices:\n  api:\n    <<: *img\n    image: x\n", ":4:9: a merge key (<<) takes a mapping, an alias of one or a list of them"],
  [
    "an alias bomb",
    `x-a: &a [l, l, l, l, l, l, l, l, l]\n${["b", "c", "d", "e", "f"].map((k, i) => `x-${k}: &${k} [${Array(9).fill(`*${"abcde"[i]}`).join(", ")}]`).join("\n")}\nservices: {api: {image: x}}\n`,
    ":2:10: too many alias uses (an alias bomb?): the aliases of this file expand to more than swarmlab reads",
  ],
  ["a syntax error", "services:\n  api: {image: x\n", ":3:1: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }"],
];

/** [what, one swarmlab:stacks entry (the project is the working directory), the whole message] */
export const BAD_STACK_ENTRIES: [string, Record<string, unknown>, string][] = [
  [
    "an image override naming no service and no image of the stack",
    { name: "whoami", file: "stacks/whoami.yaml", images: { whoamii: "traefik/whoami:v1.10" } },
    'Pulumi.dev.yaml: swarmlab:stacks[0].images.whoamii: stacks/whoami.yaml has no service "whoamii" and none of its services runs the image "whoamii" (services: whoami)',
  ],
  ["a stack file that is a directory", { name: "web", file: "stacks" }, "Pulumi.dev.yaml: swarmlab:stacks[0].file: stacks is a directory: expected a stack file (compose YAML)"],
  [
    "a stack file that is not there",
    { name: "web", file: "stacks/nope.yaml" },
    "Pulumi.dev.yaml: swarmlab:stacks[0].file: cannot read the stack file stacks/nope.yaml: no such file (the path is relative to the project)",
  ],
];
