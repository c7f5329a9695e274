import { RunError } from "@pulumi/pulumi/errors";
import { z } from "zod";

/**
 * One problem found in user input: where it is (a config key or a file, and the path inside it)
 * and what is wrong, phrased as "expected X, got Y" so the user knows what to write instead.
 */
export interface Problem {
  source: string;
  path: string;
  message: string;
}

/**
 * Raised before any resource is registered; lists every problem at once. A Pulumi RunError: the
 * program then fails with these lines alone, no stack trace and no object dump.
 */
export class ConfigError extends RunError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/**
 * Runs one check of the user's input; its ConfigError problems join `problems` (and `fallback` is
 * returned) so that every check runs and all problems are reported at once. Other errors pass.
 */
export function gatherProblems<T>(problems: Problem[], check: () => T, fallback: T): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return fallback;
  }
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.source}: ${p.path}: ${p.message}` : `${p.source}: ${p.message}`;
}

/** `nodes[1].labels.zone`, `services.api.deploy.replicas`: the path as a user writes it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** A value as it appears in an error: short, quoted when it is text, typed when it is not. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return "an object";
}

const typeNames: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

/** zod string formats as a user would name them (the fallback is "a <format>"). */
const formatNames: Record<string, string> = {
  email: "an email address",
  url: "a URL",
  uuid: "a UUID",
  ipv4: "an IPv4 address",
  ipv6: "an IPv6 address",
};

function describeExpected(expected: string): string {
  return typeNames[expected] ?? expected;
}

/** Keys whose values are secrets: an error says what kind of value was found, never the value. */
const SECRET_KEYS = /^(password|privateKey|secrets|token)$/i;

export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some((k) => typeof k === "string" && SECRET_KEYS.test(k));
}

/** A secret as it appears in an error: its kind and length only. */
function describeSecret(value: unknown): string {
  if (typeof value === "string") return `a secret of ${value.length} character(s)`;
  return typeof value === "number" || typeof value === "boolean" ? `a ${typeof value}` : describeValue(value);
}

/** What a union of simple schemas accepts ("true or false | \"auto\""), when every branch failed on the value's type or value alone. */
function unionAlternatives(branches: readonly (readonly z.core.$ZodIssue[])[]): string | undefined {
  const each = branches.map((b) => {
    const only = b.length === 1 && b[0].path.length === 0 ? b[0] : undefined;
    if (only?.code === "invalid_type") return describeExpected(only.expected);
    if (only?.code === "invalid_value") return only.values.map((v) => JSON.stringify(v)).join(" | ");
    return undefined;
  });
  return each.length && each.every(Boolean) ? each.join(" | ") : undefined;
}

/** Turns one zod issue into our "expected ..., got ..." sentence (`secret`: the value is not shown). */
export function issueMessage(issue: z.core.$ZodIssue, secret = false): string {
  const show = secret ? describeSecret : describeValue;
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) return `is required (expected ${describeExpected(issue.expected)})`;
      return `expected ${describeExpected(issue.expected)}, got ${show(input)}`;
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}, got ${show(input)}`;
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")} (check the spelling; see the configuration reference in README.md)`;
    case "too_small": {
      const op = issue.inclusive ? ">=" : ">";
      if (issue.origin === "array") return `expected at least ${issue.minimum} item(s), got ${show(input)}`;
      if (issue.origin === "string") return `expected a non-empty string of at least ${issue.minimum} character(s), got ${show(input)}`;
      return `expected a number ${op} ${issue.minimum}, got ${show(input)}`;
    }
    case "too_big": {
      const op = issue.inclusive ? "<=" : "<";
      if (issue.origin === "array") return `expected at most ${issue.maximum} item(s), got ${show(input)}`;
      if (issue.origin === "string") return `expected at most ${issue.maximum} character(s), got ${show(input)}`;
      return `expected a number ${op} ${issue.maximum}, got ${show(input)}`;
    }
    case "invalid_format":
      return `expected ${issue.message && !issue.message.startsWith("Invalid") ? issue.message : (formatNames[issue.format] ?? `a ${issue.format}`)}, got ${show(input)}`;
    case "invalid_key":
      // a record key that fails its schema: say what the key should look like, as for any value
      return issue.issues[0] ? issueMessage(issue.issues[0], secret) : `${issue.message}, got ${show(input)}`;
    case "invalid_union": {
      const u = issue as { discriminator?: string; options?: unknown[] };
      if (u.discriminator && u.options) {
        const found = input && typeof input === "object" ? (input as Record<string, unknown>)[u.discriminator] : input;
        return `expected ${u.options.map((v) => JSON.stringify(v)).join(" | ")}, got ${show(found)}`;
      }
      const alternatives = unionAlternatives(issue.errors);
      if (alternatives) return `expected ${alternatives}, got ${show(input)}`;
      return `${issue.message === "Invalid input" ? "does not match any accepted form" : issue.message}, got ${show(input)}`;
    }
    case "not_multiple_of":
      return `expected a multiple of ${String(issue.divisor)}, got ${show(input)}`;
    default:
      return issue.message;
  }
}

/** Zod issues -> problems; the path of a failed discriminator points at the object, not at itself twice. */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], source: string, pathPrefix: readonly PropertyKey[] = []): Problem[] {
  return issues.map((issue) => {
    let path = [...pathPrefix, ...issue.path];
    const u = issue as { discriminator?: string };
    if (issue.code === "invalid_union" && u.discriminator && path[path.length - 1] !== u.discriminator) {
      path = [...path, u.discriminator];
    }
    return { source, path: formatPath(path), message: issueMessage(issue, isSecretPath(path)) };
  });
}

/**
 * The one entry point for validating user input: parse `data` with `schema`, or throw a
 * ConfigError naming `source` (a file or a config key), every path and what was expected.
 */
export function validate<S extends z.ZodType>(schema: S, data: unknown, opts: { source: string; path?: readonly PropertyKey[] }): z.output<S> {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(issuesToProblems(result.error.issues, opts.source, opts.path));
}
