/*
 * Secrets and configs of a stack: their content is read on the machine that runs Pulumi, hashed
 * into the object name (`<stack>_<key>_<sha256 8 chars>`) and uploaded with the deploy. Docker
 * refuses to change the content of a secret or config in use; a new name per content turns a
 * change into a rotation: the services switch to the new object, the old one is removed after a
 * successful deploy. Pure functions: unit-tested without a swarm.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { nameProblem } from "../config/dockerRules";
import type { Problem } from "../config/errors";
import type { Config, Secret, Stack } from "./schema";

export type ObjectKind = "secret" | "config";

/** One secret or config whose content travels with the deploy. */
export interface Upload {
  kind: ObjectKind;
  /** Key under the top-level secrets/configs of the stack file. */
  key: string;
  /** Name of the swarm object: content-hashed. Also the file name in the deploy's work directory. */
  name: string;
  /** Environment variable of the deploy command holding the content, base64. */
  env: string;
  /** The content, base64. */
  base64: string;
  /** Secrets stay Pulumi secrets (state, logs, errors); configs are plain. */
  secret: boolean;
  /** The content as text, for redaction from error messages (secrets only). */
  redact?: string;
}

/** Content of a stack's secrets and configs, by key. */
export interface ObjectContents {
  secrets: Record<string, Buffer>;
  configs: Record<string, Buffer>;
}

/** Where `environment: NAME` secrets get their content: Pulumi secrets first, then the process environment. */
export interface ContentSources {
  /** Pulumi secrets (config `stacks[i].secrets`), by variable name. */
  values?: Record<string, string>;
  /** Environment of the machine running Pulumi. */
  env?: Record<string, string | undefined>;
}

/**
 * The deploy command carries the uploads in its environment, which reaches the manager inside the
 * SSH command line (one argument: Linux caps it at 128 KiB). This leaves room for the script.
 */
export const MAX_UPLOAD_BASE64 = 96 * 1024;

/** First 8 hex characters of the SHA-256 of the content. */
export function contentHash(content: Buffer | string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 8);
}

/** `<stack>_<key>_<hash>`, or `<name>_<hash>` when the stack file names the object itself. */
export function objectName(stack: string, key: string, content: Buffer | string, explicitName?: string): string {
  return `${explicitName ?? `${stack}_${key}`}_${contentHash(content)}`;
}

function isExternal(def: Secret | Config): boolean {
  return def.external !== undefined && def.external !== false;
}

/**
 * Reads the content of every secret and config that is not external: `file:` relative to the
 * stack file's directory, `environment: NAME` from the Pulumi secrets or the environment.
 * Problems name the stack file and the key; nothing is thrown.
 */
export function readObjectContents(stack: Stack, stackFile: string, sources: ContentSources = {}): { contents: ObjectContents; problems: Problem[] } {
  const contents: ObjectContents = { secrets: {}, configs: {} };
  const problems: Problem[] = [];
  const dir = path.dirname(stackFile);
  const read = (kind: ObjectKind, key: string, def: Secret | Config): Buffer | undefined => {
    if (def.file !== undefined) {
      const file = path.resolve(dir, def.file);
      try {
        return readFileSync(file);
      } catch (err) {
        problems.push({ source: stackFile, path: `${kind}s.${key}.file`, message: `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); the path is relative to the stack file` });
        return undefined;
      }
    }
    const variable = (def as Secret).environment;
    if (variable !== undefined) {
      const value = sources.values?.[variable] ?? sources.env?.[variable];
      if (value !== undefined) return Buffer.from(value, "utf8");
      problems.push({
        source: stackFile,
        path: `${kind}s.${key}.environment`,
        message: `${variable} is not set: set it with \`pulumi config set --secret --path 'swarmlab:stacks[<i>].secrets.${variable}' <value>\` or in the environment of pulumi`,
      });
    }
    return undefined;
  };
  for (const [key, def] of Object.entries(stack.secrets ?? {})) {
    if (isExternal(def)) continue;
    const content = read("secret", key, def);
    if (content) contents.secrets[key] = content;
  }
  for (const [key, def] of Object.entries(stack.configs ?? {})) {
    if (isExternal(def)) continue;
    const content = read("config", key, def);
    if (content) contents.configs[key] = content;
  }
  return { contents, problems };
}

/**
 * Gives every secret and config with content its content-hashed name and points its `file:` at the
 * upload in the deploy's work directory (`./<name>`); returns the rewritten stack and the uploads.
 * Keys are handled in sorted order, so the same contents always give the same environment.
 */
export function planObjects(stackName: string, stack: Stack, contents: ObjectContents, source = stackName): { stack: Stack; uploads: Upload[]; problems: Problem[] } {
  const uploads: Upload[] = [];
  const problems: Problem[] = [];
  const rewrite = <D extends Secret | Config>(kind: ObjectKind, defs: Record<string, D> | undefined, content: Record<string, Buffer>): Record<string, D> | undefined => {
    if (!defs) return undefined;
    const out: Record<string, D> = { ...defs };
    for (const key of Object.keys(defs).sort()) {
      const data = content[key];
      if (data === undefined) continue;
      const name = objectName(stackName, key, data, defs[key].name);
      const broken = nameProblem(kind, name);
      if (broken) {
        problems.push({ source, path: `${kind}s.${key}`, message: `the ${kind} would be named "${name}" (name or <stack>_<key>, then a hash of its content): ${broken}; use another key or set name:` });
        continue;
      }
      out[key] = { ...defs[key], name, file: `./${name}`, environment: undefined } as D;
      uploads.push({
        kind,
        key,
        name,
        env: `SWARMLAB_STACK_${kind.toUpperCase()}_${uploads.filter((u) => u.kind === kind).length}`,
        base64: data.toString("base64"),
        secret: kind === "secret",
        ...(kind === "secret" ? { redact: data.toString("utf8") } : {}),
      });
    }
    return out;
  };
  const secrets = rewrite("secret", stack.secrets, contents.secrets);
  const configs = rewrite("config", stack.configs, contents.configs);
  const total = uploads.reduce((n, u) => n + u.base64.length, 0);
  if (total > MAX_UPLOAD_BASE64) {
    problems.push({
      source,
      path: "",
      message: `secrets and configs hold ${Math.ceil((total * 3) / 4 / 1024)} KiB; at most ${Math.floor((MAX_UPLOAD_BASE64 * 3) / 4 / 1024)} KiB travel with a deploy: create larger ones beforehand and declare them external`,
    });
  }
  return { stack: { ...stack, ...(secrets ? { secrets } : {}), ...(configs ? { configs } : {}) }, uploads, problems };
}
