/**
 * images/board/server.js: the board's HTTP server against a fake Docker Engine API on a unix
 * socket of a temp folder: the page and its assets, the snapshot as JSON, server-sent events (the
 * current snapshot at once, then each change, nothing when nothing changed), the error shown when
 * the engine refuses (not a manager), and the engine only asked with GET.
 */
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createBoard, dockerGet, sameView, type Board } from "../../images/board/server";
import type { Snapshot } from "../../images/board/snapshot";

const FIX = path.join(__dirname, "../fixtures/board");
const load = (f: string): unknown[] => JSON.parse(fs.readFileSync(path.join(FIX, f), "utf8"));

/** A fake Engine API: answers GET /nodes, /services, /tasks from `state`, or `refuse` with 503. */
function fakeDocker(socketPath: string) {
  const state = { nodes: load("nodes.json"), services: load("services.json"), tasks: load("tasks.json"), refuse: "" };
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const key = (req.url ?? "").replace(/^\/v[\d.]+/, "").replace(/\?.*$/, "").slice(1) as "nodes" | "services" | "tasks";
    if (state.refuse) {
      res.writeHead(503, { "Content-Type": "application/json" }).end(JSON.stringify({ message: state.refuse }));
      return;
    }
    if (req.method !== "GET" || !["nodes", "services", "tasks"].includes(key)) {
      res.writeHead(404).end(JSON.stringify({ message: "page not found" }));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(state[key]));
  });
  return {
    state,
    requests,
    listen: () => new Promise<void>((r) => server.listen(socketPath, () => r())),
    close: () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections(); // the board's keep-alive connections
      return closed;
    },
  };
}

/** Reads server-sent events from the board: each `event: snapshot` as a parsed snapshot. */
function events(port: number) {
  const got: Snapshot[] = [];
  let buf = "";
  let res: http.IncomingMessage | undefined;
  const req = http.get({ host: "127.0.0.1", port, path: "/events" }, (r) => {
    res = r;
    r.setEncoding("utf8");
    r.on("data", (c: string) => {
      buf += c;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split("\n").find((l) => l.startsWith("data: "));
        if (block.includes("event: snapshot") && data) got.push(JSON.parse(data.slice(6)) as Snapshot);
      }
    });
  });
  req.on("error", () => undefined);
  return { got, headers: () => res?.headers, close: () => req.destroy() };
}

const until = async (what: string, check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const get = (port: number, p: string) =>
  new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: p }, (r) => {
        let body = "";
        r.setEncoding("utf8");
        r.on("data", (c: string) => (body += c));
        r.on("end", () => resolve({ status: r.statusCode ?? 0, type: String(r.headers["content-type"] ?? ""), body }));
      })
      .on("error", reject);
  });

