/**
 * components/addons/traefik.ts: Traefik's arguments, labels and stack, and the visualizer's stack,
 * as rendered for the swarm.
 */
import bcrypt from "bcryptjs";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BOARD_IMAGE, traefikSchema, visualizerSchema } from "../../components/config/cluster";
import { htpasswdLine } from "../../components/addons/registry";
import { TRAEFIK_STACK, dashboardLabels, traefikArgs, traefikCompose, visualizerCompose } from "../../components/addons/traefik";
import { DNSRR, rendered, VIP } from "../support/systemStacks";

const traefikCfg = (extra: Record<string, unknown> = {}) => traefikSchema.parse({ enabled: true, ...extra });

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

  it("runs swarmlab's board by default, the same way; its tag is the board's package version", () => {
    const cfg = visualizerSchema.parse({ enabled: true });
    expect(cfg.image).toBe(BOARD_IMAGE);
    const version = JSON.parse(fs.readFileSync(path.join(__dirname, "../../images/board/package.json"), "utf8")).version;
    expect(BOARD_IMAGE).toBe(`swarmlab/board:${version}`);
    const svc = JSON.parse(visualizerCompose(cfg)).services.visualizer;
    expect(svc.image).toBe("swarmlab/board:" + version);
    expect(svc.volumes).toEqual(["/var/run/docker.sock:/var/run/docker.sock:ro"]);
    expect(svc.deploy.placement.constraints).toEqual(["node.role == manager"]);
    // the old visualizer stays selectable
    expect(visualizerSchema.parse({ enabled: true, image: "dockersamples/visualizer" }).image).toBe("dockersamples/visualizer");
  });
});
