/**
 * components/stacks/deployment.ts: the deploy / convergence / removal scripts run for real by bash
 * against a fake `docker` first on PATH (STACKS_DOCKER of test/support/fakeDocker.ts: it answers
 * from files, one file per call when the state must change between polls), and the
 * StackDeployment resource as the engine would see it (test/support/mocks.ts).
 */
import * as fs from "fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parseStack } from "../../components/stacks/load";
import { planObjects } from "../../components/stacks/secrets";
import { deployScript, type PreparedStack, removeScript } from "../../components/stacks/deployment";
import type { SshTarget } from "../../components/command/ssh";
import { STACKS_DOCKER } from "../support/fakeDocker";
import { fakeMachine } from "../support/fakes";
import { findCommand, namesOf, registered, resolve, setupMocks } from "../support/mocks";
import { STACK_WITH_OBJECTS } from "../support/stackFiles";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
  calls: string[];
  file(name: string): string;
}

/** Runs a script the way the command provider does (bash strict mode) with the fake docker first on PATH, its answers in files. */
function runWithFakeDocker(script: string, answers: Record<string, string>, opts: { stdin?: string; env?: Record<string, string> } = {}): Run {
  const m = fakeMachine({ docker: STACKS_DOCKER }, "fake-docker-");
  for (const [name, text] of Object.entries(answers)) m.write(name, text);
  const res = m.run(script, { stdin: opts.stdin ?? "", env: { TMPDIR: m.dir, ...opts.env } });
  return { code: res.code ?? -1, stdout: res.stdout, stderr: res.stderr, dir: m.dir, calls: m.lines("calls"), file: m.read };
}

/** Quick polls; the timeout only bounds the runs that converge (a test about timing out sets its own), with room for a loaded machine. */
const FAST = { pollSeconds: 0.1, stableSeconds: 0, timeoutSeconds: 10 };
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
    // 3 s (whole seconds: 2 s or more of looking) leave room for 5 polls of 0.2 s on a loaded machine
    const r = deploy({ "service-ids": "id1\nid2", "service-ls": "web_app|replicated|6/6\nweb_db|global|3/3", "service-inspect": "web_app|\nweb_db|" }, { stableSeconds: 3, pollSeconds: 0.2, timeoutSeconds: 10 });
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
