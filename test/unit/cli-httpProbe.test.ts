/**
 * cli/lib/httpProbe.ts: `npm run status` probes URLs, here against a local HTTP server.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpStatus } from "../../cli/lib/httpProbe";

describe("probing URLs", () => {
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.statusCode = req.headers.host?.startsWith("whoami.lab.local") && req.url === "/api" ? 200 : 404;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("a route is checked through Traefik's address with its own Host header", async () => {
    expect(await httpStatus({ url: `http://whoami.lab.local:${port}/api`, connectTo: "127.0.0.1" })).toBe("200");
    expect(await httpStatus({ url: `http://other.example:${port}/api`, connectTo: "127.0.0.1" })).toBe("404");
  });

  it("a closed port is `no answer (refused)`", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await httpStatus({ url: `http://127.0.0.1:${free}/` })).toBe("no answer (refused)");
  });
});
