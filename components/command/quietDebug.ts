/*
 * Pulumi's Node.js SDK logs the engine's answer to every resource RPC as a debug diagnostic,
 * outputs included, secret ones in clear. Debug diagnostics show with `pulumi up --debug` and stay
 * in the Automation API's event log: swarmlab's private keys and join tokens would be there. This
 * cuts the answer from those lines (what was asked and whether it failed stay), once per program.
 */
import * as log from "@pulumi/pulumi/log";

/** A debug line without the RPC answer it may carry. */
export function withoutRpcAnswer(message: string): string {
  const at = message.indexOf(" RPC finished: ");
  if (at < 0) return message;
  const resp = message.indexOf(", resp: ", at);
  return resp < 0 ? message : `${message.slice(0, resp)}, resp: [left out by swarmlab: it may hold secrets]`;
}

let installed = false;

export function quietRpcDebug(): void {
  if (installed) return;
  installed = true;
  const debug = log.debug;
  (log as { debug: typeof log.debug }).debug = (msg, ...rest) => debug(withoutRpcAnswer(msg), ...rest);
}
