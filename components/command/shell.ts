/** Shell-text helpers every stage of the pipeline uses (hosts, swarm, add-ons). */

/**
 * Shell: polls `cond` (a command list) every 0.2 s until it holds or `seconds` have passed. A
 * deadline rather than a count, since each poll takes time too; fine-grained because every wait
 * sits on the path from nothing to a Ready swarm.
 */
export function waitUntil(cond: string, seconds: number): string {
  return `end=$((SECONDS + ${seconds})); until ${cond}; do [ $SECONDS -ge $end ] && break; sleep 0.2; done`;
}

/** Parses the `key=value` lines a script prints (its other lines are ignored; keys and values trimmed). */
export function parseKeyValues(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}
