import type { PreparedStack } from "./deployment";

export interface Route {
  /** What a browser asks for once the host name resolves to Traefik (DNS or /etc/hosts). */
  url: string;
  /** What answers right now, without DNS: Traefik's own address with the Host header. */
  curl: string;
}

/**
 * The routes the stacks expose through Traefik (`x-swarmlab.expose`), keyed `<stack>/<service>`:
 * lab host names such as whoami.lab.local resolve nowhere, so each comes with a curl that works.
 */
export function exposedRoutes(stacks: PreparedStack[], traefik: { address: string; httpPort: number; httpsPort: number }): Record<string, Route> {
  const routes: Record<string, Route> = {};
  for (const s of stacks) {
    for (const [service, def] of Object.entries(s.stack.services)) {
      const expose = def["x-swarmlab"]?.expose;
      if (!expose) continue;
      const path = expose.path ?? "/";
      const [scheme, port, insecure] = expose.tls ? ["https", traefik.httpsPort, "-k "] : ["http", traefik.httpPort, ""];
      const at = (host: string, defaultPort: number) => `${scheme}://${host}${port === defaultPort ? "" : `:${port}`}${path}`;
      routes[`${s.name}/${service}`] = {
        url: at(expose.host, expose.tls ? 443 : 80),
        curl: `curl ${insecure}-H 'Host: ${expose.host}' ${at(traefik.address, expose.tls ? 443 : 80)}`,
      };
    }
  }
  return routes;
}
