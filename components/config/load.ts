import { clusterSchema, type ClusterConfig } from "./cluster";
import { ConfigError, issuesToProblems } from "./errors";

export const NAMESPACE = "swarmlab";

/** The config keys swarmlab reads (without the `swarmlab:` namespace). */
export const CONFIG_KEYS: readonly string[] = Object.keys(clusterSchema.shape);

/** Pulumi hands config values as strings: objects and lists as JSON, scalars as text. */
export function parseConfigValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours) between two short words. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * Keys under a namespace that looks like a typo of `swarmlab:` (`swarmlb:nodes`, `Swarmlab:name`):
 * Pulumi leaves other namespaces to their providers, so such a key would be silently ignored.
 */
export function configWarnings(raw: Record<string, string>, source: string): string[] {
  return Object.keys(raw).flatMap((fullKey) => {
    const ns = fullKey.includes(":") ? fullKey.slice(0, fullKey.indexOf(":")) : "";
    if (ns === NAMESPACE || !ns || editDistance(ns.toLowerCase(), NAMESPACE) > 2) return [];
    return [`${source}: ${fullKey}: the namespace "${ns}" looks like a typo of "${NAMESPACE}": this key is ignored (swarmlab reads only ${NAMESPACE}:* keys)`];
  });
}

/**
 * Validates the whole `swarmlab:` namespace of a stack's config. `raw` is what
 * `pulumi.runtime.allConfig()` returns; `source` names the file the user edits.
 * Errors read `Pulumi.dev.yaml: swarmlab:nodes[1].role: expected "manager" | "worker", got "boss"`.
 */
export function loadClusterConfig(raw: Record<string, string>, source: string): ClusterConfig {
  const values: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [ns, key] = fullKey.includes(":") ? fullKey.split(/:(.*)/s, 2) : ["", fullKey];
    if (ns !== NAMESPACE) continue; // other namespaces (aws:, hcloud:...) belong to their providers
    values[key] = parseConfigValue(value);
  }
  const result = clusterSchema.safeParse(values, { reportInput: true });
  if (result.success) return result.data;
  const problems = issuesToProblems(result.error.issues, source).map((p) => {
    // unknown keys at the top level are config keys: show them as the user typed them
    if (p.path === "" && p.message.startsWith("unknown key")) {
      return { ...p, message: p.message.replace(/"([^"]+)"/g, `"${NAMESPACE}:$1"`).replace("see the configuration reference", `known keys: ${CONFIG_KEYS.join(", ")}; see the configuration reference`) };
    }
    return { ...p, path: p.path ? `${NAMESPACE}:${p.path}` : p.path };
  });
  throw new ConfigError(problems);
}
