/**
 * components/stacks/schema/ (through parseStack and loadStackFile of components/stacks/load.ts):
 * which stack files are accepted, every refusal with its exact message, and the warnings for keys
 * `docker stack deploy` ignores. Port parsing on its own: stacks-schema-ports.test.ts.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/config/errors";
import { loadStackFile, parseStack } from "../../components/stacks/load";

import { BAD_STACK_FILES, BAD_YAML_FILES } from "./bad-inputs";

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

describe("bad stack files", () => {
  it(`has at least 35 cases (${BAD_STACK_FILES.length})`, () => expect(BAD_STACK_FILES.length).toBeGreaterThanOrEqual(35));

  it.each(BAD_STACK_FILES)("rejects %s", (_what, text, message) => {
    expect(() => parseStack(text, SRC)).toThrowError(ConfigError);
    expect(problemsOf(text)).toEqual([`${SRC}: ${message}`]);
  });

  it.each(BAD_YAML_FILES)("rejects YAML with %s, at its line and column", (_what, text, message) => {
    expect(problemsOf(text)).toEqual([`${SRC}${message}`]);
  });

  it("accepts what docker accepts: underscores in network and service names, spread over engine labels, a digest", () => {
    const text =
      "services:\n  my_api:\n    image: registry.lab:5000/team/api@sha256:" + "0".repeat(64) + "\n    networks: [app_net]\n    deploy: {placement: {preferences: [{spread: engine.labels.az}]}}\nnetworks:\n  app_net: {ipam: {config: [{subnet: 10.30.0.0/24}]}}\nvolumes:\n  db_data: {}\n";
    expect(() => parseStack(text, SRC)).not.toThrow();
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
