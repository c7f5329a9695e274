/**
 * `npm run validate -- <file>...` (cli/validate.ts) run as a user runs it, with no cluster:
 * the normalised compose YAML on stdout, warnings on stderr, or every error and exit code 1.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { tmp } from "../support/tmp";

const ROOT = path.resolve(__dirname, "../..");

function validate(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "cli/validate.ts"), ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  const f = path.join(tmp("swarmlab-validate-"), name);
  fs.writeFileSync(f, text);
  return f;
}

describe("npm run validate", () => {
  it("prints the compose YAML that would be deployed for a shipped stack: Traefik labels and network added, nothing on stderr", () => {
    const r = validate(["stacks/whoami.yaml"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout.split("\n")[0]).toBe("# stack whoami (stacks/whoami.yaml)");
    const doc = parse(r.stdout);
    expect(doc.services.whoami.deploy.labels).toEqual({
      "traefik.enable": "true",
      "traefik.http.routers.whoami_whoami.rule": "Host(`whoami.lab.local`)",
      "traefik.http.services.whoami_whoami.loadbalancer.server.port": "80",
      "traefik.swarm.network": "traefik-public",
    });
    expect(Object.keys(doc.services.whoami.networks)).toEqual(["default", "traefik-public"]);
    expect(doc.networks["traefik-public"]).toEqual({ external: true });
  });

  it("loads a file written for docker stack deploy: version key, ${VAR} defaults and keys a swarm ignores, each named in a warning", () => {
    const f = file(
      "app.yaml",
      'version: "3.8"\nservices:\n  api:\n    image: example/api:${API_TAG:-1.0}\n    container_name: api\n    depends_on: [db]\n    deploy:\n      replicas: 2\n  db:\n    image: postgres:16\n',
    );
    const r = validate([f], { API_TAG: "2.1" });
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual([
      `warning: ${f}: services.api.container_name: has no effect on a swarm (docker stack deploy ignores it)`,
      `warning: ${f}: services.api.depends_on: has no effect on a swarm (docker stack deploy ignores it)`,
    ]);
    const doc = parse(r.stdout);
    expect(doc.services.api).toEqual({ image: "example/api:2.1", deploy: { replicas: 2 } });
    expect(doc.services.db).toEqual({ image: "postgres:16" });
  });

  it("reports every error of every file at once, with file, path, expected and found, and exits 1 printing no YAML", () => {
    const bad = file("bad.yaml", "services:\n  api:\n    image: example/api\n    deploy:\n      replicas: many\n      mode: sometimes\n");
    const good = file("good.yaml", "services:\n  web:\n    image: nginx\n");
    const r = validate([bad, good]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([
      `${bad}: services.api.deploy.mode: expected "replicated" | "global", got "sometimes"`,
      `${bad}: services.api.deploy.replicas: expected a number, got "many"`,
    ]);
  });

  it("checks a stack file as pulumi up does (env files, secret files, builds), reporting every file given, then exits 1", () => {
    const dir = tmp("swarmlab-validate-");
    const a = path.join(dir, "a.yaml");
    fs.writeFileSync(a, "services:\n  api:\n    image: x\n    secrets: [token]\n    env_file: api.env\nsecrets:\n  token: {file: ./token.txt}\n");
    const b = path.join(dir, "b.yaml");
    fs.writeFileSync(b, "services:\n  app:\n    build: ./app\n");
    const c = path.join(dir, "c.yaml");
    fs.writeFileSync(c, "services: {web: {image: Nginx}}\n");
    const r = validate([a, b, c]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([
      `${a}: services.api.env_file: cannot read ${dir}/api.env: ENOENT (paths are relative to the stack file)`,
      `${a}: secrets.token.file: cannot read ${dir}/token.txt (ENOENT); the path is relative to the stack file`,
      `${b}: services.app.build: the build context ${dir}/app is not a directory`,
      `${c}: services.web.image: expected an image reference whose repository is in lower case (docker: "repository name must be lowercase"), got "Nginx"`,
    ]);
  });

  it("without a file prints its usage and exits 2", () => {
    const r = validate([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("usage: validate.ts");
  });
});
