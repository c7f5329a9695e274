/**
 * The lab guide's doc tests: docs/labs/en/NN-*.md, in order, run against a lab of their own
 * (cluster `labs`, stack `labs`), as a learner would follow them: each `yaml lab-config` block is
 * applied to the stack's config, each `sh lab` block runs in a shell at the project's root (so
 * `npm run up`, `npm run ssh`, `npm run status`, `npm run push` target that stack), and the
 * `text expect` block after it must match the output. The French pages must hold exactly the same
 * blocks as their English twins. Each `text board` block is matched against what the board
 * (swarmlab's own, the default visualizer image) serves at that point, read from its /api/snapshot
 * (the data its page draws) at the stack's `urls.visualizer`. (The convention:
 * test/support/labGuide.ts, docs/labs/README.md.)
 *
 * What differs from a learner's machine, and only that (explicit here, never in the pages): the
 * cluster name, subnet and node image of this lab; images from Docker Hub replaced by the ones
 * tools/offline/images.sh builds (side-loaded into the nodes, the board's among them: no registry
 * here to pull it from); and the lab's container names (`lab-worker2` is `labs-worker2` here).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { loadClusterConfig } from "../../components/config/load";
import type { Snapshot } from "../../images/board/snapshot";
import { boardText, labBlocks, missingLines, parseLabPage, substitute, substituteValues, type LabStep } from "../support/labGuide";
import { docker, dropOwnStack, e2eEnabled, labImages, labelledObjects, ownStack, ROOT, toConfigMap } from "./lab";

const NAME = "labs";
const SUBNET = "172.31.200.0/24";
const DOCS = path.join(ROOT, "docs/labs");
const BOARD = labImages().SWARMLAB_BOARD_IMAGE ?? "swarmlab/board:0.1.0";

const pages = (lang: string) =>
  fs
    .readdirSync(path.join(DOCS, lang))
    .filter((f) => /^\d\d-.*\.md$/.test(f))
    .sort();
const read = (lang: string, page: string) => fs.readFileSync(path.join(DOCS, lang, page), "utf8");

describe("the lab guide: pages, index and translations", () => {
  it("has the seven pages in English and in French, each listed by its language's index", () => {
    expect(pages("en")).toHaveLength(7);
    expect(pages("fr")).toEqual(pages("en"));
    for (const lang of ["en", "fr"]) {
      const index = fs.readFileSync(path.join(DOCS, lang, "README.md"), "utf8");
      for (const p of pages(lang)) expect(index).toContain(`(${p})`);
    }
  });

  it("every English page has config, commands and expected output; each French page has exactly the same blocks", () => {
    for (const p of pages("en")) {
      const en = parseLabPage(read("en", p), `en/${p}`);
      expect(en.some((s) => s.kind === "run"), p).toBe(true);
      expect(en.some((s) => s.kind === "expect"), p).toBe(true);
      expect(labBlocks(parseLabPage(read("fr", p), `fr/${p}`)), `fr/${p} against en/${p}`).toEqual(labBlocks(en));
    }
  });

  it("every config the pages lead to is a valid swarmlab configuration of the dev stack, with stack files that exist", () => {
    const dev = (YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
    const cfg: Record<string, unknown> = { ...dev };
    for (const p of pages("en")) {
      for (const step of parseLabPage(read("en", p), `en/${p}`)) {
        if (step.kind !== "config") continue;
        Object.assign(cfg, step.values);
        const raw = Object.fromEntries(Object.entries(cfg).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        const parsed = loadClusterConfig(raw, `docs/labs/en/${p}:${step.line}`);
        for (const st of parsed.stacks) expect(fs.existsSync(path.join(ROOT, st.file)), `${p}: ${st.file}`).toBe(true);
      }
    }
  });
});

const tagOf = (image: string) => image.slice(image.lastIndexOf(":") + 1);

/** Public images the pages name, and what stands in for each here; the lab's container prefix. */
function standIns(): Record<string, string> {
  const img = labImages();
  return {
    "traefik/whoami": img.SWARMLAB_WHOAMI_IMAGE,
    "traefik/whoami:latest": img.SWARMLAB_WHOAMI_IMAGE,
    "traefik/whoami:v1.10": img.SWARMLAB_WHOAMI_V2_IMAGE,
    // the board's cards show a tag alone: the pushed and the updated image's
    "whoami_whoami:v1.10": `whoami_whoami:${tagOf(img.SWARMLAB_WHOAMI_V2_IMAGE)}`,
    "hello:v1.10": `hello:${tagOf(img.SWARMLAB_WHOAMI_V2_IMAGE)}`,
    "lab-manager1": `${NAME}-manager1`,
    "lab-worker1": `${NAME}-worker1`,
    "lab-worker2": `${NAME}-worker2`,
  };
}

