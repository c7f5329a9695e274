/**
 * bench/baseline.sh, the plain-script baseline of `npm run bench` (never run by the tests: minutes,
 * a real Docker): it runs here against fake docker, ssh and ssh-keygen (baselineFakes of
 * test/support/fakeDocker.ts) that record what it would do, to show that the 10-node baseline forms
 * the same swarm as the 10-node lab. Its arithmetic: bench-figures.test.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { baselineFakes } from "../support/fakeDocker";
import { writeFakes } from "../support/fakes";
import { tmp } from "../support/tmp";

describe("the plain-script baseline (bench/baseline.sh)", () => {
  /** Runs the script with fakes first on PATH; returns its exit status and the ssh commands it ran, by node address. */
  function baseline(nodes: number, managers?: number): { status: number | null; stderr: string; ssh: string[] } {
    const dir = tmp("swarmlab-baseline-");
    const log = path.join(dir, "ssh.log");
    // ssh logs "<address> <command>" (the words after root@address); join tokens by role; every node Ready
    writeFakes(dir, baselineFakes(log, nodes));
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
