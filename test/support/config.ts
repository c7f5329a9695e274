/** Cluster configuration as the program receives it (no Pulumi runtime needed). */

/** Config values (as a stack file holds them) -> what `pulumi.runtime.allConfig()` hands the program: scalars as text, lists and mappings as JSON. */
export function asPulumiConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}
