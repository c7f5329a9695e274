import type { TraefikConfig } from "../config/cluster";

export const TRAEFIK_STACK = "swarmlab-traefik";

/** The command line of Traefik v3 with the swarm provider (v2's `providers.docker.swarmMode` is gone). */
export function traefikArgs(cfg: TraefikConfig): string[] {
  const args = [
    "--providers.swarm=true",
    "--providers.swarm.endpoint=unix:///var/run/docker.sock",
    "--providers.swarm.exposedByDefault=false",
    `--providers.swarm.network=${cfg.network}`,
    `--entrypoints.web.address=:${80}`,
    `--entrypoints.websecure.address=:${443}`,
    "--accesslog=true",
    "--log.level=INFO",
    "--ping=true",
  ];
  // API, dashboard and ping share the entrypoint Traefik names "traefik" (:8080): a second one on 8080 would clash.
  if (cfg.dashboard) args.push("--api.dashboard=true", "--entrypoints.traefik.address=:8080");
  if (cfg.acme) {
    const r = cfg.acme.resolver;
    args.push(
      `--certificatesresolvers.${r}.acme.email=${cfg.acme.email}`,
      `--certificatesresolvers.${r}.acme.storage=/acme/acme.json`,
      `--certificatesresolvers.${r}.acme.httpchallenge.entrypoint=web`,
    );
    if (cfg.acme.staging) args.push(`--certificatesresolvers.${r}.acme.caserver=https://acme-staging-v02.api.letsencrypt.org/directory`);
  }
  return args;
}

/** Where the htpasswd line of `dashboardAuth` is mounted in the Traefik container (a swarm secret). */
export const DASHBOARD_USERS_FILE = "/run/secrets/dashboard-users";

/** Labels that serve Traefik's own dashboard and API on the dashboard entrypoint, behind basic auth when asked. */
export function dashboardLabels(withAuth = false): Record<string, string> {
  return {
    "traefik.enable": "true",
    "traefik.http.routers.swarmlab-dashboard.rule": "PathPrefix(`/api`) || PathPrefix(`/dashboard`)",
    "traefik.http.routers.swarmlab-dashboard.entrypoints": "traefik",
    "traefik.http.routers.swarmlab-dashboard.service": "api@internal",
    // The swarm provider needs a port label on every enabled service, even one served internally.
    "traefik.http.services.swarmlab-dashboard.loadbalancer.server.port": "8080",
    ...(withAuth
      ? {
          "traefik.http.routers.swarmlab-dashboard.middlewares": "swarmlab-dashboard-auth",
          "traefik.http.middlewares.swarmlab-dashboard-auth.basicauth.usersfile": DASHBOARD_USERS_FILE,
        }
      : {}),
  };
}

/**
 * Traefik as a compose stack: on a manager (it reads the swarm API through the socket), attached to
 * the public overlay network. With ACME it runs one replica pinned to one manager, where the
 * certificate store's volume lives. With dashboardAuth the users file is a swarm secret whose
 * content comes from the environment variable TRAEFIK_DASHBOARD_USERS (content-hashed name).
 */
export function traefikCompose(cfg: TraefikConfig, pinnedManager: string): string {
  const withAuth = cfg.dashboard && !!cfg.dashboardAuth;
  const ports: [number, number][] = [
    [80, cfg.httpPort],
    [443, cfg.httpsPort],
    ...(cfg.dashboard ? ([[8080, cfg.dashboardPort]] as [number, number][]) : []),
  ];
  const constraints = ["node.role == manager", ...(cfg.acme ? [`node.hostname == ${pinnedManager}`] : [])];
  const doc = {
    services: {
      traefik: {
        image: cfg.image,
        command: traefikArgs(cfg),
        ports: ports.map(([target, published]) => ({ target, published, protocol: "tcp" })),
        volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro", ...(cfg.acme ? ["traefik-acme:/acme"] : [])],
        networks: [cfg.network],
        ...(withAuth ? { secrets: [{ source: "dashboard-users", target: "dashboard-users", mode: 0o400 }] } : {}),
        deploy: {
          replicas: 1,
          placement: { constraints },
          labels: cfg.dashboard ? dashboardLabels(withAuth) : {},
          restart_policy: { condition: "any", delay: "2s" },
          update_config: { order: "stop-first" },
        },
      },
    },
    networks: { [cfg.network]: { external: true } },
    ...(cfg.acme ? { volumes: { "traefik-acme": {} } } : {}),
    ...(withAuth ? { secrets: { "dashboard-users": { environment: "TRAEFIK_DASHBOARD_USERS" } } } : {}),
  };
  return JSON.stringify(doc, null, 2);
}

/**
 * The visualizer: swarmlab's board by default (or dockersamples/visualizer, also on 8080), one replica on a
 * manager (it reads nodes, services and tasks, which only managers answer), the docker socket read-only.
 */
export function visualizerCompose(cfg: { image: string; port: number }): string {
  return JSON.stringify(
    {
      services: {
        visualizer: {
          image: cfg.image,
          ports: [{ target: 8080, published: cfg.port, protocol: "tcp" }],
          volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"],
          deploy: { replicas: 1, placement: { constraints: ["node.role == manager"] } },
        },
      },
    },
    null,
    2,
  );
}
