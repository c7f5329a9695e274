import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/config/errors";
import { loadStackFile, parseStack } from "../../components/stacks/load";

const SRC = "stacks/web.yaml";
const stacksDir = path.resolve(__dirname, "../../stacks");

/** The ConfigError a text raises, as its message lines. */
function problemsOf(text: string): string[] {
  try {
    parseStack(text, SRC);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n");
    throw err;
  }
  throw new Error("expected the stack to be rejected");
}

// A realistic stack written for `docker stack deploy` by hand, with a version line, anchors and
// extension fields, Traefik labels written out, secrets and configs.
const monitoring = `
version: "3.8"

x-defaults: &defaults
  restart_policy:
    condition: on-failure
    delay: 5s
    max_attempts: 3
    window: 120s
  update_config:
    parallelism: 1
    delay: 10s
    order: start-first

services:
  prometheus:
    image: prom/prometheus:v2.53.0
    command:
      - --config.file=/etc/prometheus/prometheus.yml
      - --storage.tsdb.retention.time=15d
    configs:
      - source: prometheus_config
        target: /etc/prometheus/prometheus.yml
    volumes:
      - prometheus-data:/prometheus
    networks:
      - monitoring
      - traefik-public
    deploy:
      <<: *defaults
      placement:
        constraints: [node.role==manager]
      resources:
        limits: {cpus: "1", memory: 1G}
        reservations: {memory: 256M}
      labels:
        - traefik.enable=true
        - traefik.http.routers.prometheus.rule=Host(\`prometheus.example.com\`)
        - traefik.http.services.prometheus.loadbalancer.server.port=9090
  grafana:
    image: grafana/grafana:11.1.0
    environment:
      - GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana_admin
      - GF_USERS_ALLOW_SIGN_UP=false
    secrets:
      - source: grafana_admin
        mode: 0400
        uid: "472"
    volumes:
      - type: volume
        source: grafana-data
        target: /var/lib/grafana
    networks:
      monitoring:
        aliases: [dashboards]
      traefik-public:
    deploy:
      <<: *defaults
      replicas: 1
      placement:
        constraints:
          - node.labels.monitoring == true
  node-exporter:
    image: prom/node-exporter:v1.8.1
    command: ["--path.rootfs=/host"]
    volumes:
      - /:/host:ro,rslave
    ports:
      - target: 9100
        published: 9100
        mode: host
    networks: [monitoring]
    deploy:
      mode: global
      resources:
        limits: {memory: 64M}
  cadvisor:
    image: gcr.io/cadvisor/cadvisor:v0.49.1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - /sys:/sys:ro
    networks: [monitoring]
    logging:
      driver: json-file
      options: {max-size: 10m, max-file: "3"}
    deploy:
      mode: global
      endpoint_mode: dnsrr

networks:
  monitoring:
    driver: overlay
    attachable: true
  traefik-public:
    external: true

volumes:
  prometheus-data:
  grafana-data:
    driver: local

configs:
  prometheus_config:
    file: ./prometheus.yml

secrets:
  grafana_admin:
    external: true
`;

describe("good stack files", () => {
  it.each(["whoami.yaml", "visualizer.yaml", "vote.yaml"])("loads the shipped stacks/%s without warnings", (file) => {
    const loaded = loadStackFile(path.join(stacksDir, file));
    expect(loaded.name).toBe(file.replace(".yaml", ""));
    expect(loaded.warnings).toEqual([]);
    expect(Object.keys(loaded.stack.services).length).toBeGreaterThan(0);
  });

  it("loads a real-world version 3.8 stack (anchors, extension fields, long and short syntax)", () => {
    const loaded = parseStack(monitoring, "stacks/monitoring.yaml");
    expect(loaded.name).toBe("monitoring");
    expect(loaded.warnings).toEqual([]);
    const grafana = loaded.stack.services.grafana;
    expect(grafana.secrets).toEqual([{ source: "grafana_admin", mode: 0o400, uid: "472" }]);
    expect(grafana.deploy?.restart_policy?.window).toBe("120s");
    expect(loaded.stack.services["node-exporter"].deploy?.mode).toBe("global");
  });

  it("accepts stacks without version, with any version string, and x-* keys everywhere", () => {
    expect(parseStack("services: {web: {image: nginx}}", SRC).stack.services.web.image).toBe("nginx");
    expect(parseStack('version: "3"\nservices: {web: {image: nginx}}', SRC).warnings).toEqual([]);
    const text = "x-note: hi\nservices:\n  web:\n    image: nginx\n    x-owner: me\nnetworks:\n  n: {x-why: because}\n";
    expect(parseStack(text, SRC).stack.services.web).toEqual({ image: "nginx" });
  });

  it("accepts the short syntaxes of ports, volumes, networks, secrets and environment", () => {
    const text = `
services:
  web:
    image: nginx
    ports: [80, "8080:81", "9000-9001:9000-9001/udp", "127.0.0.1:7000:7000"]
    environment: [A=1, B]
    volumes: ["data:/data:nocopy", "/etc/hosts:/etc/hosts:ro", /tmp/anon]
    networks: [front]
    secrets: [token]
    extra_hosts: {db: 10.0.0.5}
    deploy: {mode: global, placement: {constraints: ["engine.labels.ssd != false", "node.hostname==lab-1", "node.platform.os == linux"]}}
networks: {front: }
volumes: {data: }
secrets: {token: {environment: TOKEN}}
`;
    const { stack, warnings } = parseStack(text, SRC);
    expect(stack.services.web.ports).toHaveLength(4);
    expect(warnings).toEqual(['stacks/web.yaml: services.web.ports[3]: the host IP 127.0.0.1 has no effect on a swarm (docker stack deploy ignores it)']);
  });

  it("reads YAML like docker: merge keys, 0440 as octal, yes/y/on as text", () => {
    const text = "x-env: &env {A: yes, B: y, C: on}\nservices:\n  a:\n    image: x\n    environment: {<<: *env, D: 0440}\n";
    expect(parseStack(text, SRC).stack.services.a.environment).toEqual({ A: "yes", B: "y", C: "on", D: 0o440 });
  });

  it("names the stack from opts, then from name:, then from the file name", () => {
    expect(parseStack("services: {a: {image: x}}", "stacks/web.yaml").name).toBe("web");
    expect(parseStack("name: shop\nservices: {a: {image: x}}", "stacks/web.yaml").name).toBe("shop");
    expect(parseStack("name: shop\nservices: {a: {image: x}}", "stacks/web.yaml", { name: "other" }).name).toBe("other");
  });
});

