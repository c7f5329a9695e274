/** The deploy key: placement constraints and preferences, update and rollback, restart policy, resources. */
import { z } from "zod";
import { byteSize, checkedString, count, cpus, duration, listOrDict } from "./primitives";

export const CONSTRAINT_ATTRIBUTE = String.raw`(?:node\.(?:id|hostname|role|platform\.os|platform\.arch|labels\.[^\s=!]+)|engine\.labels\.[^\s=!]+)`;
export const CONSTRAINT = new RegExp(String.raw`^\s*(${CONSTRAINT_ATTRIBUTE})\s*(==|!=)\s*(\S(?:.*\S)?)\s*$`);
/** Swarm spreads over labels only: any other attribute (node.id, node.hostname...) puts every node in one group, and has no effect. */
export const SPREAD = /^(?:node|engine)\.labels\.[^\s=!]+$/i;

/** `node.role == manager`, `node.labels.db != true`, ...: an error message, or nothing when valid. */
export function constraintError(constraint: string): string | undefined {
  const match = CONSTRAINT.exec(constraint);
  if (!match) {
    return 'expected "<attribute> == <value>" or "<attribute> != <value>" with attribute node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name> or engine.labels.<name>';
  }
  if (match[1] === "node.role" && !["manager", "worker"].includes(match[3])) return "expected node.role == manager or node.role == worker";
  return undefined;
}

export const placement = z.strictObject({
  constraints: z.array(checkedString(constraintError)).optional().describe('e.g. "node.role == manager", "node.labels.db == true"'),
  preferences: z
    .array(
      z.strictObject({
        spread: z
          .string()
          .regex(SPREAD, 'node.labels.<name> or engine.labels.<name> (swarm spreads over labels only: node.id, node.hostname and the rest are ignored)')
          .describe("spread tasks evenly over the values of this label"),
      }),
    )
    .optional(),
  max_replicas_per_node: count.optional(),
});

export function rolloutConfig<A extends readonly [string, ...string[]]>(failureActions: A) {
  return z.strictObject({
    parallelism: count.optional().describe("tasks changed at once (0: all)"),
    delay: duration.optional().describe("wait between batches"),
    failure_action: z.enum(failureActions).optional(),
    monitor: duration.optional().describe("how long to watch each task for failure"),
    max_failure_ratio: z.number().min(0).max(1).optional(),
    order: z.enum(["stop-first", "start-first"]).optional(),
  });
}
export const updateConfig = rolloutConfig(["continue", "pause", "rollback"] as const);
export const rollbackConfig = rolloutConfig(["continue", "pause"] as const);

export const restartPolicy = z.strictObject({
  condition: z.enum(["none", "on-failure", "any"]).optional(),
  delay: duration.optional(),
  max_attempts: count.optional(),
  window: duration.optional().describe("how long a restart must run to count as a success"),
});

export const resourceSet = {
  cpus: cpus.optional(),
  memory: byteSize.optional(),
};
export const resources = z.strictObject({
  limits: z.strictObject({ ...resourceSet, pids: count.optional() }).optional(),
  reservations: z
    .strictObject({
      ...resourceSet,
      generic_resources: z
        .array(z.strictObject({ discrete_resource_spec: z.strictObject({ kind: z.string(), value: z.number() }) }))
        .optional(),
    })
    .optional(),
});

export const deploySchema = z.strictObject({
  mode: z.enum(["replicated", "global"]).optional().describe("global: one task on every eligible node"),
  replicas: count.optional().describe("number of tasks (replicated mode)"),
  placement: placement.optional(),
  update_config: updateConfig.optional(),
  rollback_config: rollbackConfig.optional(),
  restart_policy: restartPolicy.optional(),
  resources: resources.optional(),
  endpoint_mode: z.enum(["vip", "dnsrr"]).optional().describe("vip: one virtual IP; dnsrr: DNS round robin over the tasks"),
  labels: listOrDict.optional().describe("labels of the service (Traefik reads these)"),
});
export type Deploy = z.infer<typeof deploySchema>;
