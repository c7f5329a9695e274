/**
 * The URLs Traefik serves, read from the swarm: the Host rules in service labels
 * (`traefik.http.routers.<router>.rule`), on the ports where the Traefik service publishes its
 * entrypoints (`--entrypoints.<name>.address=:<port>` in its arguments).
 */
import type { DockerService } from "./swarmState";

export interface Route {
  /** The swarm service the router sends to. */
  service: string;
  router: string;
  /** What a browser opens: `http://whoami.lab.local/`, `https://app.example:8443/api`. */
  url: string;
}

/** The quoted arguments of every `Name(...)` matcher in a rule: `` Host(`a`) || Host(`b`) `` -> a, b. */
function matcherArgs(rule: string, name: string): string[] {
  const out: string[] = [];
  for (const call of rule.matchAll(new RegExp(`\\b${name}\\(([^)]*)\\)`, "g"))) {
    for (const arg of call[1].matchAll(/[`"]([^`"]+)[`"]/g)) out.push(arg[1]);
  }
  return out;
}

/** The host names a rule matches exactly (HostRegexp and HostSNI are not URLs to open). */
export function ruleHosts(rule: string): string[] {
  return matcherArgs(rule, "Host");
}

/** The path a rule starts at: its first Path or PathPrefix, else `/`. */
export function rulePath(rule: string): string {
  return [...matcherArgs(rule, "Path"), ...matcherArgs(rule, "PathPrefix")][0] ?? "/";
}

/** Entrypoint name -> the port Traefik's service publishes it on, from the first service that defines entrypoints. */
export function entrypointPorts(services: DockerService[]): Map<string, number> {
  const ports = new Map<string, number>();
  for (const svc of services) {
    const args = svc.Spec.TaskTemplate?.ContainerSpec?.Args ?? [];
    for (const arg of args) {
      const m = arg.match(/^--entrypoints\.([^.]+)\.address=.*:(\d+)(?:\/\w+)?$/);
      const published = m && svc.Endpoint?.Ports?.find((p) => p.TargetPort === Number(m[2]) && p.Protocol === "tcp")?.PublishedPort;
      if (m && published) ports.set(m[1], published);
    }
    if (ports.size) return ports;
  }
  return ports;
}

/**
 * The entrypoints a router listens on: its `entrypoints` label, else (Traefik's default: all of
 * them) the one a user would open: websecure for a TLS router, web otherwise.
 */
function routerEntrypoints(labels: Record<string, string>, router: string, known: Map<string, number>): string[] {
  const named = labels[`traefik.http.routers.${router}.entrypoints`];
  if (named) return named.split(",").map((e) => e.trim()).filter(Boolean);
  const tls = labels[`traefik.http.routers.${router}.tls`] === "true";
  const preferred = tls ? "websecure" : "web";
  return known.has(preferred) ? [preferred] : [...known.keys()].slice(0, 1);
}

function urlOf(scheme: "http" | "https", host: string, port: number, path: string): string {
  const defaultPort = scheme === "https" ? 443 : 80;
  return `${scheme}://${host}${port === defaultPort ? "" : `:${port}`}${path.startsWith("/") ? path : `/${path}`}`;
}

/** Every URL of every router with a Host rule on an enabled service, sorted by service then URL, without repeats. */
export function traefikRoutes(services: DockerService[]): Route[] {
  const ports = entrypointPorts(services);
  const routes = new Map<string, Route>();
  for (const svc of services) {
    const labels = svc.Spec.Labels;
    if (labels["traefik.enable"] !== "true") continue;
    for (const [key, rule] of Object.entries(labels)) {
      const router = key.match(/^traefik\.http\.routers\.([^.]+)\.rule$/)?.[1];
      if (!router) continue;
      const scheme = labels[`traefik.http.routers.${router}.tls`] === "true" ? "https" : "http";
      for (const entrypoint of routerEntrypoints(labels, router, ports)) {
        const port = ports.get(entrypoint);
        if (port === undefined) continue;
        for (const host of ruleHosts(rule)) {
          const url = urlOf(scheme, host, port, rulePath(rule));
          routes.set(`${svc.Spec.Name} ${url}`, { service: svc.Spec.Name, router, url });
        }
      }
    }
  }
  return [...routes.values()].sort((a, b) => a.service.localeCompare(b.service) || a.url.localeCompare(b.url));
}
