import { readFileSync } from "node:fs";
import * as path from "node:path";
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type ScalarTag, visit } from "yaml";
import { ConfigError, formatPath, formatProblem, issuesToProblems } from "../config/errors";
import { crossFieldProblems, type Stack, stackNameSchema, stackSchema, stackWarnings, swarmNameProblems } from "./schema";
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

/** What the yaml library says, as a user of a stack file needs to read it. */
function yamlErrorMessage(code: string, message: string, token: string): string {
  if (code === "DUPLICATE_KEY") return `duplicate key ${token.trim().startsWith('"') ? token.trim() : JSON.stringify(token.trim().replace(/^'|'$/g, ""))}: a key may appear once in a mapping (docker refuses the file)`;
  if (code === "MULTIPLE_DOCS") return "one YAML document per stack file: this file has another after `---`; put each stack in a file of its own";
  return `invalid YAML: ${message}`;
}

/** The node and message behind a failure of toJS (which has no position): an unresolved alias, a bad merge, too many aliases. */
function locateToJsFailure(doc: Document, err: Error): { at: number; message: string } {
  let found: { at: number; message: string } | undefined;
  let firstAlias: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      firstAlias ??= node.range?.[0];
      if (!found && node.resolve(doc) === undefined) found = { at: node.range?.[0] ?? 0, message: `unresolved alias *${node.source}: no anchor &${node.source} is set before it` };
    },
    Pair(_key, pair) {
      if (found || !isScalar(pair.key) || pair.key.source !== "<<") return;
      const value = isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
      const sources = isSeq(value) ? value.items.map((i) => (isAlias(i) ? i.resolve(doc) : i)) : [value];
      if (sources.every((v) => isMap(v))) return;
      const at = (pair.value as { range?: [number] } | null)?.range?.[0] ?? 0;
      found = { at, message: "a merge key (<<) takes a mapping, an alias of one or a list of them" };
    },
  });
  if (found) return found;
  if (/alias count/i.test(err.message)) return { at: firstAlias ?? 0, message: "too many alias uses (an alias bomb?): the aliases of this file expand to more than swarmlab reads" };
  return { at: 0, message: `invalid YAML: ${err.message}` };
}

/**
 * Parse YAML the way docker's compose loader does: YAML 1.2 core (`yes`, `y` and `on` stay text),
 * `<<` merge keys, and `0440` as octal. Every YAML problem becomes a problem at `file:line:col`.
 */
function parseYaml(text: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, customTags: (tags) => [legacyOctal, ...tags], prettyErrors: false, lineCounter });
  const at = (pos: number) => {
    const { line, col } = lineCounter.linePos(pos);
    return `${source}:${line}:${col}`;
  };
  if (doc.errors.length) {
    // the key a DUPLICATE_KEY error points at, as written (quoted or plain)
    const keyAt = (pos: number) => /^(?:"[^"]*"|'[^']*'|[^:\n]*)/.exec(text.slice(pos))?.[0] ?? "";
    throw new ConfigError(doc.errors.map((e) => ({ source: at(e.pos[0]), path: "", message: yamlErrorMessage(e.code, e.message, keyAt(e.pos[0])) })));
  }
  if (doc.contents === null) throw new ConfigError([{ source, path: "", message: "the file is empty: expected a stack file (services: ...)" }]);
  try {
    return doc.toJS();
  } catch (err) {
    const failure = locateToJsFailure(doc, err as Error);
    throw new ConfigError([{ source: at(failure.at), path: "", message: failure.message }]);
  }
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
  else problems.push(...swarmNameProblems(doc, name).map((p) => ({ source, path: formatPath(p.path), message: p.message })));
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
