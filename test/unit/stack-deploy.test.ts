/**
 * Deploying stacks: the deploy / convergence / removal scripts run for real by bash against a fake
 * `docker` first on PATH (it answers from files, one file per call when the state must change
 * between polls), content-hashed secrets and configs, loading every stack of the config at once,
 * and the StackDeployment resource as the engine would see it (mocks).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../components/config/errors";
import { loadClusterConfig } from "../../components/config/load";
import { parseStack } from "../../components/stacks/load";
import { contentHash, objectName, planObjects, readObjectContents } from "../../components/stacks/secrets";
import { deployInputs, deployScript, type PreparedStack, removeScript, serviceSummary } from "../../components/stacks/deployment";
import { applyReplicas, loadStacks } from "../../components/stacks";
import type { SshTarget } from "../../components/command/ssh";
import { findCommand, namesOf, registered, resolve, setupMocks } from "../support/mocks";
import { tmp } from "../support/tmp";


// ---------------------------------------------------------------------------------------------
// The fake docker
// ---------------------------------------------------------------------------------------------

/**
 * Answers `docker <cmd>` from files in $FAKE_DOCKER: the n-th call of a kind prints `<kind>.<n>`
 * (or the highest `<kind>.<m>` with m < n, else `<kind>`). Kinds: service-ids (service ls -q),
 * service-ls, service-inspect, service-ps-<name>, network-ls, secret-ls, config-ls. `secret rm`
 * and `config rm` fail for the names listed in `<kind>-in-use`. Every call is logged in `calls`.
 */
