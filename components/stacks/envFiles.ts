/*
 * `env_file:` is read by the docker CLI on the machine that runs `docker stack deploy`. swarmlab
 * runs the deploy on a manager, where the user's files are not: it reads them here, relative to
 * the stack file, and merges their variables under the service's own `environment:` (which wins,
 * as with docker), so that the deployed YAML carries them and `pulumi preview --diff` shows them.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { Problem } from "../config/errors";
import type { Stack } from "./schema";

/**
 * Parses an env file as docker does: `KEY=value` lines, `#` comments and blank lines skipped, the
 * value taken as written (no quotes removed, no expansion); a bare `KEY` takes the value of this
 * machine's environment and is left out when unset there.
 */
export function parseEnvFile(text: string, env: Record<string, string | undefined> = {}): { vars: Record<string, string>; bad: number[] } {
  const vars: Record<string, string> = {};
  const bad: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, "");
    if (!line || line.startsWith("#")) return;
    const at = line.indexOf("=");
    const key = at < 0 ? line.trimEnd() : line.slice(0, at);
    if (!/^[^\s=]+$/.test(key)) {
      bad.push(i + 1);
      return;
    }
    if (at >= 0) vars[key] = line.slice(at + 1);
    else if (env[key] !== undefined) vars[key] = env[key] as string;
  });
  return { vars, bad };
}

function asMap(environment: NonNullable<Stack["services"][string]["environment"]>): Record<string, string | number | boolean | null> {
  if (!Array.isArray(environment)) return { ...environment };
  return Object.fromEntries(environment.map((e) => (e.includes("=") ? [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)] : [e, null])));
}

/** The stack with every `env_file:` read into `environment:`; problems name the file and the service. */
export function inlineEnvFiles(stack: Stack, stackFile: string, source: string, env: Record<string, string | undefined> = {}): { stack: Stack; problems: Problem[] } {
  const problems: Problem[] = [];
  const services: Stack["services"] = {};
  for (const [name, service] of Object.entries(stack.services)) {
    if (service.env_file === undefined) {
      services[name] = service;
      continue;
    }
    const files = Array.isArray(service.env_file) ? service.env_file : [service.env_file];
    const fromFiles: Record<string, string> = {};
    files.forEach((f, i) => {
      const where = `services.${name}.env_file${Array.isArray(service.env_file) ? `[${i}]` : ""}`;
      const full = path.resolve(path.dirname(stackFile), f);
      let text: string;
      try {
        text = readFileSync(full, "utf8");
      } catch (e) {
        problems.push({ source, path: where, message: `cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (paths are relative to the stack file)` });
        return;
      }
      const parsed = parseEnvFile(text, env);
      if (parsed.bad.length) problems.push({ source, path: where, message: `expected KEY=value lines in ${f}, got something else on line ${parsed.bad.join(", ")}` });
      Object.assign(fromFiles, parsed.vars); // a later file wins, as with docker
    });
    const inlined = { ...service, environment: { ...fromFiles, ...asMap(service.environment ?? {}) } };
    delete inlined.env_file;
    services[name] = inlined;
  }
  return { stack: { ...stack, services }, problems };
}
