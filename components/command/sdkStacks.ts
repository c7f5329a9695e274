/*
 * The SDK takes a stack trace (`new Error().stack`) for every promise it makes and for every
 * resource it registers (a source position for the engine, which swarmlab never shows). Under
 * the TypeScript runtime (ts-node, with source maps) each of those traces is mapped frame by
 * frame: about 0.2 s of CPU in a 3-node preview, growing with the node count. Those two captures
 * get V8's own format (compiled line numbers); every other stack keeps its source-mapped lines.
 * The cost: the source positions the state keeps per resource name compiled lines (nothing reads
 * them with a file backend), and the SDK's promise-leak report is not mapped.
 */

/** Where the SDK captures a trace for itself: its promise wrapper and Resource.callsites. */
const SDK_CAPTURES = [/[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/, /[\\/]@pulumi[\\/]pulumi[\\/]resource\.js$/];

/** A trace the SDK takes for itself: `new Error()` (no message) made in one of those two files. */
export function isSdkCapture(err: Error, frames: NodeJS.CallSite[]): boolean {
  const file = frames[0]?.getFileName() ?? "";
  return err.message === "" && SDK_CAPTURES.some((re) => re.test(file));
}

/** V8's default text of a stack: `Error` then one `    at <frame>` line per frame. */
export function plainStack(err: Error, frames: NodeJS.CallSite[]): string {
  return `${String(err)}${frames.map((f) => `\n    at ${String(f)}`).join("")}`;
}

type Prepare = (err: Error, frames: NodeJS.CallSite[]) => unknown;

/** `mapped` (the source-mapping formatter), except for the SDK's own captures. */
export function sparingPrepare(mapped: Prepare): Prepare {
  return (err, frames) => (isSdkCapture(err, frames) ? plainStack(err, frames) : mapped(err, frames));
}

let installed = false;

/** Once per program; nothing to do when no formatter maps stacks. */
export function cheapSdkStacks(): void {
  const mapped = Error.prepareStackTrace;
  if (installed || !mapped) return;
  installed = true;
  Error.prepareStackTrace = sparingPrepare(mapped);
}
