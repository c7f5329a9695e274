"use strict";
/**
 * swarmlab's board: a small HTTP server, no dependencies. Every `intervalMs` it asks the Docker
 * Engine API (over the unix socket, read-only use: GET only) for nodes, services and tasks, builds
 * the snapshot (snapshot.js) and, when it changed, pushes it to every page as a server-sent event.
 *
 *   GET /                the page (public/index.html, board.js, board.css)
 *   GET /events          text/event-stream: the current snapshot at once, then each new one
 *   GET /api/snapshot    the current snapshot as JSON
 *   GET /healthz         200 once a snapshot of the swarm was read, 503 before or on error
 *
 * Environment: BOARD_PORT (8080), BOARD_DOCKER_SOCKET (/var/run/docker.sock), BOARD_INTERVAL_MS (1000).
 */
const fs = require("fs");
const http = require("http");
const path = require("path");
const { buildSnapshot, errorSnapshot } = require("./snapshot");

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

/** GET a path of the Engine API over its unix socket; resolves to the parsed JSON, rejects on a non-2xx answer. */
function dockerGet(socketPath, apiPath, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: apiPath, method: "GET", headers: { Host: "docker" }, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        if (res.statusCode < 200 || res.statusCode >= 300) {
          let msg = body.trim();
          try {
            msg = JSON.parse(body).message || msg;
          } catch {
            /* not JSON */
          }
          reject(new Error(`GET ${apiPath}: ${res.statusCode} ${msg}`));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(new Error(`GET ${apiPath}: bad JSON (${e.message})`));
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${apiPath}: no answer in ${timeoutMs} ms`)));
    req.on("error", (e) => reject(e));
    req.end();
  });
}

/** One read of the swarm: the snapshot, or an error snapshot naming what failed. */
async function readSwarm(socketPath) {
  try {
    const [nodes, services, tasks] = await Promise.all([
      dockerGet(socketPath, "/nodes"),
      dockerGet(socketPath, "/services"),
      dockerGet(socketPath, "/tasks"),
    ]);
    return buildSnapshot({ nodes, services, tasks });
  } catch (e) {
    return errorSnapshot(`cannot read the swarm through ${socketPath}: ${e.message}`);
  }
}

/** What changed between two snapshots, leaving out the time of the read. */
function sameView(a, b) {
  if (!a || !b) return false;
  return JSON.stringify({ ...a, time: "" }) === JSON.stringify({ ...b, time: "" });
}

/**
 * The board: an HTTP server and its poller. `listen(port, host)` starts both; `close()` stops
 * them and ends every event stream.
 */
function createBoard(opts = {}) {
  const socketPath = opts.socketPath || process.env.BOARD_DOCKER_SOCKET || "/var/run/docker.sock";
  const intervalMs = Number(opts.intervalMs || process.env.BOARD_INTERVAL_MS || 1000);
  const publicDir = opts.publicDir || path.join(__dirname, "public");
  const clients = new Set();
  let current = null;
  let timer = null;
  let stopped = false;
  let polls = 0;

  const send = (res, snap) => res.write(`event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);

  async function poll() {
    const snap = await readSwarm(socketPath);
    polls++;
    if (!sameView(current, snap)) {
      current = snap;
      for (const res of clients) send(res, snap);
    } else {
      current = { ...current, time: snap.time };
    }
  }

  async function loop() {
    if (stopped) return;
    const t = Date.now();
    await poll();
    if (stopped) return;
    timer = setTimeout(loop, Math.max(0, intervalMs - (Date.now() - t)));
  }

  function serveFile(res, name) {
    const file = path.join(publicDir, name);
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
        return;
      }
      res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] || "application/octet-stream", "Cache-Control": "no-cache" }).end(data);
    });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url || "/", "http://board");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return serveFile(res, "index.html");
      case "/board.js":
        return serveFile(res, "board.js");
      case "/board.css":
        return serveFile(res, "board.css");
      case "/healthz": {
        const ok = current && !current.error;
        res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" }).end(ok ? "ok\n" : `${current ? current.error : "no snapshot yet"}\n`);
        return;
      }
      case "/api/snapshot":
        res.writeHead(current ? 200 : 503, { "Content-Type": "application/json", "Cache-Control": "no-cache" }).end(JSON.stringify(current));
        return;
      case "/events": {
        res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", Connection: "keep-alive", "X-Accel-Buffering": "no" });
        res.write("retry: 1000\n\n");
        if (current) send(res, current);
        clients.add(res);
        req.on("close", () => clients.delete(res));
        return;
      }
      default:
        res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
    }
  });
  // A comment every 15 s keeps idle streams open through proxies.
  const keepAlive = setInterval(() => {
    for (const res of clients) res.write(": keep-alive\n\n");
  }, 15000);
  keepAlive.unref();

  return {
    server,
    clients,
    snapshot: () => current,
    polls: () => polls,
    listen(port = 8080, host) {
      return new Promise((resolve) => {
        server.listen(port, host, () => {
          loop();
          resolve(server.address());
        });
      });
    },
    close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(keepAlive);
      for (const res of clients) res.end();
      clients.clear();
      const closed = new Promise((resolve) => server.close(() => resolve()));
      if (server.closeAllConnections) server.closeAllConnections();
      return closed;
    },
  };
}

module.exports = { createBoard, dockerGet, readSwarm, sameView };

if (require.main === module) {
  const board = createBoard();
  const port = Number(process.env.BOARD_PORT || 8080);
  board.listen(port).then(() => console.log(`swarmlab board on :${port}, reading ${process.env.BOARD_DOCKER_SOCKET || "/var/run/docker.sock"}`));
  const stop = () => board.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
