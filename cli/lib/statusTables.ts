/** The tables `npm run status` prints, from the parsed swarm state: pure, so they are tested without a cluster. */
import type { SwarmState } from "./swarmState";

/** Left-aligned columns two spaces apart, no trailing blanks. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => header.map((_, i) => (r[i] ?? "").padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export const NODE_HEADER = ["NODE", "ROLE", "AVAILABILITY", "STATE", "ENGINE", "MANAGER", "LABELS"];

/**
 * One row per node, by name; MANAGER is the reachability (`reachable leader`), empty for workers.
 * `locked`: the managers that said they restarted locked (autolock): the swarm lists them down.
 */
export function nodeRows(state: SwarmState, locked: string[] = []): string[][] {
  return state.nodes
    .map((n) => {
      const m = n.ManagerStatus;
      const manager = m ? [m.Reachability ?? "", m.Leader ? "leader" : ""].filter(Boolean).join(" ") : "";
      const labels = Object.entries(n.Spec.Labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      const st = locked.includes(n.Description.Hostname) ? `${n.Status.State} (locked)` : n.Status.State;
      return [n.Description.Hostname, n.Spec.Role, n.Spec.Availability, st, n.Description.Engine?.EngineVersion ?? "?", manager, labels];
    })
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/** The managers worth asking whether they are locked: the ones the swarm does not list as reachable. */
export function unreachableManagers(state: SwarmState): string[] {
  return state.nodes.filter((n) => n.ManagerStatus && n.ManagerStatus.Reachability !== "reachable").map((n) => n.Description.Hostname);
}

/** The hostname of the node the swarm calls its leader. */
export function swarmLeader(state: SwarmState): string | undefined {
  return state.nodes.find((n) => n.ManagerStatus?.Leader)?.Description.Hostname;
}

export const SERVICE_HEADER = ["STACK", "SERVICE", "REPLICAS", "PORTS", "NODES"];

/** The service a task belongs to: its name without the last `.<slot or node ID>`. */
function serviceOfTask(task: string): string {
  const dot = task.lastIndexOf(".");
  return dot > 0 ? task.slice(0, dot) : task;
}

/** One row per service, by stack then name, with the nodes its running tasks are on. */
export function serviceRows(state: SwarmState): string[][] {
  const nodesOf = new Map<string, Set<string>>();
  for (const t of state.tasks) {
    const svc = serviceOfTask(t.Name);
    nodesOf.set(svc, (nodesOf.get(svc) ?? new Set()).add(t.Node));
  }
  return state.services
    .map((s) => {
      const name = s.Spec.Name;
      const ports = (s.Endpoint?.Ports ?? [])
        .map((p) => `${p.PublishedPort ?? "?"}->${p.TargetPort}/${p.Protocol}${p.PublishMode ? ` (${p.PublishMode})` : ""}`)
        .join(" ");
      const on = [...(nodesOf.get(name) ?? [])].sort().join(",");
      return [s.Spec.Labels["com.docker.stack.namespace"] || "-", name, state.replicas[name] ?? "?", ports || "-", on || "-"];
    })
    .sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1]));
}

/** Nodes of the configuration the swarm does not list (not joined yet, or removed behind swarmlab's back). */
export function missingNodes(state: SwarmState, configured: string[]): string[] {
  const listed = new Set(state.nodes.map((n) => n.Description.Hostname));
  return configured.filter((name) => !listed.has(name));
}
