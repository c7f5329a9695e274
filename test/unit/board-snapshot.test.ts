/**
 * images/board/snapshot.js: the board's view model, from the Engine API's JSON (fixtures in
 * test/fixtures/board, shaped like GET /nodes, /services and /tasks of dockerd 20.10) to what the
 * page renders. Pure: no socket, no server.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { buildSnapshot, errorSnapshot, imageName, imageTag, serviceColor, traefikRoutes } from "../../images/board/snapshot";

const FIX = path.join(__dirname, "../fixtures/board");
const load = (f: string): unknown[] => JSON.parse(fs.readFileSync(path.join(FIX, f), "utf8"));
const api = () => ({ nodes: load("nodes.json"), services: load("services.json"), tasks: load("tasks.json") });
const NOW = "2026-12-05T07:00:07.000Z";

describe("imageTag and imageName", () => {
  it.each([
    ["swarmlab/whoami:v2", "v2"],
    ["swarmlab/whoami", "latest"],
    ["10.0.0.2:5000/agent", "latest"],
    ["10.0.0.2:5000/agent:1.2", "1.2"],
    ["swarmlab/whoami:v2@sha256:0011223344556677", "v2"],
    ["swarmlab/whoami@sha256:0011223344556677889900", "@001122334455"],
    ["", ""],
  ])("%s -> tag %s", (ref, tag) => {
    expect(imageTag(ref)).toBe(tag);
  });

  it("drops the digest from the name", () => {
    expect(imageName("swarmlab/whoami:v2@sha256:0011")).toBe("swarmlab/whoami:v2");
    expect(imageName("10.0.0.2:5000/agent")).toBe("10.0.0.2:5000/agent");
  });
});

describe("serviceColor", () => {
  it("is stable per service and differs between services", () => {
    expect(serviceColor("whoami")).toBe(serviceColor("whoami"));
    expect(serviceColor("whoami")).toMatch(/^hsl\(\d{1,3} 65% 45%\)$/);
    expect(serviceColor("whoami")).not.toBe(serviceColor("vote_redis"));
  });
});

describe("buildSnapshot", () => {
  const snap = buildSnapshot(api(), { now: NOW });

  it("has one node per swarm node, managers first then by name, with role, leader, availability, labels and state", () => {
    expect(snap.time).toBe(NOW);
    expect(snap.error).toBeNull();
    expect(snap.nodes.map(({ tasks: _t, ...n }) => n)).toEqual([
      { id: "m1id", name: "manager1", role: "manager", leader: true, reachability: "reachable", availability: "active", state: "ready", addr: "172.31.100.2", labels: {}, engine: "20.10.24+dfsg1" },
      { id: "w1id", name: "worker1", role: "worker", leader: false, reachability: "", availability: "drain", state: "ready", addr: "172.31.100.3", labels: { zone: "a" }, engine: "20.10.24+dfsg1" },
      { id: "w2id", name: "worker2", role: "worker", leader: false, reachability: "", availability: "active", state: "down", addr: "172.31.100.4", labels: { zone: "b" }, engine: "20.10.24+dfsg1" },
    ]);
  });

  it("puts each task the swarm wants (or that still runs on its way out) on its node, by service then slot", () => {
    const tasks = Object.fromEntries(snap.nodes.map((n) => [n.name, n.tasks.map((t) => `${t.name} ${t.imageTag} ${t.state}${t.leaving ? " leaving" : ""}`)]));
    expect(tasks).toEqual({
      manager1: ["agent latest running", "swarmlab-visualizer_visualizer.1 0.1.0 running", "whoami.1 v2 running", "whoami.2 v2 preparing"],
      // the old task of slot 2 still runs while it is shut down (a rolling update, a drain): shown, leaving
      worker1: ["whoami.2 latest running leaving"],
      worker2: ["whoami.3 latest running"],
    });
    // finished tasks (shutdown, failed) are not shown
    const ids = snap.nodes.flatMap((n) => n.tasks.map((t) => t.id));
    expect(ids).not.toContain("t-old-1");
    expect(ids).not.toContain("t-failed");
  });

  it("keeps a task that has no node yet apart, with the scheduler's reason", () => {
    expect(snap.unassigned).toEqual([
      expect.objectContaining({ id: "t-pending-4", name: "whoami.4", imageTag: "v2", state: "pending", message: "no suitable node (1 node not available for new tasks)" }),
    ]);
  });

  it("colours a task as its service, and gives each task its image without the digest", () => {
    const whoami = snap.nodes[0].tasks.find((t) => t.id === "t-new-1")!;
    expect(whoami).toEqual({
      id: "t-new-1",
      service: "whoami",
      slot: 1,
      name: "whoami.1",
      image: "swarmlab/whoami:v2",
      imageTag: "v2",
      state: "running",
      desiredState: "running",
      leaving: false,
      message: "started",
      since: "2026-12-05T07:00:05Z",
      color: serviceColor("whoami"),
    });
  });

  it("lists the services by name with their image, mode, wanted and running tasks and update state", () => {
    expect(snap.services.map((s) => [s.name, s.image, s.imageTag, s.mode, s.replicas, s.running, s.update?.state ?? null, s.stack])).toEqual([
      ["agent", "10.0.0.2:5000/agent", "latest", "global", null, 1, null, ""],
      ["swarmlab-visualizer_visualizer", "swarmlab/board:0.1.0", "0.1.0", "replicated", 1, 1, null, "swarmlab-visualizer"],
      ["whoami", "swarmlab/whoami:v2", "v2", "replicated", 3, 2, "updating", ""],
    ]);
  });

  it("lists the Traefik routers of enabled services", () => {
    expect(snap.routes).toEqual([
      { router: "whoami", rule: "Host(`whoami.lab.local`)", service: "whoami", entrypoints: ["web", "websecure"], tls: true, color: serviceColor("whoami") },
    ]);
  });

  it("shows a drained node empty once its tasks stopped", () => {
    const drained = api();
    drained.tasks = (drained.tasks as { ID: string; NodeID?: string; Status: { State: string } }[]).map((t) =>
      t.NodeID === "w1id" ? { ...t, DesiredState: "shutdown", Status: { ...t.Status, State: "shutdown" } } : t,
    );
    expect(buildSnapshot(drained).nodes.find((n) => n.name === "worker1")!.tasks).toEqual([]);
  });

  it("copes with empty and partial answers", () => {
    expect(buildSnapshot({ nodes: [], services: [], tasks: [] }, { now: NOW })).toEqual({ time: NOW, error: null, nodes: [], unassigned: [], services: [], routes: [] });
    const bare = buildSnapshot({ nodes: [{ ID: "x" }], tasks: [{ ID: "t", NodeID: "x", DesiredState: "running", ServiceID: "gone" }] });
    expect(bare.nodes[0]).toMatchObject({ name: "x", role: "worker", availability: "active", state: "unknown", leader: false });
    expect(bare.nodes[0].tasks[0]).toMatchObject({ service: "gone", name: "t", state: "unknown", imageTag: "" });
  });
});

describe("traefikRoutes and errorSnapshot", () => {
  it("reads every router of an enabled service, sorted; services without traefik.enable=true are not routed", () => {
    const routes = traefikRoutes([
      { Spec: { Name: "off", Labels: { "traefik.http.routers.off.rule": "Path(`/off`)" } } },
      { Spec: { Name: "web", Labels: { "traefik.enable": "true", "traefik.http.routers.b.rule": "Path(`/b`)", "traefik.http.routers.a.rule": "Path(`/a`)", "traefik.http.routers.a.middlewares": "x" } } },
      { Spec: { Name: "plain" } },
    ]);
    expect(routes.map((r) => [r.router, r.rule, r.service, r.entrypoints, r.tls])).toEqual([
      ["a", "Path(`/a`)", "web", [], false],
      ["b", "Path(`/b`)", "web", [], false],
    ]);
  });

  it("an error snapshot is empty and says why", () => {
    expect(errorSnapshot("not a manager", { now: NOW })).toEqual({ time: NOW, error: "not a manager", nodes: [], unassigned: [], services: [], routes: [] });
  });
});
