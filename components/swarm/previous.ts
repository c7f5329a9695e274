/**
 * What the last deployment looked like, for the plan-time quorum checks: the `nodes` output the
 * stack wrote last time (rows of name and role, in config order), read back through a
 * StackReference to the stack itself.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * The managers in a `nodes` output, in config order: none when there is no such output yet.
 * Anything else than swarmlab's node table throws: guessing would let the checks pass any change.
 */
export function managersOf(nodes: unknown): string[] {
  if (nodes === undefined || nodes === null) return [];
  const isRow = (r: unknown): r is { name: string; role: string } =>
    typeof r === "object" && r !== null && typeof (r as { name?: unknown }).name === "string" && typeof (r as { role?: unknown }).role === "string";
  if (!Array.isArray(nodes) || !nodes.every(isRow)) {
    throw new Error("its output `nodes` is not swarmlab's node table (a list of rows with a name and a role); see `pulumi stack output nodes --json`");
  }
  return nodes.filter((n) => n.role === "manager").map((n) => n.name);
}

/**
 * The managers of the last deployment of `stack` ("org/project/stack"), in config order. A stack
 * with no deployment yet (the first `pulumi up`, a `preview` of a new stack) or one that was
 * destroyed has an empty output map, so none and no error. A read that fails is an error: with no
 * managers the quorum checks would pass any change.
 */
export async function readPreviousManagers(stack: string, ref: Pick<pulumi.StackReference, "getOutputDetails"> = new pulumi.StackReference(stack)): Promise<string[]> {
  try {
    const details = await ref.getOutputDetails("nodes");
    return managersOf(details.value ?? details.secretValue);
  } catch (e) {
    throw new Error(
      `cannot read the last deployment of stack ${stack}, which the manager quorum checks need: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}
