/**
 * The user's first commands, with no internet: the npm `pulumi` launcher finds the CLI that
 * tools/offline/toolchain.sh built, `npx pulumi preview -s dev` plans the classic lab, and `npm run up`
 * without a Docker engine stops with one sentence. They run in a copy of the project (its tracked
 * files, node_modules linked), so the developer's own state and stack files are left alone.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e2eEnabled, ROOT } from "./lab";

const launcherVersion = () => JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/pulumi/package.json"), "utf8")).version as string;

describe.runIf(e2eEnabled())("the Pulumi toolchain without internet", () => {
  let copy = "";
  // the backend of Pulumi.yaml, whatever this shell points PULUMI_BACKEND_URL at
  const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_CONFIG_PASSPHRASE: "swarmlab-lab" };
    delete e.PULUMI_BACKEND_URL;
    return e;
  };
  const run = (file: string, args: string[], extra: Record<string, string> = {}) =>
    spawnSync(file, args, { cwd: copy, encoding: "utf8", env: { ...env(), ...extra }, timeout: 300_000 });

  beforeAll(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-copy-"));
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
    for (const f of files) {
      if (!fs.existsSync(path.join(ROOT, f))) continue; // deleted in the working tree
      fs.mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(copy, f));
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
  });

  afterAll(() => {
    if (copy) fs.rmSync(copy, { recursive: true, force: true });
  });

  it("npx pulumi version prints the launcher's version", () => {
    const r = run("npx", ["--no-install", "pulumi", "version"]);
    expect(r.stderr).not.toMatch(/get\.pulumi\.com|download/i);
    expect(r.stdout.trim()).toBe(`v${launcherVersion()}`);
  });

  it("npx pulumi preview -s dev plans the classic lab on the project's own file backend", () => {
    expect(run("npx", ["--no-install", "pulumi", "stack", "init", "dev"]).status).toBe(0);
    const r = run("npx", ["--no-install", "pulumi", "preview", "-s", "dev", "--color", "never"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    for (const node of ["manager1", "worker1", "worker2"]) expect(r.stdout).toContain(`lab-${node}`);
    expect(r.stdout).toMatch(/\+\s+swarmlab:swarm:SwarmCluster\s+lab\s+create/);
    expect(r.stdout).toMatch(/\+\s+swarmlab:stacks:StackDeployment\s+stack-whoami\s+create/);
    expect(Number(r.stdout.match(/\+ (\d+) to create/)?.[1])).toBeGreaterThan(20);
    // the state lives inside the project (backend.url in Pulumi.yaml)
    expect(fs.existsSync(path.join(copy, ".pulumi-state/.pulumi/stacks/swarmlab/dev.json"))).toBe(true);
  }, 300_000);

  it("npx pulumi preview on a bad configuration prints every problem, one per line, and no stack trace", () => {
    expect(run("npx", ["--no-install", "pulumi", "stack", "init", "bad"]).status).toBe(0);
    fs.writeFileSync(
      path.join(copy, "Pulumi.bad.yaml"),
      "config:\n  swarmlab:nodes:\n    - name: manager1\n      role: boss\n  swarmlab:swarm:\n    sshRetrySeconds: -1\n",
    );
    const r = run("npx", ["--no-install", "pulumi", "preview", "-s", "bad", "--color", "never"]);
    const all = `${r.stdout}\n${r.stderr}`;
    expect(r.status).not.toBe(0);
    expect(all).toContain('Pulumi.bad.yaml: swarmlab:nodes[0].role: expected "manager" | "worker", got "boss"');
    expect(all).toContain("Pulumi.bad.yaml: swarmlab:swarm.sshRetrySeconds:");
    expect(all).not.toMatch(/^\s+at /m);
    expect(all).not.toContain("unhandled exception");
    expect(all).not.toContain("problems:");
  }, 300_000);

  it("npm run up without a Docker engine stops with one sentence saying what to install", () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-nodocker-"));
    fs.writeFileSync(path.join(bin, "docker"), "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n", { mode: 0o755 });
    try {
      const r = run("npm", ["run", "-s", "up"], { PATH: `${bin}:${process.env.PATH}` });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        "swarmlab: no Docker engine answers: install Docker (Docker Desktop, or docker.io / docker-ce on Linux) and start it, then run npm run up again",
      );
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  }, 120_000);
});
