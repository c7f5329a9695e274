/**
 * The ssh host kind against real machines: three containers made OUTSIDE Pulumi with the docker
 * CLI (two lab node images with Docker, one plain Debian with only sshd, where swarmlab installs
 * Docker from Debian's archive), then `pulumi up` with `hosts.kind: ssh` on a stack of its own
 * (not the shared e2e lab), host keys verified, the private key a secret set with `--path`.
 * `pulumi destroy` must leave the machines running and out of the swarm.
 */
import { execFileSync, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { securityFlags } from "../../components/hosts/dockerLab";
import { changedKinds, dropOwnStack, e2eEnabled, eventually, labImages, ownStack, pulumiRoot, ROOT, stateText, stepTimer } from "./lab";

const NAME = process.env.SWARMLAB_E2E_SSH_NAME ?? "e2e-ssh";
const PREFIX = process.env.SWARMLAB_E2E_SSH_PREFIX ?? "10.231.7"; // a /24 of its own
const NETWORK = `${NAME}-machines`;
const MARK = `swarmlab.e2e=${NAME}`; // the machines are not swarmlab's: their own label, for cleanup
const SSHD_IMAGE = "swarmlab/e2e-sshd:latest";

const MACHINES = [
  { name: "manager1", role: "manager", ip: `${PREFIX}.11`, docker: true },
  { name: "worker1", role: "worker", ip: `${PREFIX}.12`, docker: true, labels: { zone: "a" } },
  // No Docker on this one: swarmlab installs it (apt-get install docker.io, about a minute).
  { name: "worker2", role: "worker", ip: `${PREFIX}.13`, docker: false, labels: { zone: "b" } },
];
const container = (node: string) => `${NAME}-${node}`;
const REGISTRY_PASSWORD = `e2e-${randomBytes(12).toString("hex")}`;
const REGISTRY = `${PREFIX}.11:5000`;

function sh(script: string): string {
  return execFileSync("bash", ["-c", script], { encoding: "utf8" });
}

function inNode(node: string, args: string[]): string {
  return execFileSync("docker", ["exec", container(node), ...args], { encoding: "utf8" });
}

function cleanup(): void {
  spawnSync("bash", ["-c", `docker rm -f $(docker ps -aq --filter label=${MARK}) >/dev/null 2>&1; docker volume rm $(docker volume ls -q --filter label=${MARK}) >/dev/null 2>&1; docker network rm ${NETWORK} >/dev/null 2>&1; true`]);
}

/** Makes the three machines and returns each one's ed25519 host key. */
function makeMachines(publicKey: string): Record<string, string> {
  cleanup();
  // A plain Debian with sshd only (the base image the image script builds, plus openssh-server).
  sh(`printf 'FROM ${labImages().SWARMLAB_BASE_IMAGE ?? "swarmlab/debian:bookworm"}\\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server && rm -rf /var/lib/apt/lists/* /etc/ssh/ssh_host_*\\n' | docker build -q -t ${SSHD_IMAGE} - >/dev/null`);
  sh(`docker network create --label ${MARK} --subnet ${PREFIX}.0/24 ${NETWORK} >/dev/null`);
  for (const m of MACHINES) {
    const volume = `${container(m.name)}-docker`;
    sh(`docker volume create --label ${MARK} ${volume} >/dev/null`);
    const common = [
      "docker run -d",
      `--name ${container(m.name)} --hostname ${m.name} --label ${MARK}`,
      `--network ${NETWORK} --ip ${m.ip}`,
      ...securityFlags(false),
      `--tmpfs /run --tmpfs /tmp -v ${volume}:/var/lib/docker`,
    ];
    if (m.docker) {
      sh([...common, `-e SWARMLAB_AUTHORIZED_KEYS='${publicKey}'`, labImages().SWARMLAB_NODE_IMAGE, ">/dev/null"].join(" "));
    } else {
      const start = `mkdir -p /run/sshd /root/.ssh && echo '${publicKey}' > /root/.ssh/authorized_keys && ssh-keygen -A && exec /usr/sbin/sshd -D -e`;
      sh([...common, SSHD_IMAGE, "bash -c", `"${start}"`, ">/dev/null"].join(" "));
    }
  }
  const keys: Record<string, string> = {};
  const deadline = Date.now() + 60_000;
  for (const m of MACHINES) {
    for (;;) {
      const r = spawnSync("docker", ["exec", container(m.name), "cat", "/etc/ssh/ssh_host_ed25519_key.pub"], { encoding: "utf8" });
      if (r.status === 0 && r.stdout.startsWith("ssh-ed25519")) {
        keys[m.name] = r.stdout.trim().split(/\s+/).slice(0, 2).join(" ");
        break;
      }
      if (Date.now() > deadline) throw new Error(`${m.name}: no host key after 60 s`);
      sh("sleep 1");
    }
  }
  return keys;
}

describe.runIf(e2eEnabled())("ssh host kind: existing machines", () => {
  let stack: Stack;
  let keyDir = "";
  let privateKey = "";
  let upOutput = "";
  const outputs: Record<string, unknown> = {};
  const configFile = path.join(ROOT, `Pulumi.${NAME}.yaml`);
  const { timings, timed } = stepTimer();
  const dockerdBefore: Record<string, string> = {};
  let work = "";
  let env: Record<string, string> = {};

  beforeAll(async () => {
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-ssh-e2e-"));
    sh(`ssh-keygen -q -t ed25519 -N '' -C swarmlab-e2e-ssh -f ${keyDir}/id`);
    privateKey = fs.readFileSync(`${keyDir}/id`, "utf8");
    const hostKeys = await timed("machines", async () => makeMachines(fs.readFileSync(`${keyDir}/id.pub`, "utf8").trim()));

    for (const n of ["manager1", "worker1"]) {
      for (let i = 0; i < 60 && !dockerdBefore[n]; i++) {
        dockerdBefore[n] = spawnSync("docker", ["exec", container(n), "pidof", "dockerd"], { encoding: "utf8" }).stdout.trim();
        if (!dockerdBefore[n]) sh("sleep 1");
      }
    }
    ({ stack, work, env } = await ownStack(NAME));
    // The stack file as a user writes it (structured YAML), then the key as a user sets it.
    const file = parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown>;
    file.config = {
      "swarmlab:name": NAME,
      "swarmlab:hosts": {
        kind: "ssh",
        installDocker: true,
        hosts: Object.fromEntries(MACHINES.map((m) => [m.name, { address: m.ip, hostKey: hostKeys[m.name] }])),
      },
      "swarmlab:nodes": MACHINES.map((m) => ({ name: m.name, role: m.role, ...(m.labels ? { labels: m.labels } : {}) })),
      // HTTPS with a CA swarmlab makes, and auth: what a registry on real machines should be
      "swarmlab:images": { sideLoad: [labImages().SWARMLAB_REGISTRY_IMAGE, labImages().SWARMLAB_WHOAMI_IMAGE] },
      "swarmlab:registry": { image: labImages().SWARMLAB_REGISTRY_IMAGE, tls: {}, auth: { username: "e2e" } },
    };
    fs.writeFileSync(configFile, stringify(file));
    // the secrets as a user sets them: pulumi config set --secret --path
    const setSecret = (key: string, value: string) =>
      execFileSync(path.join(pulumiRoot(), "bin/pulumi"), ["config", "set", "--stack", NAME, "--secret", "--path", key, "--", value], {
        cwd: ROOT,
        env: { ...process.env, ...env, PATH: `${path.join(pulumiRoot(), "bin")}:${process.env.PATH}` },
        stdio: "ignore",
      });
    setSecret("swarmlab:hosts.privateKey", privateKey.trim());
    setSecret("swarmlab:registry.auth.password", REGISTRY_PASSWORD);

    const res = await timed("first up", () => stack.up({ onOutput: (o) => (upOutput += o), color: "never" }));
    for (const [k, v] of Object.entries(res.outputs)) outputs[k] = v.value;
  }, 900_000);

  afterAll(async () => {
    console.log(`ssh-hosts e2e timings (s): ${JSON.stringify(timings)}`);
    await dropOwnStack(stack, NAME, work);
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    cleanup();
  }, 300_000);

  it("forms a three-node swarm on the existing machines: all Ready, one Leader, the configured labels", () => {
    const rows = inNode("manager1", ["docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"]).trim().split("\n").sort();
    expect(rows.map((r) => r.trimEnd())).toEqual(["manager1 Ready Leader", "worker1 Ready", "worker2 Ready"]);
    const labels = (n: string) => JSON.parse(inNode("manager1", ["docker", "node", "inspect", "-f", "{{json .Spec.Labels}}", n])) as Record<string, string>;
    expect(labels("worker1")).toEqual({ zone: "a" });
    expect(labels("worker2")).toEqual({ zone: "b" });
    expect((outputs.nodes as { name: string; address: string }[]).map((r) => `${r.name} ${r.address}`)).toEqual(MACHINES.map((m) => `${m.name} ${m.ip}`));
    expect(outputs.dockerHost).toBe(`ssh://root@${PREFIX}.11:22`);
  });

  it("installed Docker (Debian's docker.io) on the machine that had none, and left the others alone", () => {
    expect(inNode("worker2", ["dpkg-query", "-W", "-f", "${Status}", "docker.io"])).toBe("install ok installed");
    // The engines that were there kept running: same dockerd process as before pulumi up.
    for (const n of ["manager1", "worker1"]) expect(inNode(n, ["pidof", "dockerd"]).trim()).toBe(dockerdBefore[n]);
  });

  it("serves the registry over HTTPS with the cluster's CA, trusted by every engine: a worker pulls with credentials, plain HTTP is refused", async () => {
    const ca = outputs.registryCa as string;
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const caFile = path.join(keyDir, "registry-ca.crt");
    fs.writeFileSync(caFile, ca);
    const code = (args: string[]) => execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", ...args], { encoding: "utf8" });
    expect(code(["--cacert", caFile, `https://${REGISTRY}/v2/`])).toBe("401");
    expect(code(["--cacert", caFile, "-u", `e2e:${REGISTRY_PASSWORD}`, `https://${REGISTRY}/v2/`])).toBe("200");
    expect(code([`http://${REGISTRY}/v2/`])).toBe("400"); // "Client sent an HTTP request to an HTTPS server"
    for (const m of MACHINES) {
      expect(inNode(m.name, ["cat", `/etc/docker/certs.d/${REGISTRY}/ca.crt`])).toBe(ca);
      // trusted through the CA, not listed as an insecure registry
      expect(inNode(m.name, ["docker", "info", "--format", "{{json .RegistryConfig.IndexConfigs}}"])).not.toContain(REGISTRY);
    }
    // the manager is logged in (swarmlab did it): it pushes; the worker that installed Docker pulls with its credentials
    const ref = `${REGISTRY}/e2e/whoami:tls`;
    inNode("manager1", ["docker", "tag", labImages().SWARMLAB_WHOAMI_IMAGE, ref]);
    inNode("manager1", ["docker", "push", ref]);
    inNode("manager1", ["docker", "service", "create", "-d", "--with-registry-auth", "--name", "e2e-tls-pull", "--constraint", "node.hostname==worker2", "--endpoint-mode", "dnsrr", ref]);
    try {
      await eventually("worker2 pulls from the HTTPS registry", () => /^worker2 Running/m.test(inNode("manager1", ["docker", "service", "ps", "e2e-tls-pull", "--format", "{{.Node}} {{.CurrentState}}"])), 120_000);
    } finally {
      inNode("manager1", ["docker", "service", "rm", "e2e-tls-pull"]);
    }
  }, 300_000);

  it("keeps the private key, the registry password and the registry's TLS key out of the output and the state file (secrets set with --path)", () => {
    const body = privateKey.split("\n")[1];
    expect(body.length).toBeGreaterThan(20);
    const tlsKey = inNode("manager1", ["cat", "/etc/swarmlab/registry-tls/registry.key"]).split("\n")[1];
    expect(tlsKey.length).toBeGreaterThan(20);
    // read here, not through a shell: the state (a serialised provider per command) outgrows a child's output buffer
    const state = stateText(work);
    expect(state).toContain("swarmlab:hosts:SshMachines");
    for (const secret of [body, REGISTRY_PASSWORD, tlsKey]) {
      expect(upOutput).not.toContain(secret);
      expect(state).not.toContain(secret);
      expect(fs.readFileSync(configFile, "utf8")).not.toContain(secret);
    }
  });

  it("passing SSH fault: the only manager drops SSH for 15 s while an up changes a worker's label; the up waits for it", async () => {
    // (lab nodes are driven through docker exec: the real SSH path is drilled here, on machines)
    const block = (op: "-I" | "-D") => inNode("manager1", ["iptables", op, "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP"]);
    const nodes = MACHINES.map((m) => ({ name: m.name, role: m.role, labels: m.name === "worker1" ? { zone: "c" } : m.labels }));
    await stack.setConfig("swarmlab:nodes", { value: JSON.stringify(nodes) });
    block("-I");
    const unblock = setTimeout(() => block("-D"), 15_000);
    try {
      const res = await timed("up through an SSH fault", () => stack.up({ color: "never" }));
      expect(changedKinds(res.summary)).toContain("update");
    } finally {
      clearTimeout(unblock);
      try {
        block("-D");
      } catch {
        // already lifted by the timer
      }
    }
    const labels = JSON.parse(inNode("manager1", ["docker", "node", "inspect", "-f", "{{json .Spec.Labels}}", "worker1"])) as Record<string, string>;
    expect(labels).toEqual({ zone: "c" });
  }, 600_000);

  it("a second pulumi up changes nothing", async () => {
    const res = await timed("second up", () => stack.up({ color: "never" }));
    expect(changedKinds(res.summary)).toEqual([]);
  }, 300_000);

  it("destroy leaves the machines running, out of the swarm", async () => {
    await timed("destroy", () => stack.destroy({ color: "never" }));
    for (const m of MACHINES) {
      expect(sh(`docker inspect -f '{{.State.Running}}' ${container(m.name)}`).trim()).toBe("true");
      expect(inNode(m.name, ["docker", "info", "--format", "{{.Swarm.LocalNodeState}}"]).trim()).toBe("inactive");
      // what swarmlab wrote on the machines for the registry is gone with it
      expect(inNode(m.name, ["ls", "/etc/docker/certs.d"]).trim()).toBe("");
    }
    expect(inNode("manager1", ["ls", "/etc/swarmlab"]).trim()).toBe("");
  }, 300_000);
});