// Each: what is wrong, the stack text, the exact message.
const bad: [string, string, string][] = [
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
  ["spread preference", "services: {api: {image: x, deploy: {placement: {preferences: [{spread: zone}]}}}}", 'services.api.deploy.placement.preferences[0].spread: expected a node attribute like "node.labels.zone", got "zone"'],
  ["service key typo", "services: {api: {image: x, imgae: y}}", 'services.api: unknown key "imgae" (check the spelling; see the configuration reference in README.md)'],
  ["port text", 'services: {api: {image: x, ports: ["80:abc"]}}', 'services.api.ports[0]: expected a port like "80", "8080:80", "8080:80/udp" or "8000-8010:8000-8010", got "80:abc"'],
  ["port ranges", 'services: {api: {image: x, ports: ["8000-8010:80-81"]}}', 'services.api.ports[0]: expected a published range as long as the target range, got "8000-8010:80-81"'],
  ["port out of range", 'services: {api: {image: x, ports: ["70000:80"]}}', 'services.api.ports[0]: expected ports between 1 and 65535 (ranges low-high), got "70000:80"'],
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
  ["bad service name", 'services: {"my api": {image: x}}', 'services.my api: expected a service name of letters, digits, ".", "_" and "-", got "my api"'],
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

describe("bad stack files", () => {
  it(`has at least 35 cases (${bad.length})`, () => expect(bad.length).toBeGreaterThanOrEqual(35));

  it.each(bad)("rejects %s", (_what, text, message) => {
    expect(() => parseStack(text, SRC)).toThrowError(ConfigError);
    expect(problemsOf(text)).toEqual([`${SRC}: ${message}`]);
  });

  it("reports every field problem at once, as problems and as one message", () => {
    const text = "services:\n  api:\n    image: x\n    deploy: {replicas: two, mode: both}\n    command: 5\n  db:\n    imgae: postgres\n";
    let error: ConfigError | undefined;
    try {
      parseStack(text, SRC);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems).toEqual([
      { source: SRC, path: "services.api.command", message: "expected a string or a list of strings, got 5" },
      { source: SRC, path: "services.api.deploy.mode", message: 'expected "replicated" | "global", got "both"' },
      { source: SRC, path: "services.api.deploy.replicas", message: 'expected a number, got "two"' },
      { source: SRC, path: "services.db", message: 'unknown key "imgae" (check the spelling; see the configuration reference in README.md)' },
      { source: SRC, path: "services.db.image", message: "is required (docker stack deploy runs an existing image; it does not build one)" },
    ]);
    expect(error?.message).toBe([
      'stacks/web.yaml: services.api.command: expected a string or a list of strings, got 5',
      'stacks/web.yaml: services.api.deploy.mode: expected "replicated" | "global", got "both"',
      'stacks/web.yaml: services.api.deploy.replicas: expected a number, got "two"',
      'stacks/web.yaml: services.db: unknown key "imgae" (check the spelling; see the configuration reference in README.md)',
      "stacks/web.yaml: services.db.image: is required (docker stack deploy runs an existing image; it does not build one)",
    ].join("\n"));
  });

  it("reports field problems and cross-field problems together, even in the same service", () => {
    const text = `
services:
  web: {image: nginx, ports: ["80:80", "bad port"], networks: [front], deploy: {replicas: two}}
  api: {image: api, ports: ["80:8080"], secrets: [tls], stop_grace_period: soon}
`;
    expect(problemsOf(text)).toEqual([
      // the fields' problems first, in the file's order, then the rules across fields
      'stacks/web.yaml: services.web.ports[1]: expected a port like "80", "8080:80", "8080:80/udp" or "8000-8010:8000-8010", got "bad port"',
      'stacks/web.yaml: services.web.deploy.replicas: expected a number, got "two"',
      'stacks/web.yaml: services.api.stop_grace_period: expected a duration like "10s" or "1m30s", got "soon"',
      'stacks/web.yaml: services.web.networks[0]: network "front" is not declared under the top-level networks',
      'stacks/web.yaml: services.api.secrets[0]: secret "tls" is not declared under the top-level secrets',
      'stacks/web.yaml: services.api.ports[0]: published port 80/tcp is already used by services.web.ports[0]',
    ]);
  });

  it("reports every cross-reference problem at once", () => {
    const text = `
services:
  web: {image: nginx, ports: ["80:80"], networks: [front], secrets: [tls]}
  api: {ports: ["80:8080"], deploy: {mode: global, replicas: 3}}
`;
    expect(problemsOf(text)).toEqual([
      'stacks/web.yaml: services.web.networks[0]: network "front" is not declared under the top-level networks',
      'stacks/web.yaml: services.web.secrets[0]: secret "tls" is not declared under the top-level secrets',
      "stacks/web.yaml: services.api.image: is required (docker stack deploy runs an existing image; it does not build one)",
      "stacks/web.yaml: services.api.deploy.replicas: cannot be set with mode: global (a global service runs one task on every eligible node)",
      "stacks/web.yaml: services.api.ports[0]: published port 80/tcp is already used by services.web.ports[0]",
    ]);
  });

  it("allows the same published port with another protocol", () => {
    expect(() => parseStack('services: {dns: {image: x, ports: ["53:53", "53:53/udp"]}}', SRC)).not.toThrow();
  });

  it("reports YAML syntax errors with line and column", () => {
    expect(problemsOf("services:\n  api:\n    image: a: b\n")).toEqual([
      "stacks/web.yaml:3:12: invalid YAML: Nested mappings are not allowed in compact mappings",
    ]);
  });

  it("rejects a file name that is not a stack name", () => {
    expect(() => parseStack("services: {a: {image: x}}", "stacks/My Stack.yaml")).toThrowError(
      'stacks/My Stack.yaml: name: expected a stack name of lower-case letters, digits, _ and - (starting with a letter or digit), got "My Stack"',
    );
  });

  it("reports a missing file", () => {
    expect(() => loadStackFile("stacks/nope.yaml")).toThrowError(/^stacks\/nope\.yaml: cannot read the stack file \(ENOENT/);
  });
});

describe("warnings for keys docker stack deploy ignores", () => {
  it("warns (never errors) for each ignored key, with advice where there is some", () => {
    const text = `
services:
  db:
    image: postgres
    depends_on: [cache]
    container_name: db
    restart: always
  cache:
    image: redis
    build: ./cache
    privileged: true
    expose: ["6379"]
`;
    expect(parseStack(text, SRC).warnings).toEqual([
      "stacks/web.yaml: services.db.container_name: has no effect on a swarm (docker stack deploy ignores it)",
      "stacks/web.yaml: services.db.depends_on: has no effect on a swarm (docker stack deploy ignores it)",
      "stacks/web.yaml: services.db.restart: has no effect on a swarm (docker stack deploy ignores it); use deploy.restart_policy",
      "stacks/web.yaml: services.cache.build: docker stack deploy ignores it: swarmlab builds the image and pushes it to the cluster registry when the cluster has one (swarmlab:registry), unless an image override names the service",
      "stacks/web.yaml: services.cache.expose: has no effect on a swarm (docker stack deploy ignores it); services on the same network reach each other on every port",
      "stacks/web.yaml: services.cache.privileged: has no effect on a swarm (docker stack deploy ignores it)",
    ]);
  });

  it("accepts a service with build and no image (with a warning), since an image override may name it", () => {
    expect(parseStack("services: {app: {build: .}}", SRC).warnings).toEqual([
      "stacks/web.yaml: services.app.build: docker stack deploy ignores it: swarmlab builds the image and pushes it to the cluster registry when the cluster has one (swarmlab:registry), unless an image override names the service",
    ]);
  });

  it("does not warn about version or x-* keys", () => {
    expect(parseStack('version: "3.9"\nx-a: 1\nservices: {a: {image: x, x-b: 2}}', SRC).warnings).toEqual([]);
  });
});
