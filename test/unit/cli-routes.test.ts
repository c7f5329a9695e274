/**
 * cli/lib/routes.ts: the Traefik routes `npm run status` lists, read from the services of the swarm
 * of test/support/swarmStateFixture.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { entrypointPorts, ruleHosts, rulePath, traefikRoutes } from "../../cli/lib/routes";
import type { SwarmState } from "../../cli/lib/swarmState";
import { sampleState } from "../support/swarmStateFixture";

let state: SwarmState;
beforeAll(() => {
  state = sampleState();
});

describe("Traefik routes", () => {
  it("hosts and path of a rule", () => {
    expect(ruleHosts("Host(`a.example`)")).toEqual(["a.example"]);
    expect(ruleHosts('Host("a.example") || Host(`b.example`)')).toEqual(["a.example", "b.example"]);
    expect(ruleHosts("HostRegexp(`^.+\\.example$`) || HostSNI(`*`)")).toEqual([]);
    expect(rulePath("Host(`a`) && PathPrefix(`/api`)")).toBe("/api");
    expect(rulePath("Host(`a`) && Path(`/exact`)")).toBe("/exact");
    expect(rulePath("Host(`a`)")).toBe("/");
  });

  it("entrypoints are read from Traefik's own arguments and published ports", () => {
    expect(Object.fromEntries(entrypointPorts(state.services))).toEqual({ web: 8000, websecure: 443, traefik: 8080 });
    expect(entrypointPorts([])).toEqual(new Map());
  });

  it("one URL per Host rule of an enabled service, on its entrypoint's published port; TLS routers are https", () => {
    expect(traefikRoutes(state.services)).toEqual([
      { service: "shop_web", router: "shop_web-http", url: "http://shop.example:8000/api" },
      { service: "shop_web", router: "shop_web", url: "https://shop.example/api" },
      { service: "whoami_whoami", router: "whoami_whoami", url: "http://whoami.lab.local:8000/" },
    ]);
  });
});