const FAKE_DOCKER = `#!/usr/bin/env bash
d=$FAKE_DOCKER
echo "$*" >> "$d/calls"
answer() {
  local k=$1 n i
  n=$(( $(cat "$d/n.$k" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$d/n.$k"
  for (( i = n; i >= 1; i-- )); do if [ -f "$d/$k.$i" ]; then cat "$d/$k.$i"; return 0; fi; done
  if [ -f "$d/$k" ]; then cat "$d/$k"; fi
  return 0
}
case "$1 $2" in
  "stack deploy")
    cat > "$d/deployed.yaml"
    for f in *; do cp "$f" "$d/workdir-$f"; done
    if [ -f "$d/deploy-fails" ]; then echo "failed to create service web_app: Error response from daemon: bad spec" >&2; exit 1; fi
    echo "Creating service web_app";;
  "stack rm") echo "Removing service $3";;
  "service ls") if [[ " $* " == *" -q "* ]]; then answer service-ids; else answer service-ls; fi;;
  "service inspect") answer service-inspect;;
  "service ps") answer "service-ps-\${@: -1}";;
  "service rm"|"network rm") ;;
  "network ls") answer network-ls;;
  "secret ls"|"config ls") answer "$1-ls";;
  "secret rm"|"config rm")
    kind=$1; shift 2
    for n in "$@"; do
      if grep -qx "$n" "$d/$kind-in-use" 2>/dev/null; then echo "Error response from daemon: $kind '$n' is in use" >&2; exit 1; fi
      echo "$n" >> "$d/removed-$kind"
    done;;
  "info --format") echo "\${FAKE_INFO:-active/true}";;
  *) echo "fake docker: unexpected call: $*" >&2; exit 1;;
esac
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
  calls: string[];
  file(name: string): string;
}

/** Runs a script the way the command provider does (bash strict mode) with the fake docker first on PATH. */
function runWithFakeDocker(script: string, answers: Record<string, string>, opts: { stdin?: string; env?: Record<string, string> } = {}): Run {
  const dir = tmp("fake-docker-");
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "docker"), FAKE_DOCKER, { mode: 0o755 });
  for (const [name, text] of Object.entries(answers)) fs.writeFileSync(path.join(dir, name), text === "" ? "" : `${text.replace(/\n$/, "")}\n`);
  const res = spawnSync("bash", ["--noprofile", "--norc", "-c", `set -euo pipefail\n${script}`], {
    input: opts.stdin ?? "",
    encoding: "utf8",
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_DOCKER: dir, TMPDIR: dir, ...opts.env },
    timeout: 20_000,
  });
  const file = (name: string) => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), "utf8") : "");
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr, dir, calls: file("calls").split("\n").filter(Boolean), file };
}

const FAST = { pollSeconds: 0.1, stableSeconds: 0, timeoutSeconds: 2 };
const SERVICES = ["web_app", "web_db"];

function deploy(answers: Record<string, string>, extra: Partial<Parameters<typeof deployScript>[0]> = {}, env: Record<string, string> = {}): Run {
  return runWithFakeDocker(deployScript({ stack: "web", services: SERVICES, uploads: [], ...FAST, ...extra }), answers, { stdin: "services: {}\n", env });
}

describe("deploy script: convergence", () => {
  it("deploys the compose from stdin and succeeds once every service runs its desired tasks", () => {
    const r = deploy({
      "service-ids": "id1\nid2",
      "service-ls": "web_app|replicated|6/6\nweb_db|global|3/3",
      "service-inspect": "web_app|\nweb_db|",
    });
    expect(r.stderr).toContain("Creating service web_app");
    expect(r.code).toBe(0);
    expect(r.file("deployed.yaml")).toBe("services: {}\n");
    expect(r.calls).toContain("stack deploy --prune --with-registry-auth -c - web");
    expect(r.stdout).toBe("web_app|replicated|6/6\nweb_db|global|3/3\n");
  });

  it("waits while tasks start and an update is in progress, then succeeds", () => {
    const r = deploy({
      "service-ids": "id1\nid2",
      "service-ls.1": "web_app|replicated|2/6\nweb_db|global|1/3",
      "service-ls.3": "web_app|replicated|6/6\nweb_db|global|3/3",
      "service-inspect.1": "web_app|completed|T0|update completed\nweb_db|",
      "service-inspect.2": "web_app|updating|T1|update in progress\nweb_db|",
      "service-inspect.5": "web_app|completed|T1|update completed\nweb_db|",
    });
    expect(r.stderr).toBe("deploying stack web\nCreating service web_app\n");
    expect(r.code).toBe(0);
    // before the deploy + polls 1..4 not converged (counts, then still updating) + the converged one
    expect(r.calls.filter((c) => c.startsWith("service inspect")).length).toBe(5);
  });

  it("waits for the services to look converged for stableSeconds", () => {
    const started = Date.now();
    const r = deploy({ "service-ids": "id1\nid2", "service-ls": "web_app|replicated|6/6\nweb_db|global|3/3", "service-inspect": "web_app|\nweb_db|" }, { stableSeconds: 2, pollSeconds: 0.2, timeoutSeconds: 10 });
    expect(r.code).toBe(0);
    // whole seconds (date +%s): at least one second of looking, several polls
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(r.calls.filter((c) => c.startsWith("service ls --filter")).length).toBeGreaterThanOrEqual(5);
  });

  it("fails after the timeout when replicas are missing, naming the service and its task's own error", () => {
    const r = deploy({
      "service-ids": "id1\nid2",
      "service-ls": "web_app|replicated|4/6 (max 2 per node)\nweb_db|global|3/3",
      "service-inspect": "web_app|\nweb_db|",
      "service-ps-web_app": [
        "web_app.1|worker1|Running|Running 10 seconds ago|",
        'web_app.5||Running|Pending 9 seconds ago|"no suitable node (max replicas per node limit exceed; scheduling constraints not satisfied on 3 nodes)"',
        'web_app.6||Running|Pending 9 seconds ago|"no suitable node (max replicas per node limit exceed; scheduling constraints not satisfied on 3 nodes)"',
      ].join("\n"),
    }, { timeoutSeconds: 1 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("stack web: not converged after 1 s:\n  service web_app: 4/6 tasks running\n    web_app.5 on no node (Pending 9 seconds ago): no suitable node (max replicas per node limit exceed; scheduling constraints not satisfied on 3 nodes)\n");
    expect(r.stderr).not.toContain("web_db:");
    expect(r.stderr.match(/no suitable node/g)).toHaveLength(1); // one line per distinct error
  });

  it("a global service missing on an eligible node is not converged; a missing image is named", () => {
    const r = deploy({
      "service-ids": "id1\nid2",
      "service-ls": "web_app|replicated|6/6\nweb_db|global|2/3",
      "service-inspect": "web_app|\nweb_db|",
      "service-ps-web_db": 'web_db.x|worker2|Running|Rejected 2 seconds ago|"No such image: db:nope"\nweb_db.y|worker1|Running|Running 5 seconds ago|',
    }, { timeoutSeconds: 1 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("  service web_db: 2/3 tasks running\n    web_db.x on worker2 (Rejected 2 seconds ago): No such image: db:nope");
  });

  it("a service of the stack that does not exist yet is not converged", () => {
    const r = deploy({ "service-ids": "id1", "service-ls": "web_app|replicated|1/1", "service-inspect": "web_app|" }, { timeoutSeconds: 1 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("  service web_db: not created yet");
  });

  it("a rolled-back update fails with the service name and the failed tasks' error", () => {
    const r = deploy({
      "service-ids": "id1\nid2",
      "service-ls": "web_app|replicated|6/6\nweb_db|global|3/3",
      "service-inspect.1": "web_app|completed|T0|update completed\nweb_db|",
      "service-inspect.2": "web_app|updating|T1|update in progress\nweb_db|",
      "service-inspect.3": "web_app|rollback_started|T1|update rolled back due to failure or early termination of task x\nweb_db|",
      "service-inspect.4": "web_app|rollback_completed|T1|rollback completed\nweb_db|",
      "service-ps-web_app": [
        "web_app.1|worker1|Running|Running 3 seconds ago|",
        'web_app.1|worker1|Shutdown|Failed 8 seconds ago|"task: non-zero exit (2)"',
        "web_app.1|worker1|Shutdown|Shutdown 9 seconds ago|",
      ].join("\n"),
    }, { timeoutSeconds: 10 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("stack web: deploy failed:\nservice web_app: the update failed and was rolled back (rollback completed)\n    web_app.1 on worker1 (Failed 8 seconds ago): task: non-zero exit (2)\n");
    expect(r.calls.filter((c) => c.startsWith("service inspect")).length).toBe(4); // no waiting for the timeout
    expect(r.calls.some((c) => c.startsWith("secret rm"))).toBe(false); // no cleanup after a failure
  });

  it("a rollback still starting its tasks is reported when the tasks are back (or at the timeout)", () => {
    const r = deploy({
      "service-ids": "id1\nid2",
      "service-ls.1": "web_app|replicated|4/6\nweb_db|global|3/3",
      "service-ls.3": "web_app|replicated|6/6\nweb_db|global|3/3",
      "service-inspect.1": "web_app|\nweb_db|",
      "service-inspect.2": "web_app|rollback_completed|T1|rollback completed\nweb_db|",
    }, { timeoutSeconds: 10 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("service web_app: the update failed and was rolled back");
    expect(r.calls.filter((c) => c.startsWith("service ls --filter")).length).toBe(3);
  });

  it("a paused update fails at once", () => {
    const r = deploy({
      "service-ids": "id1\nid2",
      "service-ls": "web_app|replicated|5/6\nweb_db|global|3/3",
      "service-inspect.1": "web_app|\nweb_db|",
      "service-inspect.2": "web_app|paused|T1|update paused due to failure or early termination of task abc\nweb_db|",
      "service-ps-web_app": 'web_app.3|worker2|Shutdown|Failed 1 second ago|"task: non-zero exit (1)"',
    }, { timeoutSeconds: 10 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("service web_app: update paused: update paused due to failure or early termination of task abc\n    web_app.3 on worker2 (Failed 1 second ago): task: non-zero exit (1)");
  });

  it("an update state left over from an earlier deploy does not decide this one", () => {
    const r = deploy({
      "service-ids": "id1\nid2",
      "service-ls": "web_app|replicated|6/6\nweb_db|global|3/3",
      "service-inspect": "web_app|rollback_completed|T0|rollback completed\nweb_db|paused|T0|update paused",
    });
    expect(r.code).toBe(0);
  });

  it("a deploy refused by docker fails with docker's message", () => {
    const r = deploy({ "deploy-fails": "1" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("failed to create service web_app: Error response from daemon: bad spec");
  });

  it("decodes the uploads next to the compose, then removes the stack's unused secrets and configs (in-use ones stay)", () => {
    const uploads = [
      { kind: "secret" as const, name: "web_token_11111111", env: "SWARMLAB_STACK_SECRET_0" },
      { kind: "config" as const, name: "web_conf_22222222", env: "SWARMLAB_STACK_CONFIG_0" },
    ];
    const r = deploy(
      {
        "service-ids": "id1\nid2",
        "service-ls": "web_app|replicated|1/1\nweb_db|global|3/3",
        "service-inspect": "web_app|\nweb_db|",
        "secret-ls": "web_token_00000000\nweb_token_11111111\nweb_key_33333333",
        "secret-in-use": "web_key_33333333",
        "config-ls": "web_conf_22222222\nweb_conf_99999999",
      },
      { uploads },
      { SWARMLAB_STACK_SECRET_0: Buffer.from("s3cret\n").toString("base64"), SWARMLAB_STACK_CONFIG_0: Buffer.from("a: 1\n").toString("base64") },
    );
    expect(r.code).toBe(0);
    expect(r.file("workdir-web_token_11111111")).toBe("s3cret\n");
    expect(r.file("workdir-web_conf_22222222")).toBe("a: 1\n");
    expect(r.file("workdir-compose.yaml")).toBe("services: {}\n");
    expect(r.file("removed-secret")).toBe("web_token_00000000\n");
    expect(r.file("removed-config")).toBe("web_conf_99999999\n");
    expect(r.stderr).toContain("removed unused secret web_token_00000000");
    expect(r.calls).toContain("secret ls --filter label=com.docker.stack.namespace=web --format {{.Name}}");
    expect(fs.readdirSync(r.dir).filter((f) => f.startsWith("swarmlab-stack."))).toEqual([]); // work dir cleaned up
  });
});

describe("remove script", () => {
  const rm = (answers: Record<string, string>, env: Record<string, string> = {}, timeoutSeconds = 5) =>
    runWithFakeDocker(removeScript({ stack: "web", timeoutSeconds, pollSeconds: 0.1 }), answers, { env });

  it("removes the stack and waits until its services and networks are gone", () => {
    const r = rm({ "service-ls.1": "web_app", "service-ls.2": "", "network-ls.1": "web_default", "network-ls.3": "" });
    expect(r.code).toBe(0);
    expect(r.calls[1]).toBe("stack rm web");
    expect(r.calls.filter((c) => c.startsWith("network ls")).length).toBe(3);
    expect(r.calls).toContain("network rm web_default"); // retried while tasks were still attached
    expect(r.stderr).toContain("stack web removed");
  });

  it("fails when something is left after the timeout, naming it", () => {
    const r = rm({ "network-ls": "web_default" }, {}, 1);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("stack web: still present after 1 s: network: web_default");
  });

  it("succeeds without doing anything on a host that is no longer a manager", () => {
    const r = rm({}, { FAKE_INFO: "inactive/false" });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(["info --format {{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets and configs
// ---------------------------------------------------------------------------------------------

const STACK_WITH_OBJECTS = `
services:
  app:
    image: swarmlab/whoami:latest
    secrets: [token, db]
    configs: [{source: conf, target: /etc/app.conf}]
