/**
 * `${VAR}` in stack files, as `docker stack deploy` reads them: values (never keys) are
 * interpolated from the environment of the machine that runs swarmlab, before validation.
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
 * `${VAR:+other}`, `${VAR+other}`, and `$$` for a literal `$`. As docker does, a value that
 * interpolation changed is cast to a number or a boolean where the compose format wants one.
 */

export interface InterpolationNote {
  path: PropertyKey[];
  message: string;
}

export interface Interpolated {
  doc: unknown;
  /** Malformed expressions and `${VAR:?error}` with VAR unset. */
  problems: InterpolationNote[];
  /** Variables that are unset (they become ""), and secrets-looking variables put in the definition. */
  warnings: InterpolationNote[];
}

type Env = Record<string, string | undefined>;

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;
const SECRET_NAME = /pass|secret|token|private|credential|api_?key/i;

interface Substitution {
  value: string;
  used: string[];
  unset: string[];
  error?: string;
}

/** The index of the `}` closing the `${` whose content starts at `from` (nested `${...}` allowed). */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

/** One `${...}` body: NAME, then an optional operator and its word (itself interpolated). */
function braced(body: string, env: Env, out: Substitution): string {
  const name = body.match(NAME)?.[0];
  if (!name) throw new Error(`invalid interpolation format "\${${body}}": expected \${NAME}, \${NAME:-default} or \${NAME:?error}`);
  const rest = body.slice(name.length);
  const value = env[name];
  out.used.push(name);
  const op = rest.match(/^(:?[-?+])/)?.[1];
  if (rest && !op) throw new Error(`invalid interpolation format "\${${body}}": expected \${NAME}, \${NAME:-default} or \${NAME:?error}`);
  const word = () => substituteText(rest.slice(op?.length ?? 0), env, out);
  const empty = value === undefined || (op?.startsWith(":") && value === "");
  switch (op) {
    case undefined:
      if (value === undefined) out.unset.push(name);
      return value ?? "";
    case ":-":
    case "-":
      return empty ? word() : (value as string);
    case ":?":
    case "?":
      if (empty) throw new Error(`required variable ${name} is missing a value${rest.length > op.length ? `: ${word()}` : ""}`);
      return value as string;
    default: // ":+", "+"
      return empty ? "" : word();
  }
}

function substituteText(text: string, env: Env, out: Substitution): string {
  let result = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "$") {
      result += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      result += "$";
      i++;
    } else if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new Error(`invalid interpolation format "${text.slice(i)}": a "\${" without its "}" (write $$ for a literal $)`);
      result += braced(text.slice(i + 2, end), env, out);
      i = end;
    } else {
      const name = text.slice(i + 1).match(NAME)?.[0];
      if (!name) throw new Error(`invalid interpolation format "${text.slice(i)}": a "$" must start a variable (write $$ for a literal $)`);
      out.used.push(name);
      if (env[name] === undefined) out.unset.push(name);
      result += env[name] ?? "";
      i += name.length;
    }
  }
  return result;
}

/** Interpolates one string. */
export function substitute(text: string, env: Env): Substitution {
  const out: Substitution = { value: text, used: [], unset: [] };
  if (!text.includes("$")) return out;
  try {
    out.value = substituteText(text, env, out);
  } catch (err) {
    out.error = (err as Error).message;
  }
  return out;
}

// Where docker casts an interpolated value (cli/compose/loader/interpolate.go); "*" is any key or index.
const INT_PATHS = [
  "services.*.configs.*.mode", "services.*.secrets.*.mode", "services.*.healthcheck.retries", "services.*.deploy.replicas",
  "services.*.deploy.update_config.parallelism", "services.*.deploy.rollback_config.parallelism", "services.*.deploy.restart_policy.max_attempts",
  "services.*.deploy.placement.max_replicas_per_node", "services.*.ports.*.target", "services.*.ports.*.published",
  "services.*.ulimits.*", "services.*.ulimits.*.hard", "services.*.ulimits.*.soft",
];
const FLOAT_PATHS = ["services.*.deploy.update_config.max_failure_ratio", "services.*.deploy.rollback_config.max_failure_ratio"];
const BOOL_PATHS = [
  "services.*.healthcheck.disable", "services.*.read_only", "services.*.stdin_open", "services.*.tty", "services.*.init",
  "services.*.volumes.*.read_only", "services.*.volumes.*.volume.nocopy",
  "networks.*.external", "networks.*.internal", "networks.*.attachable", "volumes.*.external", "secrets.*.external", "configs.*.external",
];

const matches = (pattern: string, path: PropertyKey[]) => {
  const parts = pattern.split(".");
  return parts.length === path.length && parts.every((p, i) => p === "*" || p === String(path[i]));
};

/** The value docker would see at `path`: a number or a boolean where the format wants one, else the text. */
function cast(value: string, path: PropertyKey[]): unknown {
  if ([...INT_PATHS, ...FLOAT_PATHS].some((p) => matches(p, path)) && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  if (BOOL_PATHS.some((p) => matches(p, path)) && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === "true";
  return value; // left as text: the schema says what it expected
}

/** Interpolates every string value of a parsed stack file (mapping keys stay as written). */
export function interpolateStack(doc: unknown, env: Env): Interpolated {
  const problems: InterpolationNote[] = [];
  const warnings: InterpolationNote[] = [];
  const walk = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === "string") {
      const s = substitute(value, env);
      if (s.error) problems.push({ path, message: s.error });
      for (const name of new Set(s.unset)) warnings.push({ path, message: `the variable ${name} is not set: it becomes an empty string (as docker stack deploy does)` });
      for (const name of new Set(s.used.filter((n) => SECRET_NAME.test(n) && env[n] !== undefined))) {
        warnings.push({ path, message: `\${${name}} puts its value in the stack's definition (Pulumi state, docker service inspect): pass secrets as swarm secrets (top-level secrets with environment: ${name})` });
      }
      return s.value === value ? value : cast(s.value, path);
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    return value;
  };
  return { doc: walk(doc, []), problems, warnings };
}

/** Every `$` doubled: what swarmlab renders reaches docker's own interpolation as the literal text it is. */
export function escapeDollars<T>(value: T): T {
  if (typeof value === "string") return value.replace(/\$/g, "$$$$") as T;
  if (Array.isArray(value)) return value.map(escapeDollars) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDollars(v)])) as T;
  return value;
}
