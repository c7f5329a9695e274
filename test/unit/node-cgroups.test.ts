/**
 * The lab node's cgroup preparation (images/node/entrypoint.sh, setup_cgroups) against fake cgroup
 * trees: this machine's engine is cgroup v1, so the v2 path runs here only this way.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { tmp } from "../support/tmp";

const ENTRYPOINT = path.resolve(__dirname, "../../images/node/entrypoint.sh");

/** Writes files of a fake tree (`$$` in a value becomes the pid of the shell that runs setup_cgroups). */
function runSetup(files: Record<string, string>): { root: string; stderr: string; extra: string; read: (f: string) => string } {
  const root = tmp("swarmlab-cgroup-");
  const writes = Object.entries(files)
    .map(([f, text]) => `mkdir -p "$(dirname "$CG/${f}")"; printf '%s' "${text}" > "$CG/${f}"`)
    .join("\n");
  const script = `CG=${root}\n${writes}\nSWARMLAB_ENTRYPOINT_LIB=1 SWARMLAB_CGROUP_ROOT=$CG source ${ENTRYPOINT}\nsetup_cgroups\necho "extra=\${DOCKERD_EXTRA[*]}"`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
  expect(r.status).toBe(0);
  const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8").trim();
  return { root, stderr: r.stderr, extra: r.stdout.trim(), read };
}

describe("setup_cgroups (lab node entrypoint)", () => {
  it("cgroup v2 in a private namespace: moves the processes into a leaf, skipping invisible ones, and enables every controller for children", () => {
    const r = runSetup({ "cgroup.controllers": "cpuset cpu io memory pids\n", "cgroup.procs": "$$\n4242\n0\n", "cgroup.subtree_control": "" });
    expect(r.read("cgroup.subtree_control")).toBe("+cpuset +cpu +io +memory +pids");
    // each pid is written on its own (the kernel moves one per write): the last one left is 4242, never the invisible 0
    expect(r.read("init/cgroup.procs")).toBe("4242");
    expect(r.extra).toBe("extra=");
    expect(r.stderr).toBe("swarmlab-node: cgroup v2: controllers enabled (+cpuset +cpu +io +memory +pids)\n");
  });

  it("cgroup v2 with the host's tree bind-mounted: works in its own cgroup and keeps inner containers below it (--cgroup-parent)", () => {
    const own = "system.slice/docker-abc.scope";
    const r = runSetup({
      "cgroup.controllers": "cpu memory io\n",
      "cgroup.procs": "1\n",
      [`${own}/cgroup.controllers`]: "cpu memory\n",
      [`${own}/cgroup.procs`]: "$$\n",
      [`${own}/cgroup.subtree_control`]: "",
    });
    expect(r.read(`${own}/cgroup.subtree_control`)).toBe("+cpu +memory");
    expect(fs.existsSync(path.join(r.root, "init"))).toBe(false); // the host's own cgroup is left alone
    expect(r.extra).toBe(`extra=--cgroup-parent /${own}/docker`);
    expect(r.stderr).toBe(`swarmlab-node: cgroup v2: using ${r.root}/${own} (inner containers under /${own}/docker)\n`);
  });

  it("cgroup v1 (this machine's kind): nothing to prepare; v2 without a writable cgroup of its own: a warning, dockerd still starts", () => {
    const v1 = runSetup({ "cpu/tasks": "1\n" });
    expect([v1.stderr, v1.extra]).toEqual(["swarmlab-node: cgroup v1 (or hybrid) hierarchy: nothing to prepare\n", "extra="]);
    const lost = runSetup({ "cgroup.controllers": "cpu\n", "cgroup.procs": "1\n" });
    expect(lost.stderr).toContain("WARNING: cgroup v2 but our cgroup is not found or not writable");
    expect(fs.existsSync(path.join(lost.root, "init"))).toBe(false);
  });
});