/** The config a page leads to, made to run here (see the file's comment). */
function adapt(cfg: Record<string, unknown>): Record<string, unknown> {
  const img = labImages();
  const c = substituteValues(structuredClone(cfg), standIns());
  const on = (k: string) => c[k] && typeof c[k] === "object";
  c.name = NAME;
  c.hosts = { ...((c.hosts as object) ?? {}), kind: "docker-lab", image: img.SWARMLAB_NODE_IMAGE, subnet: SUBNET };
  c.images = { sideLoad: [img.SWARMLAB_REGISTRY_IMAGE, img.SWARMLAB_TRAEFIK_IMAGE, img.SWARMLAB_WHOAMI_IMAGE, img.SWARMLAB_WHOAMI_V2_IMAGE, BOARD] };
  if (on("registry")) c.registry = { ...(c.registry as object), image: img.SWARMLAB_REGISTRY_IMAGE };
  if (on("traefik")) c.traefik = { ...(c.traefik as object), image: img.SWARMLAB_TRAEFIK_IMAGE };
  if (Array.isArray(c.stacks)) {
    c.stacks = (c.stacks as Record<string, unknown>[]).map((s) => ({ ...s, images: { "traefik/whoami": img.SWARMLAB_WHOAMI_IMAGE, ...((s.images as object) ?? {}) } }));
  }
  return c;
}