describe("the board's server", () => {
  let dir = "";
  let docker: ReturnType<typeof fakeDocker>;
  let board: Board;
  let port = 0;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "board-"));
    docker = fakeDocker(path.join(dir, "docker.sock"));
    await docker.listen();
    board = createBoard({ socketPath: path.join(dir, "docker.sock"), intervalMs: 50 });
    port = ((await board.listen(0, "127.0.0.1")) as AddressInfo).port;
  });

  afterEach(async () => {
    await board.close();
    await docker.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves the page and its script and style, and 404 for anything else", async () => {
    const page = await get(port, "/");
    expect(page.status).toBe(200);
    expect(page.type).toBe("text/html; charset=utf-8");
    expect(page.body).toContain('<script src="board.js"></script>');
    expect((await get(port, "/board.js")).type).toBe("text/javascript; charset=utf-8");
    expect((await get(port, "/board.css")).type).toBe("text/css; charset=utf-8");
    expect((await get(port, "/../server.js")).status).toBe(404);
    expect((await get(port, "/nope")).status).toBe(404);
  });

  it("reads nodes, services and tasks with GET only, and serves the snapshot as JSON once read", async () => {
    await until("a snapshot", () => board.snapshot() !== null);
    expect((await get(port, "/healthz")).status).toBe(200);
    const snap = JSON.parse((await get(port, "/api/snapshot")).body) as Snapshot;
    expect(snap.nodes.map((n) => n.name)).toEqual(["manager1", "worker1", "worker2"]);
    expect(snap.routes.map((r) => r.router)).toEqual(["whoami"]);
    expect(new Set(docker.requests)).toEqual(new Set(["GET /nodes", "GET /services", "GET /tasks"]));
  });

  it("pushes the current snapshot at once, then each change, and nothing while nothing changes", async () => {
    await until("a snapshot", () => board.snapshot() !== null);
    const es = events(port);
    try {
      await until("the first event", () => es.got.length === 1);
      expect(es.headers()?.["content-type"]).toBe("text/event-stream");
      expect(es.got[0].nodes.find((n) => n.name === "worker1")!.availability).toBe("drain");
      // several polls with the same answers: no new event
      const polls = board.polls();
      await until("three more polls", () => board.polls() >= polls + 3);
      expect(es.got).toHaveLength(1);
      // a rolling update goes on: whoami.3 moves to v2
      docker.state.tasks = (docker.state.tasks as { ID: string; Spec: { ContainerSpec: { Image: string } } }[]).map((t) =>
        t.ID === "t-old-3" ? { ...t, Spec: { ContainerSpec: { Image: "swarmlab/whoami:v2" } } } : t,
      );
      await until("the second event", () => es.got.length === 2);
      expect(es.got[1].nodes.find((n) => n.name === "worker2")!.tasks.map((t) => t.imageTag)).toEqual(["v2"]);
    } finally {
      es.close();
    }
  });

  it("sends every connected page the same snapshots and forgets a page that went away", async () => {
    await until("a snapshot", () => board.snapshot() !== null);
    const a = events(port);
    const b = events(port);
    await until("both connected", () => a.got.length === 1 && b.got.length === 1 && board.clients.size === 2);
    a.close();
    await until("a is forgotten", () => board.clients.size === 1);
    docker.state.nodes = (docker.state.nodes as { ID: string; Spec: object }[]).map((n) => (n.ID === "w1id" ? { ...n, Spec: { ...n.Spec, Availability: "active" } } : n));
    await until("b sees worker1 active", () => b.got.length === 2);
    expect(b.got[1].nodes.find((n) => n.name === "worker1")!.availability).toBe("active");
    b.close();
  });

  it("shows why it cannot read the swarm (a worker's engine refuses), and recovers when it can", async () => {
    docker.state.refuse = "This node is not a swarm manager.";
    await until("an error snapshot", () => !!board.snapshot()?.error);
    expect(board.snapshot()!.error).toContain("This node is not a swarm manager.");
    expect(board.snapshot()!.error).toContain("docker.sock");
    const health = await get(port, "/healthz");
    expect(health.status).toBe(503);
    expect(health.body).toContain("not a swarm manager");
    docker.state.refuse = "";
    await until("a good snapshot", () => board.snapshot()?.error === null);
    expect((await get(port, "/healthz")).status).toBe(200);
  });

  it("refuses what is not a read", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port, path: "/api/snapshot", method: "POST" }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(405);
  });
});

describe("dockerGet and sameView", () => {
  it("names the path and the engine's message on a refusal, and a missing socket", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "board-"));
    const docker = fakeDocker(path.join(dir, "docker.sock"));
    await docker.listen();
    try {
      await expect(dockerGet(path.join(dir, "docker.sock"), "/containers/json")).rejects.toThrow("GET /containers/json: 404 page not found");
      await expect(dockerGet(path.join(dir, "nothing.sock"), "/nodes")).rejects.toThrow(/ENOENT/);
    } finally {
      await docker.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("compares snapshots without their time", () => {
    const a = { time: "1", error: null, nodes: [], unassigned: [], services: [], routes: [] };
    expect(sameView(a, { ...a, time: "2" })).toBe(true);
    expect(sameView(a, { ...a, error: "x" })).toBe(false);
    expect(sameView(null, a)).toBe(false);
  });
});
