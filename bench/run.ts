/**
 * `npm run bench`: speed figures, printed, never asserted; what a user runs, timed as they feel it.
 *   - the 3-node lab (1 manager, 2 workers): `npm run up` from nothing to a Ready swarm, a no-op
 *     `npm run up`, `npm run destroy`, against the same bootstrap by a plain shell script
 *     (bench/baseline.sh);
 *   - the classic lab (3 nodes with registry, Traefik and whoami): the same three figures;
 *   - the 10-node lab (3 managers, 7 workers): the same against the plain script with the same
 *     roles, and against the 3-node lab (how `up` grows with the node count);
 *   - building the resource graph of a 100-node configuration under Pulumi mocks (the program's own
 *     cost in a preview, with no engine and no cluster).
 * Each figure is the median of --runs N runs (default 3), printed with the spread.
 * Options: --quick (3-node figures only), --runs N. Needs what the e2e tests need (Docker, CLI, node image).
 */
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { BIG_LAB, describeLab, labNodes, median, nodeCount, ratioLines, SMALL_LAB, spread, type LabSize } from "./figures";

process.env.SWARMLAB_E2E_NAME ??= "bench";
process.env.SWARMLAB_E2E_SUBNET ??= "172.30.200.0/24";

const ROOT = path.resolve(__dirname, "..");

const measure = {
  baseline: (size: LabSize) => `plain script: ${describeLab(size)} to a Ready swarm`,
  up: (size: LabSize) => `npm run up: ${describeLab(size)} from nothing`,
  noChange: (size: LabSize) => `npm run up with nothing to change: ${nodeCount(size)} nodes`,
  destroy: (size: LabSize) => `npm run destroy: ${nodeCount(size)} nodes`,
  classicUp: "npm run up: the classic lab (3 nodes, registry, Traefik, whoami) from nothing",
  classicNoChange: "npm run up with nothing to change: the classic lab",
  classicDestroy: "npm run destroy: the classic lab",
  graph: "resource graph of 100 nodes (mocks)",
};

/** Every sample of every measure, in the order measures were first taken. */
const samples = new Map<string, number[]>();

async function timed<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
  const t = process.hrtime.bigint();
  const out = await fn();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  samples.set(label, [...(samples.get(label) ?? []), s]);
  console.error(`  ${label}: ${s.toFixed(1)} s`);
  return out;
}

/** The plain-script baseline: `up` starts the nodes and forms the swarm with the same roles, `down` removes it all. */
function baseline(action: "up" | "down", size: LabSize): void {
  const args = [path.join(ROOT, "bench/baseline.sh"), action, "bench-baseline", String(nodeCount(size)), "172.30.201", String(size.managers)];
  execFileSync("bash", args, { stdio: "inherit" });
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const at = process.argv.indexOf("--runs");
  const runs = at > 0 ? Number(process.argv[at + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs takes a whole number >= 1");
  const lab = await import("../tools/lab");
  const missing = lab.missingPrerequisites();
  if (missing.length) throw new Error(`bench needs: ${missing.join("; ")}`);
  const stack = await lab.labStack();
  // What a user times: the npm scripts themselves (npm, the launcher script, the Pulumi CLI), on
  // the bench stack. The config is written first, untimed, as a user's config file already is.
  const npm = (script: string) => () => {
    execFileSync("npm", ["run", "-s", script], {
      cwd: ROOT,
      env: { ...process.env, ...stack.workspace.envVars, SWARMLAB_STACK: lab.STACK },
      stdio: ["ignore", "ignore", "inherit"],
    });
  };
  const configure = (cfg: Record<string, unknown>) => lab.setConfig(cfg);
  const sizes = quick ? [SMALL_LAB] : [SMALL_LAB, BIG_LAB];
  await stack.destroy();

  for (let run = 1; run <= runs; run++) {
    for (const size of sizes) {
      console.error(`run ${run} of ${runs}: ${describeLab(size)}`);
      baseline("down", size);
      await timed(measure.baseline(size), () => baseline("up", size));
      baseline("down", size);
      await configure({ ...lab.baseConfig(), nodes: labNodes(size) });
      await timed(measure.up(size), npm("up"));
      await timed(measure.noChange(size), npm("up"));
      await timed(measure.destroy(size), npm("destroy"));
    }
    console.error(`run ${run} of ${runs}: the classic lab`);
    await configure(lab.servicesConfig());
    await timed(measure.classicUp, npm("up"));
    await timed(measure.classicNoChange, npm("up"));
    await timed(measure.classicDestroy, npm("destroy"));
    if (quick) continue;
    console.error(`run ${run} of ${runs}: 100-node graph under mocks`);
    await timed(measure.graph, () => {
      execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench/graph.ts"), "100"], { stdio: "inherit" });
    });
  }

  const med = (label: string) => median(samples.get(label) ?? []);
  console.log(`\nswarmlab benchmark on ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? "unknown CPU"}; median of ${runs} run(s)`);
  console.log("| measure | median s | min-max s |\n|---|---|---|");
  for (const [label, xs] of samples) console.log(`| ${label} | ${median(xs).toFixed(1)} | ${spread(xs)} |`);
  const ratios = ratioLines({
    baselineSmall: med(measure.baseline(SMALL_LAB)),
    upSmall: med(measure.up(SMALL_LAB)),
    noopSmall: med(measure.noChange(SMALL_LAB)),
    destroySmall: med(measure.destroy(SMALL_LAB)),
    baselineBig: med(measure.baseline(BIG_LAB)),
    upBig: med(measure.up(BIG_LAB)),
    noopBig: med(measure.noChange(BIG_LAB)),
    classicUp: med(measure.classicUp),
  });
  console.log(`\n${ratios.join("\n")}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
