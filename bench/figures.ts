/** The arithmetic of `npm run bench`: lab sizes, medians and spreads, and the ratios it prints. Pure. */

export interface LabSize {
  managers: number;
  workers: number;
}

/** The classic lab, and the bigger one the issue asks about: 3 managers (a quorum that tolerates one loss), 7 workers. */
export const SMALL_LAB: LabSize = { managers: 1, workers: 2 };
export const BIG_LAB: LabSize = { managers: 3, workers: 7 };

export function nodeCount(size: LabSize): number {
  return size.managers + size.workers;
}

/** `10 nodes (3 managers, 7 workers)`. */
export function describeLab(size: LabSize): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${nodeCount(size)} nodes (${plural(size.managers, "manager")}, ${plural(size.workers, "worker")})`;
}

/** The swarmlab node list of a lab size: manager1..N, worker1..M. */
export function labNodes(size: LabSize): { name: string; role: "manager" | "worker" }[] {
  return [
    ...Array.from({ length: size.managers }, (_, i) => ({ name: `manager${i + 1}`, role: "manager" as const })),
    ...Array.from({ length: size.workers }, (_, i) => ({ name: `worker${i + 1}`, role: "worker" as const })),
  ];
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** `8.9-10.6`: the smallest and largest sample. */
export function spread(xs: number[]): string {
  return `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
}

/** Medians (seconds) of the four timings the ratios compare; a size not measured is NaN. */
export interface UpMedians {
  baselineSmall: number;
  swarmlabSmall: number;
  baselineBig: number;
  swarmlabBig: number;
}

/** `2.20x`, or `n/a` for a size that was not measured. */
const times = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : "n/a");

/** The ratio lines under the table: swarmlab against the plain script, and how `up` grows with the node count. */
export function ratioLines(m: UpMedians, small: LabSize = SMALL_LAB, big: LabSize = BIG_LAB): string[] {
  const lines = [`swarmlab up / plain script, ${describeLab(small)}: ${times(m.swarmlabSmall / m.baselineSmall)}`];
  if (Number.isFinite(m.swarmlabBig)) {
    lines.push(
      `swarmlab up / plain script, ${describeLab(big)}: ${times(m.swarmlabBig / m.baselineBig)}`,
      `${nodeCount(big)}-node up / ${nodeCount(small)}-node up: swarmlab ${times(m.swarmlabBig / m.swarmlabSmall)}, plain script ${times(m.baselineBig / m.baselineSmall)}, for ${times(nodeCount(big) / nodeCount(small))} the nodes`,
    );
  }
  return lines;
}
