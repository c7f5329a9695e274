/**
 * The lab guide's doc tests (docs/labs/<lang>/NN-*.md): what a page asks the learner to do, read
 * from its fenced blocks, so that test/e2e/75-labs.test.ts runs exactly what the page says.
 *
 * The convention (docs/labs/README.md says it for writers):
 * - ```yaml lab-config   a Pulumi.<stack>.yaml excerpt: `swarmlab:` keys, each replacing that key
 *                        of the stack's config as a whole (what pasting it into the file does).
 * - ```sh lab            commands to run, one per line (a line ending with `\` goes on; `#` lines
 *                        are comments). Each must exit 0. `wait=N` in the info string: run the block
 *                        again (every 3 s, up to N seconds) until the expect block after it matches.
 * - ```text expect       lines that must appear in the output (stdout and stderr) of the commands
 *                        block right before it, in any order; blanks are collapsed, and `...`
 *                        stands for any text.
 * - ```text board        what the board (visualizer) shows at that point, as text: lines that must
 *                        appear in boardText() of the board's own /api/snapshot, in any order (the
 *                        same matching). Read again every 3 s, up to `wait=N` seconds (default 60):
 *                        the board follows the swarm live.
 * Every other fenced block is prose for the reader and is not run.
 */
import * as YAML from "yaml";
import type { Snapshot } from "../../images/board/snapshot";

export type LabStep =
  | { kind: "config"; line: number; text: string; values: Record<string, unknown> }
  | { kind: "run"; line: number; text: string; commands: string[]; waitSeconds: number; expect: string[] }
  | { kind: "expect"; line: number; text: string }
  | { kind: "board"; line: number; text: string; expect: string[]; waitSeconds: number };

interface Fence {
  info: string;
  body: string;
  line: number;
}

/** Every fenced block of a Markdown text (``` or ~~~, 3 or more), with its info string and 1-based line. */
export function fences(markdown: string): Fence[] {
  const lines = markdown.split("\n");
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^ {0,3}(`{3,}|~{3,})\s*(.*)$/);
    if (!open) continue;
    const marker = open[1];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^ {0,3}${marker[0]}{${marker.length},}\\s*$`).test(lines[j])) body.push(lines[j++]);
    if (j >= lines.length) throw new Error(`line ${i + 1}: a fenced block that is never closed`);
    out.push({ info: open[2].trim(), body: body.join("\n"), line: i + 1 });
    i = j;
  }
  return out;
}

