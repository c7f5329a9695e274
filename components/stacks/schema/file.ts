/** A stack file's top level: services, networks, volumes, secrets, configs. */
import { z } from "zod";
import { cidrSubnet } from "../../config/dockerRules";
import { driverOpts, external, listOrDict, stackNameSchema, withExtensions } from "./primitives";
import { serviceSchema } from "./service";

export const networkSchema = withExtensions({
  name: z.string().optional().describe("actual network name (default <stack>_<key>)"),
  driver: z.string().optional().describe("overlay (default in a swarm)"),
  driver_opts: driverOpts.optional(),
  attachable: z.boolean().optional().describe("standalone containers may join"),
  external: external.optional().describe("exists already; not created or removed by the stack"),
  internal: z.boolean().optional(),
  ipam: z
    .strictObject({
      driver: z.string().optional(),
      config: z
        .array(
          z.strictObject({
            subnet: cidrSubnet("10.20.0.0/24").describe("e.g. 10.20.0.0/24"),
          }),
        )
        .optional(),
    })
    .optional(),
  labels: listOrDict.optional(),
}).nullable();
export type Network = z.infer<typeof networkSchema>;

export const volumeSchema = withExtensions({
  name: z.string().optional(),
  driver: z.string().optional(),
  driver_opts: driverOpts.optional(),
  external: external.optional(),
  labels: listOrDict.optional(),
}).nullable();
export type Volume = z.infer<typeof volumeSchema>;

/** Exactly one place the content comes from: a file, an environment variable, or an existing object. */
export function oneSource(kinds: string) {
  return (value: { file?: string; environment?: string; external?: unknown }, ctx: z.RefinementCtx) => {
    const sources = [value.file, value.environment, value.external ? true : undefined].filter((s) => s !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({ code: "custom", message: `expected exactly one of ${kinds}, got ${sources.length}`, input: value });
    }
  };
}

export const secretSchema = withExtensions({
  name: z.string().optional(),
  file: z.string().optional().describe("read on the machine that runs docker stack deploy"),
  environment: z.string().optional().describe("environment variable holding the content"),
  external: external.optional(),
  labels: listOrDict.optional(),
  driver: z.string().optional(),
  driver_opts: driverOpts.optional(),
  template_driver: z.string().optional(),
}).superRefine(oneSource("file, environment or external: true"));
export type Secret = z.infer<typeof secretSchema>;

export const configSchema = withExtensions({
  name: z.string().optional(),
  file: z.string().optional().describe("read on the machine that runs docker stack deploy"),
  external: external.optional(),
  labels: listOrDict.optional(),
  template_driver: z.string().optional(),
}).superRefine(oneSource("file or external: true"));
export type Config = z.infer<typeof configSchema>;

export const stackObject = withExtensions({
  version: z.string().optional().describe("accepted and ignored"),
  name: stackNameSchema.optional().describe("stack name (default: the file name)"),
  services: z.record(z.string(), serviceSchema),
  networks: z.record(z.string(), networkSchema).optional(),
  volumes: z.record(z.string(), volumeSchema).optional(),
  secrets: z.record(z.string(), secretSchema).optional(),
  configs: z.record(z.string(), configSchema).optional(),
});
/** The fields of a stack file; the rules across fields are in crossFieldProblems. */
export const stackSchema = stackObject;
export type Stack = z.infer<typeof stackSchema>;
