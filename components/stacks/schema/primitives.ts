/** Building blocks of the stack-file schema: zod helpers with Docker-style messages, and the small value types (durations, sizes, lists or mappings). */
import { z } from "zod";
import { describeValue } from "../../config/errors";

export type Kind = "string" | "number" | "boolean" | "array" | "object" | "null";
export type Branches = Partial<Record<Kind, z.ZodType>>;
export type BranchOutput<B extends Branches> = { [K in keyof B]: B[K] extends z.ZodType ? z.output<B[K]> : never }[keyof B];

export function kindOf(value: unknown): Kind | undefined {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const t = typeof value;
  return t === "string" || t === "number" || t === "boolean" || t === "object" ? t : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return kindOf(value) === "object";
}

/**
 * A value with several accepted YAML shapes (compose's `oneOf`). The branch is picked by shape, so
 * a mistake inside a long-syntax object is reported at its own path instead of as "no match".
 */
export function oneOf<B extends Branches>(expected: string, branches: B) {
  return z.unknown().transform((value, ctx): BranchOutput<B> => {
    const kind = kindOf(value);
    const schema = kind ? branches[kind] : undefined;
    if (!schema) {
      ctx.addIssue({ code: "custom", message: `expected ${expected}, got ${describeValue(value)}`, input: value });
      return z.NEVER;
    }
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data as BranchOutput<B>;
    for (const issue of result.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
  });
}

/** `x-*` keys are compose extensions (anchors, notes): dropped before validation, except ours. */
export function stripExtensions(value: unknown): unknown {
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith("x-") || key === "x-swarmlab"));
}

/** A strict object that also tolerates `x-*` extension keys. */
export function withExtensions<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.preprocess(stripExtensions, z.strictObject(shape));
}

/** Check a string with a function returning an error message (or nothing when the value is fine). */
export function checkedString(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = check(value);
    if (message) ctx.addIssue({ code: "custom", message: `${message}, got ${describeValue(value)}`, input: value });
  });
}

export const GO_DURATION = /^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;
export const duration = z.string().regex(GO_DURATION, 'a duration like "10s" or "1m30s"');
export const byteSize = z.string().regex(/^[0-9]+(\.[0-9]+)?\s?[kKmMgGtTpP]?[iI]?[bB]?$/, 'a size like "512M" or "2G"');
export const cpus = oneOf('a number of CPUs like 0.5 or "0.5"', {
  number: z.number().positive(),
  string: z.string().regex(/^[0-9]+(\.[0-9]+)?$/, 'a number of CPUs like "0.5"'),
});
export const count = z.number().int().min(0);
export const portNumber = z.number().int().min(1).max(65535);
export const stringOrList = oneOf("a string or a list of strings", { string: z.string(), array: z.array(z.string()) });
export const scalar = oneOf("a string, a number, true/false or null", {
  string: z.string(),
  number: z.number(),
  boolean: z.boolean(),
  null: z.null(),
});
/** compose's list_or_dict: `["KEY=value", ...]` or `{ KEY: value }`. */
export const listOrDict = oneOf('a list of "KEY=value" strings or a mapping', {
  array: z.array(z.string()),
  object: z.record(z.string(), scalar),
});
export type ListOrDict = z.infer<typeof listOrDict>;
export const driverOpts = z.record(z.string(), oneOf("a string or a number", { string: z.string(), number: z.number() }));
export const external = oneOf("true, false or a mapping with a name", {
  boolean: z.boolean(),
  object: z.strictObject({ name: z.string().describe("name of the existing object") }),
});
export const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export const STACK_NAME = /^[a-z0-9][a-z0-9_-]*$/;
export const stackNameSchema = z.string().regex(STACK_NAME, "a stack name of lower-case letters, digits, _ and - (starting with a letter or digit)");
