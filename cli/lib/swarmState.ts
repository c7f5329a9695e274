/**
 * The swarm as a manager sees it, in one SSH round trip: `docker node inspect`, `docker service
 * inspect`, `docker service ls` and `docker service ps` as JSON, in marked sections, parsed and
 * checked here (only the fields the status shows; anything else docker prints is ignored).
 */
import { z } from "zod";
import { remoteCommand } from "../../components/command/ssh";

const labels = z.record(z.string(), z.string()).nullish().transform((l) => l ?? {});

const dockerNodeSchema = z.object({
  Description: z.object({
    Hostname: z.string(),
    Engine: z.object({ EngineVersion: z.string().optional() }).optional(),
  }),
  Spec: z.object({ Role: z.string(), Availability: z.string(), Labels: labels }),
  Status: z.object({ State: z.string() }),
  ManagerStatus: z.object({ Leader: z.boolean().optional(), Reachability: z.string().optional() }).optional(),
});
export type DockerNode = z.infer<typeof dockerNodeSchema>;

const portSchema = z.object({
  Protocol: z.string(),
  TargetPort: z.number(),
  PublishedPort: z.number().optional(),
  PublishMode: z.string().optional(),
});

const dockerServiceSchema = z.object({
  Spec: z.object({
    Name: z.string(),
    Labels: labels,
    TaskTemplate: z
      .object({ ContainerSpec: z.object({ Args: z.array(z.string()).nullish() }).optional() })
      .optional(),
  }),
  Endpoint: z.object({ Ports: z.array(portSchema).nullish() }).optional(),
});
export type DockerService = z.infer<typeof dockerServiceSchema>;

const replicasSchema = z.object({ Name: z.string(), Replicas: z.string() });
const dockerTaskSchema = z.object({ Name: z.string(), Node: z.string(), CurrentState: z.string().optional() });
export type DockerTask = z.infer<typeof dockerTaskSchema>;

export interface SwarmState {
  nodes: DockerNode[];
  services: DockerService[];
  /** `3/3` by service name, as `docker service ls` counts them. */
  replicas: Record<string, string>;
  /** Tasks meant to run. */
  tasks: DockerTask[];
}

const MARK = "@@swarmlab:";

/** Run on a manager (bash, strict mode): a failing docker command fails the whole script with its message. */
export const STATE_SCRIPT = remoteCommand(
  [
    "nodes=$(docker node ls -q)",
    `echo '${MARK}nodes'`,
    "docker node inspect $nodes",
    "services=$(docker service ls -q)",
    `echo '${MARK}services'`,
    `if [ -n "$services" ]; then docker service inspect $services; else echo '[]'; fi`,
    `echo '${MARK}replicas'`,
    "docker service ls --format '{{json .}}'",
    `echo '${MARK}tasks'`,
    `if [ -n "$services" ]; then docker service ps $services --filter desired-state=running --format '{{json .}}'; fi`,
  ].join("\n"),
);

/** The text of each marked section. */
export function splitSections(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  let current: string | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(MARK)) current = line.slice(MARK.length).trim();
    else if (current) out[current] = `${out[current] ?? ""}${line}\n`;
  }
  return out;
}

function jsonLines(text: string | undefined): unknown[] {
  return (text ?? "")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as unknown);
}

function jsonArray(text: string | undefined): unknown {
  return text?.trim() ? (JSON.parse(text) as unknown) : [];
}

/** The script's output -> typed state; output that is not what docker prints is an error naming the section. */
export function parseSwarmState(stdout: string): SwarmState {
  const s = splitSections(stdout);
  const parse = <T>(section: string, schema: z.ZodType<T>, value: () => unknown): T => {
    try {
      return schema.parse(value());
    } catch (e) {
      throw new Error(`unexpected output of docker in section "${section}": ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const replicas = parse("replicas", z.array(replicasSchema), () => jsonLines(s.replicas));
  return {
    nodes: parse("nodes", z.array(dockerNodeSchema), () => jsonArray(s.nodes)),
    services: parse("services", z.array(dockerServiceSchema), () => jsonArray(s.services)),
    replicas: Object.fromEntries(replicas.map((r) => [r.Name, r.Replicas])),
    tasks: parse("tasks", z.array(dockerTaskSchema), () => jsonLines(s.tasks)),
  };
}
