/**
 * components/stacks/routes.ts: the URLs of the services a stack exposes through Traefik, with a curl
 * that works without DNS.
 */
import { describe, expect, it } from "vitest";
import { parseStack } from "../../components/stacks/load";
import { exposedRoutes } from "../../components/stacks/routes";
import type { PreparedStack } from "../../components/stacks/deployment";

describe("exposedRoutes", () => {
  const prepared = (name: string, text: string): PreparedStack => ({ name, file: `stacks/${name}.yaml`, stack: parseStack(text, `stacks/${name}.yaml`).stack, uploads: [], images: {}, warnings: [] });

  it("lists each exposed service with its URL and a curl that works without DNS", () => {
    const stacks = [
      prepared("whoami", "services: {whoami: {image: w, x-swarmlab: {expose: {host: whoami.lab.local, port: 80}}}, hidden: {image: h}}"),
      prepared("shop", "services: {api: {image: a, x-swarmlab: {expose: {host: shop.lab.local, port: 8080, path: /api, tls: true}}}}"),
    ];
    expect(exposedRoutes(stacks, { address: "172.28.0.10", httpPort: 80, httpsPort: 8443 })).toEqual({
      "whoami/whoami": { url: "http://whoami.lab.local/", curl: "curl -H 'Host: whoami.lab.local' http://172.28.0.10/" },
      "shop/api": { url: "https://shop.lab.local:8443/api", curl: "curl -k -H 'Host: shop.lab.local' https://172.28.0.10:8443/api" },
    });
    expect(exposedRoutes([stacks[0]], { address: "127.0.0.1", httpPort: 8000, httpsPort: 443 })["whoami/whoami"].curl).toBe("curl -H 'Host: whoami.lab.local' http://127.0.0.1:8000/");
  });
});
