/** Types of server.js for the project's TypeScript tests (the image runs the JavaScript as is). */
import type { Server } from "http";
import type { Snapshot } from "./snapshot";

export interface Board {
  server: Server;
  clients: Set<unknown>;
  snapshot(): Snapshot | null;
  polls(): number;
  listen(port?: number, host?: string): Promise<unknown>;
  close(): Promise<void>;
}
export function createBoard(opts?: { socketPath?: string; intervalMs?: number; publicDir?: string }): Board;
export function dockerGet(socketPath: string, apiPath: string, timeoutMs?: number): Promise<unknown>;
export function readSwarm(socketPath: string): Promise<Snapshot>;
export function sameView(a: Snapshot | null, b: Snapshot | null): boolean;
