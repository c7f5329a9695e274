"use strict";
/**
 * The board's view model, built from the Docker Engine API's JSON (GET /nodes, /services,
 * /tasks) without any I/O: pure, so it is unit-tested from fixtures (test/unit/board-snapshot).
 *
 * Which tasks show: the ones the swarm wants running (desired state running, ready or accepted)
 * and the ones still running while being shut down (an old task of a rolling update, a task
 * leaving a draining node), marked `leaving`. Finished tasks (shutdown, complete, failed,
 * rejected, orphaned, remove) do not show.
 */

const WANTED = new Set(["running", "ready", "accepted"]);
const ALIVE = new Set(["running", "starting", "preparing", "assigned", "accepted", "ready", "pending", "new", "allocated"]);

/** The tag of an image reference: `repo:tag@sha256:...` -> `tag`; no tag -> `latest`; digest only -> `@sha256:<12>`. */
function imageTag(ref) {
  if (!ref) return "";
  const at = ref.indexOf("@");
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : "";
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  if (colon > slash) return name.slice(colon + 1);
  if (digest) return "@" + digest.replace(/^sha256:/, "").slice(0, 12);
  return "latest";
}

/** The image reference without its digest (what a person reads). */
function imageName(ref) {
  if (!ref) return "";
  const at = ref.indexOf("@");
  return at >= 0 ? ref.slice(0, at) : ref;
}

/** A stable colour per service name: a hue from a hash of the name (FNV-1a), as `hsl(h 65% 45%)`. */
function serviceColor(name) {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `hsl(${h % 360} 65% 45%)`;
}

/**
 * The Traefik routers declared by services' labels: `traefik.http.routers.<router>.rule` (and its
 * entrypoints) of the services with `traefik.enable=true` (swarmlab's Traefik runs with
 * exposedByDefault=false: the others are not routed).
 */
function traefikRoutes(services) {
  const routes = [];
  for (const s of services) {
    const labels = (s.Spec && s.Spec.Labels) || {};
    const service = (s.Spec && s.Spec.Name) || s.ID || "";
    if (labels["traefik.enable"] !== "true") continue;
    for (const [key, rule] of Object.entries(labels)) {
      const m = /^traefik\.http\.routers\.([^.]+)\.rule$/.exec(key);
      if (!m) continue;
      const router = m[1];
      const ep = labels[`traefik.http.routers.${router}.entrypoints`];
      routes.push({
        router,
        rule,
        service,
        entrypoints: ep ? ep.split(",").map((e) => e.trim()).filter(Boolean) : [],
        tls: labels[`traefik.http.routers.${router}.tls`] === "true",
        color: serviceColor(service),
      });
    }
  }
  return routes.sort((a, b) => a.router.localeCompare(b.router) || a.service.localeCompare(b.service));
}

function nodeView(n) {
  const spec = n.Spec || {};
  const status = n.Status || {};
  const desc = n.Description || {};
  return {
    id: n.ID,
    name: desc.Hostname || n.ID,
    role: spec.Role || "worker",
    leader: !!(n.ManagerStatus && n.ManagerStatus.Leader),
    reachability: (n.ManagerStatus && n.ManagerStatus.Reachability) || "",
    availability: spec.Availability || "active",
    state: status.State || "unknown",
    addr: status.Addr || "",
    labels: { ...(spec.Labels || {}) },
    engine: (desc.Engine && desc.Engine.EngineVersion) || "",
    tasks: [],
  };
}

function serviceView(s) {
  const spec = s.Spec || {};
  const image = (spec.TaskTemplate && spec.TaskTemplate.ContainerSpec && spec.TaskTemplate.ContainerSpec.Image) || "";
  const mode = spec.Mode && spec.Mode.Global ? "global" : "replicated";
  const update = s.UpdateStatus ? { state: s.UpdateStatus.State || "", message: s.UpdateStatus.Message || "" } : null;
  return {
    id: s.ID,
    name: spec.Name || s.ID,
    image: imageName(image),
    imageTag: imageTag(image),
    mode,
    replicas: mode === "replicated" && spec.Mode && spec.Mode.Replicated ? spec.Mode.Replicated.Replicas : null,
    stack: (spec.Labels && spec.Labels["com.docker.stack.namespace"]) || "",
    update,
    color: serviceColor(spec.Name || s.ID || ""),
    running: 0,
  };
}

/** Whether a task shows on the board, and whether it is on its way out. */
function taskShown(t) {
  const desired = t.DesiredState || "";
  const state = (t.Status && t.Status.State) || "";
  if (WANTED.has(desired)) return { shown: true, leaving: false };
  if (ALIVE.has(state) && state !== "new") return { shown: state === "running", leaving: true };
  return { shown: false, leaving: false };
}

/**
 * The snapshot the page renders: nodes (managers first, then by name), each with its tasks
 * (by service, then slot), the services and the Traefik routes.
 * @param {{nodes: object[], services: object[], tasks: object[]}} api what the Engine API answered
 * @param {{now?: string}} [opts]
 */
function buildSnapshot(api, opts = {}) {
  const nodes = (api.nodes || []).map(nodeView);
  nodes.sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === "manager" ? -1 : 1));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const services = (api.services || []).map(serviceView).sort((a, b) => a.name.localeCompare(b.name));
  const svcById = new Map(services.map((s) => [s.id, s]));
  const unassigned = [];
  for (const t of api.tasks || []) {
    const { shown, leaving } = taskShown(t);
    if (!shown) continue;
    const svc = svcById.get(t.ServiceID);
    const image = (t.Spec && t.Spec.ContainerSpec && t.Spec.ContainerSpec.Image) || "";
    const status = t.Status || {};
    const view = {
      id: t.ID,
      service: svc ? svc.name : t.ServiceID || "",
      slot: t.Slot != null ? t.Slot : null,
      name: svc ? (t.Slot != null ? `${svc.name}.${t.Slot}` : svc.name) : t.ID,
      image: imageName(image),
      imageTag: imageTag(image),
      state: status.State || "unknown",
      desiredState: t.DesiredState || "",
      leaving,
      message: status.Err || status.Message || "",
      since: status.Timestamp || "",
      color: svc ? svc.color : serviceColor(t.ServiceID || ""),
    };
    if (svc && view.state === "running" && !leaving) svc.running++;
    const node = t.NodeID ? byId.get(t.NodeID) : undefined;
    if (node) node.tasks.push(view);
    else unassigned.push(view);
  }
  const order = (a, b) => a.service.localeCompare(b.service) || (a.slot ?? 0) - (b.slot ?? 0) || Number(a.leaving) - Number(b.leaving) || a.id.localeCompare(b.id);
  for (const n of nodes) n.tasks.sort(order);
  unassigned.sort(order);
  return {
    time: opts.now || new Date().toISOString(),
    error: null,
    nodes,
    unassigned,
    services,
    routes: traefikRoutes(api.services || []),
  };
}

/** The snapshot of a board that cannot read the swarm (not a manager, no socket): what the page shows instead. */
function errorSnapshot(message, opts = {}) {
  return { time: opts.now || new Date().toISOString(), error: message, nodes: [], unassigned: [], services: [], routes: [] };
}

module.exports = { buildSnapshot, errorSnapshot, imageTag, imageName, serviceColor, traefikRoutes };