describe.runIf(e2eEnabled())("the lab guide, page by page, against a lab of its own", () => {
  let stack: Stack | undefined;
  let work = "";
  let env: NodeJS.ProcessEnv = {};
  const config: Record<string, unknown> = {};
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const own = await ownStack(NAME);
    stack = own.stack;
    work = own.work;
    env = { ...process.env, ...own.env, SWARMLAB_STACK: NAME, FORCE_COLOR: "0" };
    expect(spawnSync("docker", ["image", "inspect", BOARD], { stdio: "ignore" }).status, `the board's image ${BOARD} (bash tools/offline/images.sh --only board)`).toBe(0);
  }, 300_000);

  afterAll(async () => {
    // SWARMLAB_LABS_KEEP=1: a writer keeps the lab between runs of the pages (the pages converge from any earlier state)
    if (process.env.SWARMLAB_LABS_KEEP === "1") return;
    await dropOwnStack(stack, NAME, work);
    // what a failed destroy left behind (the label says it is this lab's)
    for (const o of labelledObjects(NAME)) {
      const [kind, name] = o.split(" ");
      spawnSync("docker", kind === "container" ? ["rm", "-f", name] : [kind, "rm", name], { stdio: "ignore" });
    }
    console.log(`lab guide timings (s): ${JSON.stringify(timings)}`);
  }, 300_000);

  async function apply(step: Extract<LabStep, { kind: "config" }>): Promise<void> {
    for (const [k, v] of Object.entries(step.values)) config[k.slice("swarmlab:".length)] = v;
    const effective = adapt(config);
    const current = await stack!.getAllConfig();
    const stale = Object.keys(current).filter((k) => k.startsWith("swarmlab:") && !(k.slice("swarmlab:".length) in effective));
    if (stale.length) await stack!.removeAllConfig(stale);
    await stack!.setAllConfig(toConfigMap(effective));
  }

  function runOnce(commands: string[]): { output: string; failed?: string } {
    let output = "";
    for (const c of commands) {
      const cmd = substitute(c, standIns());
      const r = spawnSync("bash", ["-c", cmd], { cwd: ROOT, env, encoding: "utf8", timeout: 600_000 });
      output += `${r.stdout ?? ""}${r.stderr ?? ""}`;
      if (r.status !== 0) return { output, failed: `${c}: exit ${r.status ?? r.signal}` };
    }
    return { output };
  }

  /**
   * Tries `attempt` every 3 s until it reports nothing wrong or `waitSeconds` have passed (0: once);
   * then throws what it reported last.
   */
  async function until(waitSeconds: number, attempt: () => Promise<string | undefined> | string | undefined): Promise<void> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const wrong = await attempt();
      if (wrong === undefined) return;
      if (Date.now() >= deadline) throw new Error(wrong);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  function run(step: Extract<LabStep, { kind: "run" }>, where: string): Promise<void> {
    const expected = step.expect.map((l) => substitute(l, standIns()));
    return until(step.waitSeconds, () => {
      const { output, failed } = runOnce(step.commands);
      const missing = failed ? [] : missingLines(expected, output);
      if (!failed && missing.length === 0) return undefined;
      return `${where}: ${failed ?? `expected lines missing:\n  ${missing.join("\n  ")}`}\n--- output of ${step.commands.join(" ; ")}:\n${output}`;
    });
  }

  /** The board's picture as text, read where the learner opens it (the stack's `urls.visualizer`). */
  async function boardNow(): Promise<string> {
    const urls = (await stack!.outputs()).urls?.value as Record<string, string> | undefined;
    if (!urls?.visualizer) return "no board: the stack has no urls.visualizer output";
    try {
      const res = await fetch(new URL("api/snapshot", urls.visualizer), { signal: AbortSignal.timeout(10_000) });
      return res.ok ? boardText((await res.json()) as Snapshot) : `the board answered ${res.status}`;
    } catch (e) {
      return `the board does not answer at ${urls.visualizer}: ${(e as Error).message}`;
    }
  }

  function board(step: Extract<LabStep, { kind: "board" }>, where: string): Promise<void> {
    const expected = step.expect.map((l) => substitute(l, standIns()));
    return until(step.waitSeconds, async () => {
      const text = await boardNow();
      const missing = missingLines(expected, text);
      return missing.length === 0 ? undefined : `${where}: the board does not show:\n  ${missing.join("\n  ")}\n--- the board shows:\n${text}`;
    });
  }

  // each page starts where the previous one ended: after a failed page, the next ones would only
  // wait out their checks and report its consequences, so they fail at once, naming it
  let failedPage: string | undefined;
  for (const page of fs.existsSync(path.join(DOCS, "en")) ? pages("en") : []) {
    it(`en/${page}`, async () => {
      if (failedPage) throw new Error(`not run: en/${failedPage} failed, and this page starts where that one ends`);
      const t = Date.now();
      try {
        for (const step of parseLabPage(read("en", page), `en/${page}`)) {
          if (step.kind === "config") await apply(step);
          else if (step.kind === "run") await run(step, `docs/labs/en/${page}:${step.line}`);
          else if (step.kind === "board") await board(step, `docs/labs/en/${page}:${step.line}`);
        }
      } catch (e) {
        failedPage = page;
        throw e;
      }
      timings[page.slice(0, 2)] = Math.round((Date.now() - t) / 1000);
    }, 900_000);
  }

  it.skipIf(process.env.SWARMLAB_LABS_KEEP === "1")("leaves nothing behind once destroyed", async () => {
    await dropOwnStack(stack, NAME, work);
    stack = undefined;
    expect(labelledObjects(NAME)).toEqual([]);
    expect(docker(["ps", "-a", "--filter", `label=swarmlab.cluster=${NAME}`, "-q"]).trim()).toBe("");
  }, 300_000);
});
