/*
 * A command's output streamed to the Pulumi log as it runs (CommandInputs.logging, as in
 * @pulumi/command): `vagrant up` or a stack deploy is no longer silent for minutes. Lines go out as
 * ephemeral info messages (shown while the command runs, not kept in the summary), prefixed with
 * the command's label, secrets redacted; the start marker of SSH runs is left out.
 */
import * as pulumi from "@pulumi/pulumi";
import { redact, STARTED_MARKER } from "./ssh";

/** Which output streams to the log; "none" (the default) keeps a command quiet. */
export type Logging = "stdout" | "stderr" | "stdoutAndStderr" | "none";

export type Emit = (line: string) => void;

/** Line by line, per stream: what onOutput receives in chunks, and a flush for the last partial lines. */
export function lineStreamer(label: string, logging: Logging | undefined, secrets: string[] | undefined, emit: Emit): { onOutput?: (stream: "stdout" | "stderr", chunk: string) => void; flush: () => void } {
  const wanted = (s: "stdout" | "stderr") => logging === "stdoutAndStderr" || logging === s;
  if (!logging || logging === "none") return { flush: () => undefined };
  const pending = { stdout: "", stderr: "" };
  const out = (line: string) => {
    if (line.trim() && line.trim() !== STARTED_MARKER) emit(redact(`${label}: ${line}`, secrets));
  };
  return {
    onOutput: (stream, chunk) => {
      if (!wanted(stream)) return;
      const lines = (pending[stream] + chunk).split("\n");
      pending[stream] = lines.pop() ?? "";
      lines.forEach(out);
    },
    flush: () => {
      for (const s of ["stdout", "stderr"] as const) {
        out(pending[s]);
        pending[s] = "";
      }
    },
  };
}

let connected = false;

/**
 * The dynamic-provider host is handed the engine's address (its first argument) but does not
 * connect the SDK's log to it (pulumi/pulumi#6065): done here once, so that pulumi.log reaches the
 * engine. Elsewhere (the program itself, tests) the log is left as it is.
 */
function connectEngineLog(argv = process.argv): void {
  if (connected) return;
  connected = true;
  const host = /cmd[\\/]dynamic-provider/.test(argv[1] ?? "");
  if (!host || !argv[2]) return;
  // (the host has no organization set: getOrganization throws there)
  const or = <T>(f: () => T, fallback: T): T => {
    try {
      return f();
    } catch {
      return fallback;
    }
  };
  pulumi.runtime.resetOptions(or(pulumi.getProject, "project"), or(pulumi.getStack, "stack"), -1, argv[2], "", or(pulumi.runtime.isDryRun, false), or(pulumi.getOrganization, ""));
}

/** Ephemeral info lines in the Pulumi log (the engine's, once connected); a line that cannot be logged is dropped, never an error. */
export function logLine(line: string): void {
  try {
    connectEngineLog();
    void pulumi.log.info(line, undefined, undefined, true).catch(() => undefined);
  } catch {
    // the output is still collected and reported with the command's result
  }
}
