/** Types of snapshot.js (the board's view model) for the project's TypeScript tests. */
export interface TaskView {
  id: string;
  service: string;
  slot: number | null;
  name: string;
  image: string;
  imageTag: string;
  state: string;
  desiredState: string;
  leaving: boolean;
  message: string;
  since: string;
  color: string;
}
export interface NodeView {
  id: string;
  name: string;
  role: string;
  leader: boolean;
  reachability: string;
  availability: string;
  state: string;
  addr: string;
  labels: Record<string, string>;
  engine: string;
  tasks: TaskView[];
}
export interface ServiceView {
  id: string;
  name: string;
  image: string;
  imageTag: string;
  mode: "global" | "replicated";
  replicas: number | null;
  stack: string;
  update: { state: string; message: string } | null;
  color: string;
  running: number;
}
export interface RouteView {
  router: string;
  rule: string;
  service: string;
  entrypoints: string[];
  tls: boolean;
  color: string;
}
export interface Snapshot {
  time: string;
  error: string | null;
  nodes: NodeView[];
  unassigned: TaskView[];
  services: ServiceView[];
  routes: RouteView[];
}
export function buildSnapshot(api: { nodes?: unknown[]; services?: unknown[]; tasks?: unknown[] }, opts?: { now?: string }): Snapshot;
export function errorSnapshot(message: string, opts?: { now?: string }): Snapshot;
export function imageTag(ref: string): string;
export function imageName(ref: string): string;
export function serviceColor(name: string): string;
export function traefikRoutes(services: unknown[]): RouteView[];