/** The commands of a `sh lab` block: continuation lines joined, comments and blank lines left out. */
export function commandsOf(body: string): string[] {
  const commands: string[] = [];
  let current = "";
  for (const raw of body.split("\n")) {
    const line = raw.trimEnd();
    if (!current && (line.trim() === "" || line.trim().startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      current += line.slice(0, -1) + " ";
      continue;
    }
    commands.push((current + line).trim());
    current = "";
  }
  if (current.trim()) throw new Error(`a command ends with a line continuation: ${current.trim()}`);
  return commands;
}

/** The lab steps of a page, in order; an expect block is attached to the commands block before it. */
export function parseLabPage(markdown: string, file = "page"): LabStep[] {
  const steps: LabStep[] = [];
  for (const f of fences(markdown)) {
    const [lang, ...attrs] = f.info.split(/\s+/);
    const where = `${file}:${f.line}`;
    const wait = attrs.find((a) => a.startsWith("wait="));
    const waitSeconds = wait ? Number(wait.slice("wait=".length)) : undefined;
    if (waitSeconds !== undefined && (!Number.isInteger(waitSeconds) || waitSeconds < 0)) throw new Error(`${where}: wait= takes a number of seconds, got ${wait}`);
    if (attrs.includes("lab-config")) {
      if (lang !== "yaml") throw new Error(`${where}: a lab-config block is yaml (\`\`\`yaml lab-config)`);
      const values = YAML.parse(f.body) as unknown;
      if (!values || typeof values !== "object" || Array.isArray(values)) throw new Error(`${where}: a lab-config block is a mapping of swarmlab: keys`);
      const bad = Object.keys(values).filter((k) => !/^swarmlab:[A-Za-z]+$/.test(k));
      if (bad.length) throw new Error(`${where}: a lab-config block holds swarmlab: keys only, got ${bad.join(", ")}`);
      steps.push({ kind: "config", line: f.line, text: f.body, values: values as Record<string, unknown> });
    } else if (attrs.includes("lab")) {
      if (lang !== "sh") throw new Error(`${where}: a lab commands block is sh (\`\`\`sh lab)`);
      const commands = commandsOf(f.body);
      if (commands.length === 0) throw new Error(`${where}: a lab commands block without a command`);
      steps.push({ kind: "run", line: f.line, text: f.body, commands, waitSeconds: waitSeconds ?? 0, expect: [] });
    } else if (attrs.includes("board")) {
      if (lang !== "text") throw new Error(`${where}: a board block is text (\`\`\`text board)`);
      const expect = f.body.split("\n").filter((l) => l.trim() !== "");
      if (expect.length === 0) throw new Error(`${where}: a board block without a line`);
      steps.push({ kind: "board", line: f.line, text: f.body, expect, waitSeconds: waitSeconds ?? 60 });
    } else if (attrs.includes("expect")) {
      if (lang !== "text") throw new Error(`${where}: an expect block is text (\`\`\`text expect)`);
      const prev = steps[steps.length - 1];
      if (!prev || prev.kind !== "run") throw new Error(`${where}: an expect block comes right after a sh lab block`);
      prev.expect = f.body.split("\n").filter((l) => l.trim() !== "");
      steps.push({ kind: "expect", line: f.line, text: f.body });
    } else {
      continue;
    }
  }
  for (const s of steps) if (s.kind === "run" && s.waitSeconds > 0 && s.expect.length === 0) throw new Error(`${file}:${s.line}: wait= needs an expect block after the commands`);
  return steps;
}

/** What two translations of a page must share exactly: every lab block, kind and text, in order. */
export function labBlocks(steps: LabStep[]): string[] {
  return steps.map((s) => `${s.kind}\n${s.text.trimEnd()}`);
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

/** An expect line as a regular expression over one output line (blanks collapsed; `...` is any text). */
export function expectPattern(line: string): RegExp {
  const parts = squash(line)
    .split("...")
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

/** The expect lines that no line of the output matches ([] when all of them appear). */
export function missingLines(expect: string[], output: string): string[] {
  const lines = output.split("\n").map(squash);
  return expect.filter((e) => {
    const re = expectPattern(e);
    return !lines.some((l) => re.test(l));
  });
}

/**
 * Text replacements, whole words only (`traefik/whoami` does not touch `traefik/whoami:v1.10`):
 * what a machine without Docker Hub runs instead of a public image, say (`.../traefik/whoami`
 * is replaced too: a registry's path; so is one followed by an expect line's `...`).
 */
export function substitute(text: string, table: Record<string, string>): string {
  const keys = Object.keys(table).sort((a, b) => b.length - a.length);
  if (keys.length === 0) return text;
  const re = new RegExp(`(?<![\\w.:-])(${keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?![\\w/:-]|\\.(?!\\.\\.))`, "g");
  return text.replace(re, (m) => table[m]);
}

/** The same replacements through a config value (strings anywhere in it). */
export function substituteValues<T>(value: T, table: Record<string, string>): T {
  if (typeof value === "string") return substitute(value, table) as T;
  if (Array.isArray(value)) return value.map((v) => substituteValues(v as unknown, table)) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteValues(v as unknown, table)])) as T;
  return value;
}

/** A task's card as text: `<service>:<tag>` (the stack's prefix kept: the board shows the service's name). */
const card = (t: { service: string; imageTag: string }) => `${t.service}:${t.imageTag}`;

/**
 * The board's picture as text, for `text board` blocks: one line per node column (its header,
 * then its running task cards, grouped, `×N` when more than one: `worker2 worker active ready:
 * web_whoami:latest ×2, ...`, or `no task`), one per service of the services table (`service
 * <name> <image> <running>/<replicas>`, `update <state>` when it has one), one per Traefik route
 * (`route <router>: <rule> -> <service>`). Cards on their way out (a drain, a rolling update, a
 * node that is down) and tasks not yet running are left out: a page says what the board settles on.
 */
export function boardText(s: Snapshot): string {
  if (s.error) return `board error: ${s.error}`;
  const lines = s.nodes.map((n) => {
    const counts = new Map<string, number>();
    for (const t of n.tasks) if (t.state === "running" && !t.leaving) counts.set(card(t), (counts.get(card(t)) ?? 0) + 1);
    const cards = [...counts].map(([c, k]) => (k > 1 ? `${c} ×${k}` : c)).join(", ");
    return `${n.name} ${n.role}${n.leader ? " leader" : ""} ${n.availability} ${n.state}: ${cards || "no task"}`;
  });
  for (const v of s.services) {
    const count = v.mode === "global" ? `${v.running} global` : `${v.running}/${v.replicas ?? 0}`;
    lines.push(`service ${v.name} ${v.image} ${count}${v.update?.state ? ` update ${v.update.state}` : ""}`);
  }
  for (const r of s.routes) lines.push(`route ${r.router}: ${r.rule} -> ${r.service}`);
  return lines.join("\n");
}
