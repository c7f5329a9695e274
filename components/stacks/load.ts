import { readFileSync } from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument, type ScalarTag } from "yaml";
import { ConfigError, formatPath, formatProblem, issuesToProblems, type Problem } from "../config/errors";
import { crossFieldProblems, type Stack, stackNameSchema, stackSchema, stackWarnings } from "../config/stack";
import { interpolateStack } from "./interpolate";

/** A stack file, validated: its name, where it came from, its content and what will be ignored. */
export interface LoadedStack {
  name: string;
  file: string;
  stack: Stack;
  warnings: string[];
}

export interface LoadOptions {
  /** Stack name; default: the file's top-level `name`, else the file name without extension. */
  name?: string;
  /** Variables for `${VAR}` in the file (the environment of the machine running swarmlab); none: no interpolation. */
  env?: Record<string, string | undefined>;
}

/** `mode: 0440` is octal, as docker's YAML reader (and every compose file) means it. */
const legacyOctal: ScalarTag = {
  tag: "tag:yaml.org,2002:int",
  default: true,
  test: /^0[0-7]+$/,
  resolve: (text: string) => parseInt(text, 8),
};

/**
 * Parse YAML the way docker's compose loader does: YAML 1.2 core (`yes`, `y` and `on` stay text),
 * `<<` merge keys, and `0440` as octal. Every syntax error becomes a problem at `file:line:col`.
 */
function parseYaml(text: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, customTags: (tags) => [legacyOctal, ...tags], prettyErrors: false, lineCounter });
  if (doc.errors.length === 0) return doc.toJS();
  const problems: Problem[] = doc.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return { source: `${source}:${line}:${col}`, path: "", message: `invalid YAML: ${error.message}` };
  });
  throw new ConfigError(problems);
}

/** Validate stack file text; `source` names it in messages. Throws a ConfigError listing every problem. */
export function parseStack(text: string, source: string, opts: LoadOptions = {}): LoadedStack {
  const interpolated = opts.env ? interpolateStack(parseYaml(text, source), opts.env) : { doc: parseYaml(text, source), problems: [], warnings: [] };
  const doc = interpolated.doc;
  // every problem of the file in one report: the variables', the fields', the rules across fields', the name's
  const parsed = stackSchema.safeParse(doc, { reportInput: true });
  const problems = interpolated.problems.map((p) => ({ source, path: formatPath(p.path), message: p.message }));
  if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues, source));
  problems.push(...crossFieldProblems(doc).map((p) => ({ source, path: formatPath(p.path), message: p.message })));
  const fallback = path.basename(source).replace(/\.ya?ml$/i, "");
  const name = opts.name ?? (parsed.success ? parsed.data.name : undefined) ?? fallback;
  const nameCheck = stackNameSchema.safeParse(name, { reportInput: true });
  if (!nameCheck.success) problems.push(...issuesToProblems(nameCheck.error.issues, source, ["name"]));
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const variableWarnings = interpolated.warnings.map((w) => formatProblem({ source, path: formatPath(w.path), message: w.message }));
  return { name, file: source, stack: parsed.data, warnings: [...variableWarnings, ...stackWarnings(parsed.data, source)] };
}

/** Read and validate a stack file. */
export function loadStackFile(file: string, opts: LoadOptions = {}): LoadedStack {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ source: file, path: "", message: `cannot read the stack file (${(err as Error).message})` }]);
  }
  return parseStack(text, file, opts);
}
