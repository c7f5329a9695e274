/**
 * `npm run bench`: speed figures, printed, never asserted.
 *   - the 3-node lab: `pulumi up` from nothing to a Ready swarm, a no-op `pulumi up`, `pulumi
 *     destroy`, against the same bootstrap by a plain shell script (scripts/bench-baseline.sh);
 *   - the 10-node lab (3 managers, 7 workers): `pulumi up` against the 3-node one;
 *   - building the resource graph of a 100-node configuration under Pulumi mocks (the program's own
 *     cost in a preview, with no engine and no cluster).
 * Options: --quick (3-node figures only). Needs what the e2e tests need (Docker, CLI, node image).
 */
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";

process.env.SWARMLAB_E2E_NAME ??= "bench";
process.env.SWARMLAB_E2E_SUBNET ??= "172.30.200.0/24";

const ROOT = path.resolve(__dirname, "..");
const rows: [string, number][] = [];

async function timed<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
  const t = process.hrtime.bigint();
  const out = await fn();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  rows.push([label, s]);
  console.error(`  ${label}: ${s.toFixed(1)} s`);
  return out;
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
  const lab = await import("../test/e2e/lab");
  const missing = lab.missingPrerequisites();
  if (missing.length) throw new Error(`bench needs: ${missing.join("; ")}`);
  const cfg = (n: ReturnType<typeof nodes>) => ({ ...lab.baseConfig(), nodes: n });
  const stack = await lab.labStack();

  console.error("3-node lab");
  baseline("down", 3);
  await timed("baseline script: 3 nodes to a Ready swarm", () => baseline("up", 3));
  baseline("down", 3);
  await stack.destroy();
  await timed("swarmlab pulumi up: 3 nodes from nothing", () => lab.up(cfg(nodes(1, 2))));
  await timed("swarmlab pulumi up: no change", () => lab.up(cfg(nodes(1, 2))));
  await timed("swarmlab pulumi preview: no change", () => stack.preview());
  await timed("swarmlab pulumi destroy: 3 nodes", () => stack.destroy());

  if (!quick) {
    console.error("10-node lab (3 managers, 7 workers)");
    await timed("baseline script: 10 nodes to a Ready swarm", () => baseline("up", 10));
    baseline("down", 10);
    await timed("swarmlab pulumi up: 10 nodes from nothing", () => lab.up(cfg(nodes(3, 7))));
    await timed("swarmlab pulumi up: no change, 10 nodes", () => lab.up(cfg(nodes(3, 7))));
    await timed("swarmlab pulumi destroy: 10 nodes", () => stack.destroy());
    console.error("100-node graph under mocks");
    await timed("resource graph of 100 nodes (mocks)", () => {
      execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts/bench-graph.ts"), "100"], { stdio: "inherit" });
    });
  }

  const get = (label: string) => rows.find(([l]) => l.startsWith(label))?.[1] ?? NaN;
  console.log(`\nswarmlab benchmark on ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? "unknown CPU"}`);
  console.log("| measure | seconds |\n|---|---|");
  for (const [l, s] of rows) console.log(`| ${l} | ${s.toFixed(1)} |`);
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