secrets:
  token: {file: ./token.txt}
  db: {environment: DB_PASSWORD}
  ext: {external: true}
configs:
  conf: {file: conf/app.conf}
`;

function stackDir(files: Record<string, string>): string {
  const dir = tmp("stack-files-");
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe("content-hashed secrets and configs", () => {
  it("names objects <stack>_<key>_<first 8 hex of sha256>", () => {
    expect(contentHash("hello")).toBe("2cf24dba");
    expect(objectName("web", "token", "hello")).toBe("web_token_2cf24dba");
    expect(objectName("web", "token", "hello", "shared_token")).toBe("shared_token_2cf24dba");
  });

  it("reads files relative to the stack file and environment secrets from Pulumi secrets before the environment", () => {
    const dir = stackDir({ "web.yaml": STACK_WITH_OBJECTS, "token.txt": "tok\n", "conf/app.conf": "x=1\n" });
    const { stack } = parseStack(STACK_WITH_OBJECTS, path.join(dir, "web.yaml"));
    const read = readObjectContents(stack, path.join(dir, "web.yaml"), { values: { DB_PASSWORD: "from-config" }, env: { DB_PASSWORD: "from-env" } });
    expect(read.problems).toEqual([]);
    expect(Object.keys(read.contents.secrets).sort()).toEqual(["db", "token"]);
    expect(read.contents.secrets.db.toString()).toBe("from-config");
    expect(read.contents.configs.conf.toString()).toBe("x=1\n");
    expect(readObjectContents(stack, path.join(dir, "web.yaml"), { env: { DB_PASSWORD: "from-env" } }).contents.secrets.db.toString()).toBe("from-env");
  });

  it("reports unreadable files and unset variables with the file and key", () => {
    const dir = stackDir({});
    const { stack } = parseStack(STACK_WITH_OBJECTS, path.join(dir, "web.yaml"));
    const { problems } = readObjectContents(stack, path.join(dir, "web.yaml"), { env: {} });
    expect(problems.map((p) => `${path.basename(p.source)}: ${p.path}`)).toEqual(["web.yaml: secrets.token.file", "web.yaml: secrets.db.environment", "web.yaml: configs.conf.file"]);
    expect(problems[0].message).toContain(`cannot read ${path.join(dir, "token.txt")} (ENOENT)`);
    expect(problems[1].message).toContain("DB_PASSWORD is not set");
  });

  it("renames the objects by content, points file: at the upload and leaves external ones alone", () => {
    const { stack } = parseStack(STACK_WITH_OBJECTS, "web.yaml");
    const contents = { secrets: { token: Buffer.from("tok\n"), db: Buffer.from("pw") }, configs: { conf: Buffer.from("x=1\n") } };
    const planned = planObjects("web", stack, contents);
    expect(planned.problems).toEqual([]);
    const token = `web_token_${contentHash("tok\n")}`;
    const db = `web_db_${contentHash("pw")}`;
    const conf = `web_conf_${contentHash("x=1\n")}`;
    expect(planned.stack.secrets?.token).toMatchObject({ name: token, file: `./${token}` });
    expect(planned.stack.secrets?.db).toMatchObject({ name: db, file: `./${db}`, environment: undefined });
    expect(planned.stack.secrets?.ext).toEqual({ external: true });
    expect(planned.stack.configs?.conf).toMatchObject({ name: conf, file: `./${conf}` });
    expect(planned.uploads).toEqual([
      { kind: "secret", key: "db", name: db, env: "SWARMLAB_STACK_SECRET_0", base64: Buffer.from("pw").toString("base64"), secret: true, redact: "pw" },
      { kind: "secret", key: "token", name: token, env: "SWARMLAB_STACK_SECRET_1", base64: Buffer.from("tok\n").toString("base64"), secret: true, redact: "tok\n" },
      { kind: "config", key: "conf", name: conf, env: "SWARMLAB_STACK_CONFIG_0", base64: Buffer.from("x=1\n").toString("base64"), secret: false },
    ]);
    // a content change rotates the name; the same content keeps it
    expect(planObjects("web", stack, { ...contents, secrets: { ...contents.secrets, token: Buffer.from("tok2\n") } }).stack.secrets?.token.name).not.toBe(token);
    expect(planObjects("web", stack, contents).stack.secrets?.token.name).toBe(token);
  });

  it("refuses names docker would refuse", () => {
    const { stack } = parseStack("services: {a: {image: x, secrets: [s]}}\nsecrets: {s: {file: ./s}}", "web.yaml");
    const long = "x".repeat(60);
    const planned = planObjects(long, stack, { secrets: { s: Buffer.from("1") }, configs: {} }, "web.yaml");
    const name = `${long}_s_6b86b273`;
    expect(planned.problems).toEqual([
      {
        source: "web.yaml",
        path: "secrets.s",
        message: `the secret would be named "${name}" (name or <stack>_<key>, then a hash of its content): expected a secret name of at most 64 characters (swarmkit), got "${name}", 71 characters; use another key or set name:`,
      },
    ]);
    // swarmkit's character rule for secrets and configs ("." allowed, unlike services), named too
    const { stack: odd } = parseStack("services: {a: {image: x, configs: [c]}}\nconfigs: {c: {file: ./c, name: -conf}}", "web.yaml");
    expect(planObjects("web", odd, { secrets: {}, configs: { c: Buffer.from("1") } }, "web.yaml").problems.map((p) => p.message)).toEqual([
      'the config would be named "-conf_6b86b273" (name or <stack>_<key>, then a hash of its content): expected a config name of letters, digits, "-", "_" and ".", starting and ending with a letter or digit (swarmkit), got "-conf_6b86b273"; use another key or set name:',
    ]);
    expect(planObjects("web", parseStack("services: {a: {image: x, configs: [c]}}\nconfigs: {c: {file: ./c, name: app.conf}}", "web.yaml").stack, { secrets: {}, configs: { c: Buffer.from("1") } }, "web.yaml").problems).toEqual([]);
  });

  it("renders the compose with the hashed names and keeps secret content out of it", () => {
    const { stack } = parseStack(STACK_WITH_OBJECTS, "web.yaml");
    const planned = planObjects("web", stack, { secrets: { token: Buffer.from("tok-secret-value"), db: Buffer.from("pw-secret-value") }, configs: { conf: Buffer.from("x=1\n") } });
    const prepared: PreparedStack = { name: "web", file: "web.yaml", stack: planned.stack, uploads: planned.uploads, images: {}, warnings: [] };
    const inputs = deployInputs({ stack: prepared, render: { clusterLabels: { "swarmlab.cluster": "lab" } } });
    const doc = parse(inputs.compose) as { secrets: Record<string, { name: string; file: string; labels: Record<string, string> }> };
    expect(doc.secrets.token).toEqual({ name: `web_token_${contentHash("tok-secret-value")}`, file: `./web_token_${contentHash("tok-secret-value")}`, labels: { "swarmlab.cluster": "lab" } });
    expect(doc.secrets.ext).toEqual({ external: true });
    expect(inputs.compose).not.toContain("secret-value");
    expect(inputs.compose).not.toContain("DB_PASSWORD");
    expect(inputs.secretEnv).toBe(true);
    expect(inputs.redact).toEqual(["pw-secret-value", "tok-secret-value"]);
    expect(Object.keys(inputs.environment)).toEqual(["SWARMLAB_STACK_SECRET_0", "SWARMLAB_STACK_SECRET_1", "SWARMLAB_STACK_CONFIG_0"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Loading every stack of the config
// ---------------------------------------------------------------------------------------------

function cluster(stacks: unknown[], extra: Record<string, unknown> = {}) {
  return loadClusterConfig(
    { "swarmlab:nodes": JSON.stringify([{ name: "manager1", role: "manager" }]), "swarmlab:stacks": JSON.stringify(stacks), ...extra },
    "Pulumi.dev.yaml",
  );
}

describe("loadStacks", () => {
  const WEB = "services:\n  app:\n    image: swarmlab/whoami:latest\n    deploy: {replicas: 6}\n  agent:\n    image: swarmlab/whoami:latest\n    deploy: {mode: global}\n";

  it("loads, overrides replicas and images, and summarises the services", () => {
    const root = stackDir({ "stacks/web.yaml": WEB });
    const [web] = loadStacks(cluster([{ name: "web", file: "stacks/web.yaml", replicas: { app: 9 }, images: { "swarmlab/whoami:latest": "swarmlab/whoami:v2" }, timeoutSeconds: 60 }]), root);
    expect(web).toMatchObject({ name: "web", file: "stacks/web.yaml", images: { "swarmlab/whoami:latest": "swarmlab/whoami:v2" }, timeoutSeconds: 60, uploads: [] });
    expect(serviceSummary(web.name, web.stack)).toEqual({
      agent: { name: "web_agent", mode: "global" },
      app: { name: "web_app", mode: "replicated", replicas: 9 },
    });
    const doc = parse(deployInputs({ stack: web }).compose) as { services: Record<string, { image: string; deploy: { replicas?: number } }> };
    expect(doc.services.app).toMatchObject({ image: "swarmlab/whoami:v2", deploy: { replicas: 9 } });
  });

  it("reports the problems of every stack file at once, before anything is deployed", () => {
    const root = stackDir({
      "stacks/a.yaml": "services:\n  web:\n    image: nginx\n    deploy: {replicas: two}\n",
      "stacks/b.yaml": "services:\n  db:\n    image: postgres\n    secrets: [pw]\nsecrets:\n  pw: {file: ./missing.txt}\n",
      "stacks/ok.yaml": WEB,
    });
    const cfg = cluster([
      { name: "a", file: "stacks/a.yaml" },
      { name: "b", file: "stacks/b.yaml" },
      { name: "c", file: "stacks/none.yaml" },
      { name: "ok", file: "stacks/ok.yaml", replicas: { nope: 2, agent: 3 } },
    ]);
    let error: unknown;
    try {
      loadStacks(cfg, root, { configSource: "Pulumi.dev.yaml" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as Error).message.split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('stacks/a.yaml: services.web.deploy.replicas: expected a number, got "two"');
    expect(lines[1]).toMatch(/^stacks\/b\.yaml: secrets\.pw\.file: cannot read .*stacks\/missing\.txt \(ENOENT\); the path is relative to the stack file$/);
    expect(lines[2]).toBe("Pulumi.dev.yaml: swarmlab:stacks[2].file: cannot read the stack file stacks/none.yaml: no such file (the path is relative to the project)");
    expect(lines[3]).toBe('Pulumi.dev.yaml: swarmlab:stacks[3].replicas.nope: stacks/ok.yaml has no service "nope" (services: agent, app)');
    expect(lines[4]).toBe('Pulumi.dev.yaml: swarmlab:stacks[3].replicas.agent: service "agent" is global (one task per eligible node): it has no replica count');
  });

  it("reports rendering problems too (an exposed service without Traefik)", () => {
    const root = stackDir({ "s.yaml": "services:\n  w:\n    image: x\n    x-swarmlab: {expose: {host: w.lab.local, port: 80}}\n" });
    expect(() => loadStacks(cluster([{ name: "s", file: "s.yaml" }]), root)).toThrow("s.yaml: x-swarmlab.expose needs the cluster's Traefik network");
  });

  it("reads env_file here, relative to the stack file, under the service's own environment (the deploy runs on a manager without the file)", () => {
    const root = stackDir({
      "stacks/app.yaml": "services:\n  app:\n    image: x\n    env_file: [common.env, app.env]\n    environment: {MODE: prod}\n",
      "stacks/common.env": "# shared\nMODE=dev\nREGION=eu\n\nFROM_SHELL\nUNSET_HERE\n",
      "stacks/app.env": "REGION=us-east # kept as written\nURL=http://a/?x=1\n",
    });
    const [app] = loadStacks(cluster([{ name: "app", file: "stacks/app.yaml" }]), root, { env: { FROM_SHELL: "from the shell" } });
    const doc = parse(deployInputs({ stack: app }).compose) as { services: Record<string, Record<string, unknown>> };
    expect(doc.services.app.environment).toEqual({ MODE: "prod", REGION: "us-east # kept as written", FROM_SHELL: "from the shell", URL: "http://a/?x=1" });
    expect(doc.services.app.env_file).toBeUndefined();
  });

  it("names an env file that cannot be read or has a line that is not KEY=value", () => {
    const root = stackDir({ "stacks/app.yaml": "services:\n  app:\n    image: x\n    env_file: [none.env, bad.env]\n", "stacks/bad.env": "OK=1\nnot a key=1\n" });
    expect(() => loadStacks(cluster([{ name: "app", file: "stacks/app.yaml" }]), root)).toThrow(
      [
        `stacks/app.yaml: services.app.env_file[0]: cannot read ${path.join(root, "stacks/none.env")}: ENOENT (paths are relative to the stack file)`,
        "stacks/app.yaml: services.app.env_file[1]: expected KEY=value lines in bad.env, got something else on line 2",
      ].join("\n"),
    );
  });

  it("replicas overrides leave the stack file's object untouched", () => {
    const { stack } = parseStack(WEB, "web.yaml");
    const out = applyReplicas(stack, { app: 1 }, { source: "Pulumi.dev.yaml", path: ["swarmlab:stacks[0]", "replicas"], file: "web.yaml" });
    expect(out.stack.services.app.deploy?.replicas).toBe(1);
    expect(stack.services.app.deploy?.replicas).toBe(6);
  });
});

// ---------------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------------

describe("StackDeployment resource", () => {
  beforeAll(async () => {
    await setupMocks();
  });

  it("runs the deploy on the manager with the compose as stdin, secrets only in a secret environment, after the swarm", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const { deployStacks } = await import("../../components/stacks");
    const { Command } = await import("../../components/command/provider");
    const ready = new Command("ready", { label: "node list", create: "true" });
    const manager = {
      name: "manager1",
      role: "manager" as const,
      labels: {},
      availability: "active" as const,
      address: "10.0.0.2",
      advertiseAddress: "10.0.0.2",
      ssh: { host: "10.0.0.2", port: 22, user: "root", privateKey: "KEY" },
      instance: "container-1",
      dependsOn: [],
    };
    const { stack } = parseStack(STACK_WITH_OBJECTS, "web.yaml");
    const planned = planObjects("web", stack, { secrets: { token: Buffer.from("tok-secret-value"), db: Buffer.from("pw-secret-value") }, configs: { conf: Buffer.from("x=1\n") } });
    const prepared: PreparedStack = { name: "web", file: "web.yaml", stack: planned.stack, uploads: planned.uploads, images: {}, timeoutSeconds: 60, warnings: [] };
    const [dep] = deployStacks([prepared], {
      managers: [manager.ssh as SshTarget],
      clusterId: "cluster-1",
      root: "/",
      defaults: pulumi.output({ endpointMode: "dnsrr" as const, publishMode: "host" as const }),
      clusterLabels: { "swarmlab.cluster": "lab" },
      dependsOn: [ready],
    });
    await registered([dep.deploy]);
    const cmd = findCommand("stack-web-deploy");
    expect(cmd.inputs.label).toBe("stack web: docker stack deploy");
    expect(cmd.inputs.stdin).toBe(await resolve(dep.compose));
    expect(cmd.inputs.stdin).toContain("endpoint_mode: dnsrr");
    expect(cmd.inputs.stdin).not.toContain("secret-value");
    expect(cmd.inputs.update).toBeUndefined(); // an update runs the deploy (create) again
    expect(cmd.inputs.create).toContain("docker stack deploy --prune --with-registry-auth -c - \"$stack\"");
    expect(cmd.inputs.create).toContain("timeout=60;");
    expect(cmd.inputs.timeoutSeconds).toBe(180);
    expect(cmd.inputs.delete).toContain('docker stack rm "$stack"');
    expect(cmd.inputs.ignoreUnreachableOnDelete).toBe(true);
    // on whichever manager answers with control; a new swarm (another cluster ID) deploys again
    expect(cmd.inputs.managers).toEqual([expect.objectContaining({ host: "10.0.0.2", user: "root" })]);
    expect(cmd.inputs.connection).toBeUndefined();
    expect(cmd.inputs.triggers).toBeUndefined();
    expect((cmd.inputs.environment as Record<string, string>).SWARMLAB_CLUSTER_ID).toBe("cluster-1");
    expect(cmd.secretInputs).toEqual(expect.arrayContaining(["environment", "redact"]));
    expect(cmd.additionalSecretOutputs).toEqual(expect.arrayContaining(["environment", "managers", "redact"]));
    expect(namesOf(cmd.dependencies)).toContain("ready");
    expect(await resolve(dep.services)).toEqual({ app: { name: "web_app", mode: "replicated", replicas: 1 } });
  });
});
