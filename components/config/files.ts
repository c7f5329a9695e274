import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "./errors";

/** `~/x` and project-relative paths, as a user writes them in a stack's config. */
export function resolveUserPath(file: string, root: string, home = os.homedir()): string {
  if (file === "~" || file.startsWith("~/")) return path.join(home, file.slice(1));
  return path.resolve(root, file);
}

/**
 * Reads files named in the config now, before anything is registered: every one that cannot be
 * read is reported at once, with the config key that names it.
 */
export function readConfigFiles<K extends string>(files: Partial<Record<K, string>>, opts: { root: string; source: string; path: string }): Record<K, string> {
  const out = {} as Record<K, string>;
  const problems = [];
  for (const [key, file] of Object.entries(files) as [K, string | undefined][]) {
    if (file === undefined) continue;
    const full = resolveUserPath(file, opts.root);
    try {
      out[key] = fs.readFileSync(full, "utf8");
    } catch (e) {
      problems.push({ source: opts.source, path: `${opts.path}.${key}`, message: `cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}
