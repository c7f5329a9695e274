/**
 * The selected stack's outputs, read with the Pulumi CLI (secrets included: they stay in this
 * process, never printed) and checked against what the helpers rely on.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { z } from "zod";

const nodeRowSchema = z.object({
  name: z.string(),
  role: z.string(),
  address: z.string(),
  sshPort: z.number(),
});
export type NodeRow = z.infer<typeof nodeRowSchema>;

/** Absent, whether left out or written as null. */
const absentAsUndefined = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** How a node is reached over SSH, without its key (the `sshTargets` output). */
const sshTargetSchema = z.object({
  host: z.string(),
  port: z.number(),
  user: z.string(),
  hostKey: absentAsUndefined(z.string()),
  jump: absentAsUndefined(z.object({ host: z.string(), port: z.number(), user: z.string() })),
});
export type SshTargetRow = z.infer<typeof sshTargetSchema>;

const outputsSchema = z.object({
  cluster: z.string().default("?"),
  nodes: z.array(nodeRowSchema).default([]),
  /** The leader's node name (stacks deployed before this output existed have only leaderAddress). */
  leader: z.string().optional(),
  leaderAddress: z.string().optional(),
  sshTargets: z.record(z.string(), sshTargetSchema).optional(),
  sshPrivateKey: z.string().optional(),
  /** Keys of the nodes that do not take sshPrivateKey (each Vagrant VM has its own), by node name. */
  sshPrivateKeys: z.record(z.string(), z.string()).optional(),
  registry: z.string().optional(),
  registryLogin: z.object({ username: z.string(), password: z.string() }).optional(),
  registryCa: z.string().optional(),
  urls: z.record(z.string(), z.string()).default({}),
  /** The swarm's unlock key ("" when autolock is off; stacks deployed before it existed have none). */
  unlockKey: z.string().optional(),
  autolock: z.boolean().optional(),
});
export type StackOutputs = z.infer<typeof outputsSchema>;

/** `pulumi stack output --json` -> typed outputs; a shape this script does not know is an error that says which output. */
export function parseStackOutputs(raw: unknown): StackOutputs {
  // an output that resolved to nothing may come as null: the same as absent
  const present = typeof raw === "object" && raw !== null ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null)) : raw;
  const parsed = outputsSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`).join("; ");
  throw new Error(`the stack's outputs are not what this script expects (${where}): run npm run up with this version of swarmlab`);
}

/** The outputs of the selected stack (SWARMLAB_STACK, default dev), through cli/pulumi.sh. */
export function readStackOutputs(): StackOutputs {
  const root = path.resolve(__dirname, "../..");
  const json = execFileSync("bash", [path.join(root, "cli/pulumi.sh"), "stack", "output", "--json", "--show-secrets"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return parseStackOutputs(JSON.parse(json));
}
