/**
 * `npm run bench`: speed figures, printed, never asserted.
 *   - the 3-node lab: `pulumi up` from nothing to a Ready swarm, a no-op `pulumi up`, `pulumi
 *     destroy`, against the same bootstrap by a plain shell script (scripts/bench-baseline.sh);
 *   - the 10-node lab (3 managers, 7 workers): `pulumi up` against the 3-node one;
 *   - building the resource graph of a 100-node configuration under Pulumi mocks (the program's own
 *     cost in a preview, with no engine and no cluster).
 * Each figure is the median of --runs N runs (default 3), printed with the spread.
 * Options: --quick (3-node figures only), --runs N. Needs what the e2e tests need (Docker, CLI, node image).
 */
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";

process.env.SWARMLAB_E2E_NAME ??= "bench";
process.env.SWARMLAB_E2E_SUBNET ??= "172.30.200.0/24";

const ROOT = path.resolve(__dirname, "..");
/** Every sample of every measure, in the order measures were first taken. */
const rows = new Map<string, number[]>();

async function timed<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
  const t = process.hrtime.bigint();
  const out = await fn();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  rows.set(label, [...(rows.get(label) ?? []), s]);
  console.error(`  ${label}: ${s.toFixed(1)} s`);
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function baseline(action: "up" | "down", nodes: number): void {
  execFileSync("bash", [path.join(ROOT, "scripts/bench-baseline.sh"), action, "bench-baseline", String(nodes), "172.30.201"], { stdio: "inherit" });
}

function nodes(managers: number, workers: number) {
  return [
    ...Array.from({ length: managers }, (_, i) => ({ name: `manager${i + 1}`, role: "manager" })),
    ...Array.from({ length: workers }, (_, i) => ({ name: `worker${i + 1}`, role: "worker" })),
  ];
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const at = process.argv.indexOf("--runs");
  const runs = at > 0 ? Number(process.argv[at + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs takes a whole number >= 1");
  const lab = await import("../test/e2e/lab");
  const missing = lab.missingPrerequisites();
  if (missing.length) throw new Error(`bench needs: ${missing.join("; ")}`);
  const cfg = (n: ReturnType<typeof nodes>) => ({ ...lab.baseConfig(), nodes: n });
  const stack = await lab.labStack();
  // What a user times: `pulumi up` itself. The config is written first, untimed (each write is a CLI call).
  const up = async (n: ReturnType<typeof nodes>) => {
    await lab.setConfig(cfg(n));
    return async () => stack.up();
  };
  await stack.destroy();

  for (let run = 1; run <= runs; run++) {
    console.error(`run ${run} of ${runs}: 3-node lab`);
    baseline("down", 3);
    await timed("baseline script: 3 nodes to a Ready swarm", () => baseline("up", 3));
    baseline("down", 3);
    await timed("swarmlab pulumi up: 3 nodes from nothing", await up(nodes(1, 2)));
    await timed("swarmlab pulumi up: no change", await up(nodes(1, 2)));
    await timed("swarmlab pulumi preview: no change", () => stack.preview());
    await timed("swarmlab pulumi destroy: 3 nodes", () => stack.destroy());
    if (quick) continue;
    console.error(`run ${run} of ${runs}: 10-node lab (3 managers, 7 workers)`);
    await timed("baseline script: 10 nodes to a Ready swarm", () => baseline("up", 10));
    baseline("down", 10);
    await timed("swarmlab pulumi up: 10 nodes from nothing", await up(nodes(3, 7)));
    await timed("swarmlab pulumi up: no change, 10 nodes", await up(nodes(3, 7)));
    await timed("swarmlab pulumi destroy: 10 nodes", () => stack.destroy());
    console.error(`run ${run} of ${runs}: 100-node graph under mocks`);
    await timed("resource graph of 100 nodes (mocks)", () => {
      execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/bench-graph.ts"), "100"], { stdio: "inherit" });
    });
  }

  const get = (label: string) => median([...rows].find(([l]) => l.startsWith(label))?.[1] ?? [NaN]);
  console.log(`\nswarmlab benchmark on ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? "unknown CPU"}; median of ${runs} run(s)`);
  console.log("| measure | median s | min-max s |\n|---|---|---|");
  for (const [l, xs] of rows) console.log(`| ${l} | ${median(xs).toFixed(1)} | ${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)} |`);
  console.log(`\nup / baseline (3 nodes): ${(get("swarmlab pulumi up: 3 nodes") / get("baseline script: 3 nodes")).toFixed(2)}x`);
  if (!quick) {
    console.log(`up / baseline (10 nodes): ${(get("swarmlab pulumi up: 10 nodes") / get("baseline script: 10 nodes")).toFixed(2)}x`);
    console.log(`10-node up / 3-node up: ${(get("swarmlab pulumi up: 10 nodes") / get("swarmlab pulumi up: 3 nodes")).toFixed(2)}x (node-count ratio 3.33x)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
