/**
 * `npm run bench` is never run by the tests (minutes, a real Docker): its arithmetic is checked
 * here, and the plain-script baseline runs against fake docker, ssh and ssh-keygen that record
 * what it would do, to show that the 10-node baseline forms the same swarm as the 10-node lab.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { BIG_LAB, describeLab, labNodes, median, nodeCount, ratioLines, SMALL_LAB, spread } from "../../bench/figures";
import { tmp } from "../support/tmp";

describe("benchmark figures", () => {
  it("the labs compared: 1 manager + 2 workers, and 3 managers + 7 workers", () => {
    expect(describeLab(SMALL_LAB)).toBe("3 nodes (1 manager, 2 workers)");
    expect(describeLab(BIG_LAB)).toBe("10 nodes (3 managers, 7 workers)");
    const big = labNodes(BIG_LAB);
    expect(big.filter((n) => n.role === "manager").map((n) => n.name)).toEqual(["manager1", "manager2", "manager3"]);
    expect(big.filter((n) => n.role === "worker")).toHaveLength(7);
    expect(nodeCount(BIG_LAB)).toBe(10);
  });

  it("median and spread", () => {
    expect(median([9.7, 8.9, 10.6])).toBe(9.7);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(spread([9.7, 8.9, 10.6])).toBe("8.9-10.6");
  });

  it("ratios: swarmlab against the plain script, and 10-node against 3-node against the node-count ratio", () => {
    expect(ratioLines({ baselineSmall: 4, swarmlabSmall: 10, baselineBig: 12, swarmlabBig: 22 })).toEqual([
      "swarmlab up / plain script, 3 nodes (1 manager, 2 workers): 2.50x",
      "swarmlab up / plain script, 10 nodes (3 managers, 7 workers): 1.83x",
      "10-node up / 3-node up: swarmlab 2.20x, plain script 3.00x, for 3.33x the nodes",
    ]);
    expect(ratioLines({ baselineSmall: 4, swarmlabSmall: 10, baselineBig: NaN, swarmlabBig: NaN })).toEqual(["swarmlab up / plain script, 3 nodes (1 manager, 2 workers): 2.50x"]);
  });
});

describe("the plain-script baseline (bench/baseline.sh)", () => {
  /** Runs the script with fakes first on PATH; returns its exit status and the ssh commands it ran, by node address. */
  function baseline(nodes: number, managers?: number): { status: number | null; stderr: string; ssh: string[] } {
    const dir = tmp("swarmlab-baseline-");
    const log = path.join(dir, "ssh.log");
    const fake = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
    fake("docker", "exit 0");
    fake("ssh-keygen", 'while [ $# -gt 0 ]; do [ "$1" = -f ] && { echo key > "$2"; echo pub > "$2.pub"; }; shift; done');
    // logs "<address> <command>" (the words after root@address); join tokens by role; every node Ready
    fake(
      "ssh",
      [
        'args=("$@")',
        'for i in "${!args[@]}"; do case "${args[$i]}" in root@*) dest=${args[$i]#root@}; cmd="${args[*]:$((i + 1))}" ;; esac; done',
        `echo "$dest $cmd" >> ${log}`,
        'case "$cmd" in',
        '  "docker swarm join-token -q manager") echo MANAGER-TOKEN ;;',
        '  "docker swarm join-token -q worker") echo WORKER-TOKEN ;;',
        `  "docker node ls --format {{.Status}}") for i in $(seq 1 ${nodes}); do echo Ready; done ;;`,
        "esac",
      ].join("\n"),
    );
    const args = [path.resolve(__dirname, "../../bench/baseline.sh"), "up", `swarmlab-unit-${process.pid}`, String(nodes), "10.9.9", ...(managers ? [String(managers)] : [])];
    const r = spawnSync("bash", args, { encoding: "utf8", env: { PATH: `${dir}:${process.env.PATH}`, HOME: "/nonexistent" } });
    const ssh = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    fs.rmSync(`/tmp/swarmlab-unit-${process.pid}-key`, { force: true });
    fs.rmSync(`/tmp/swarmlab-unit-${process.pid}-key.pub`, { force: true });
    return { status: r.status, stderr: r.stderr, ssh };
  }

  const joins = (ssh: string[]) => ssh.filter((l) => l.includes("swarm join ")).map((l) => `${l.split(" ")[0]} ${l.includes("MANAGER-TOKEN") ? "manager" : "worker"}`).sort();

  it("10 nodes with 3 managers: init on the first, two managers joined one at a time, seven workers", () => {
    const r = baseline(10, 3);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.ssh.filter((l) => l.includes("swarm init"))).toEqual(["10.9.9.10 docker swarm init --advertise-addr 10.9.9.10"]);
    const j = joins(r.ssh);
    expect(j.filter((l) => l.endsWith("manager"))).toEqual(["10.9.9.11 manager", "10.9.9.12 manager"]);
    expect(j.filter((l) => l.endsWith("worker"))).toHaveLength(7);
    // managers join before any worker, in order
    const order = r.ssh.filter((l) => l.includes("swarm join ")).map((l) => l.split(" ")[0]);
    expect(order.slice(0, 2)).toEqual(["10.9.9.11", "10.9.9.12"]);
    expect(r.ssh.find((l) => l.startsWith("10.9.9.11 docker swarm join"))).toBe("10.9.9.11 docker swarm join --token MANAGER-TOKEN --advertise-addr 10.9.9.11 10.9.9.10:2377");
  });

  it("3 nodes (the classic lab): one manager, two workers; MANAGERS defaults to 1", () => {
    const r = baseline(3);
    expect(r.status).toBe(0);
    expect(joins(r.ssh)).toEqual(["10.9.9.11 worker", "10.9.9.12 worker"]);
  });

  it("refuses more managers than nodes", () => {
    const r = baseline(3, 4);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("bench-baseline.sh: MANAGERS must be between 1 and NODES (3), got 4");
  });
});
