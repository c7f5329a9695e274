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
