/**
 * The lab as Docker Desktop users get it (`hosts.reachability: published`): the machine running
 * Pulumi does not reach container IPs, so SSH and the cluster's service ports are published on
 * 127.0.0.1 and every step goes through them. A small lab of its own (a manager, a worker) with
 * Traefik and whoami; forced to `published` here, where `auto` would pick the node IPs.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedKinds, docker, dropOwnStack, e2eEnabled, eventually, labelledObjects, labImages, ownStack, stepTimer, toConfigMap } from "./lab";

const NAME = process.env.SWARMLAB_E2E_PUB_NAME ?? "e2e-pub";
const SSH_BASE = 23200;
const HTTP = 18080;

const hosts = () => ({
  kind: "docker-lab",
  image: labImages().SWARMLAB_NODE_IMAGE,
  subnet: process.env.SWARMLAB_E2E_PUB_SUBNET ?? "172.30.0.0/24",
  reachability: "published",
  sshPortBase: SSH_BASE,
});
const whoami = () => execFileSync("curl", ["-s", "--max-time", "5", "-H", "Host: whoami.lab.local", `http://127.0.0.1:${HTTP}/`], { encoding: "utf8" });

describe.runIf(e2eEnabled())("the lab reached through ports published on 127.0.0.1 (Docker Desktop)", () => {
  let stack: Stack;
  let work = "";
  let keyFile = "";
  const outputs: Record<string, unknown> = {};
  const { timings, timed } = stepTimer();

  beforeAll(async () => {
    ({ stack, work } = await ownStack(NAME));
    const img = labImages();
    await stack.setAllConfig(
      toConfigMap({
        name: NAME,
        hosts: hosts(),
        nodes: [{ name: "manager1", role: "manager" }, { name: "worker1" }],
        images: { sideLoad: [img.SWARMLAB_TRAEFIK_IMAGE, img.SWARMLAB_WHOAMI_IMAGE] },
        traefik: { image: img.SWARMLAB_TRAEFIK_IMAGE, httpPort: HTTP, httpsPort: 18443, dashboard: false },
        stacks: [{ name: "whoami", file: "stacks/whoami.yaml", images: { whoami: img.SWARMLAB_WHOAMI_IMAGE } }],
      }),
    );
    const res = await timed("first up", () => stack.up({ color: "never" }));
    for (const [k, v] of Object.entries(res.outputs)) outputs[k] = v.value;
    keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-pub-")), "id");
    fs.writeFileSync(keyFile, String(outputs.sshPrivateKey), { mode: 0o600 });
  }, 900_000);

  afterAll(async () => {
    console.log(`published-ports e2e timings (s): ${JSON.stringify(timings)}`);
    await dropOwnStack(stack, NAME, work);
    if (keyFile) fs.rmSync(path.dirname(keyFile), { recursive: true, force: true });
  }, 600_000);

  /** `docker node ls` on the leader, over SSH through its published port. */
  const nodesOverSsh = (port: number) =>
    execFileSync("ssh", ["-i", keyFile, "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "root@127.0.0.1", "docker node ls --format '{{.Hostname}} {{.Status}}'"], { encoding: "utf8" })
      .trim()
      .split("\n")
      .sort();

  it("reaches every node over SSH on 127.0.0.1 and says so in the outputs", () => {
    const rows = outputs.nodes as { name: string; address: string }[];
    expect(rows.map((r) => r.address)).toEqual(["127.0.0.1", "127.0.0.1"]);
    const port = Number(String(outputs.dockerHost).match(/^ssh:\/\/root@127\.0\.0\.1:(\d+)$/)?.[1]);
    expect(port - SSH_BASE).toBeGreaterThanOrEqual(10); // the base + the manager's last octet
    expect(port - SSH_BASE).toBeLessThan(250);
    expect(nodesOverSsh(port)).toEqual(["manager1 Ready", "worker1 Ready"]);
  });

  it("publishes Traefik's ports from the first manager on 127.0.0.1, where the URLs point, and whoami answers there", async () => {
    const ports = (c: string) => docker(["port", `${NAME}-${c}`]);
    expect(ports("manager1")).toContain(`${HTTP}/tcp -> 127.0.0.1:${HTTP}`);
    expect(ports("manager1")).toContain("18443/tcp -> 127.0.0.1:18443");
    expect(ports("worker1")).not.toContain(`${HTTP}/tcp`);
    expect((outputs.urls as Record<string, string>).traefik).toBe(`http://127.0.0.1:${HTTP}/`);
    await eventually("whoami answers on 127.0.0.1", () => /^Hostname: /m.test(whoami()));
  }, 180_000);

  it("a second pulumi up changes nothing", async () => {
    const res = await timed("second up", () => stack.up({ color: "never" }));
    expect(changedKinds(res.summary)).toEqual([]);
  }, 300_000);

  it("another published port makes a new first manager: a new swarm, which the worker leaves its old one for", async () => {
    const before = docker(["inspect", "-f", "{{.Id}}", `${NAME}-manager1`]).trim();
    await stack.setConfig("swarmlab:hosts", { value: JSON.stringify({ ...hosts(), publishPorts: [18888] }) });
    await timed("new manager", () => stack.up({ color: "never" }));
    expect(docker(["inspect", "-f", "{{.Id}}", `${NAME}-manager1`]).trim()).not.toBe(before);
    expect(docker(["port", `${NAME}-manager1`])).toContain("18888/tcp -> 127.0.0.1:18888");
    const port = Number(String(outputs.dockerHost).split(":").pop());
    expect(nodesOverSsh(port)).toEqual(["manager1 Ready", "worker1 Ready"]);
    await eventually("whoami answers on 127.0.0.1 again", () => /^Hostname: /m.test(whoami()), 120_000);
  }, 600_000);

  it("destroy leaves nothing labelled", async () => {
    await timed("destroy", () => stack.destroy({ color: "never" }));
    expect(labelledObjects(NAME)).toEqual([]);
  }, 600_000);
});
