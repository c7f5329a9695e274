/**
 * components/hosts/dockerLab.ts: the docker lab's plan (names, addresses, published ports), its
 * security flags, the privileged probe against a fake docker, the node scripts, and the addresses
 * pinned by the config.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import type { NodeConfig } from "../../components/config/cluster";
import { dockerLabSchema, type DockerLabHosts } from "../../components/config/hosts";
import {
  engineAcceptsPrivileged,
  engineAcceptsPrivilegedRemembered,
  engineCacheFile,
  nodeCreateScript,
  nodeDeleteScript,
  planLab,
  networkCreateScript,
  securityFlags,
  usePublishedPorts,
} from "../../components/hosts/dockerLab";
import { recordingDocker } from "../support/fakeDocker";
import { writeFakes } from "../support/fakes";
import { tmp } from "../support/tmp";

const hosts = (o: Partial<DockerLabHosts> = {}): DockerLabHosts => ({ ...dockerLabSchema.parse({ kind: "docker-lab" }), ...o });
const node = (name: string, role: "manager" | "worker" = "worker"): NodeConfig => ({ name, role, labels: {}, availability: "active" });

describe("planLab", () => {
  const nodes = [node("manager1", "manager"), node("worker1")];

  it("gives the lab network hosts.mtu when set (a cloud network's MTU, simulated), and says nothing of it otherwise", async () => {
    expect(planLab("lab", hosts({ mtu: 1450 }), nodes, false).mtu).toBe(1450);
    const plain = planLab("lab", hosts(), nodes, false);
    expect("mtu" in plain).toBe(false);
    expect(networkCreateScript("lab", { ...plain, mtu: 1450 })).toContain("docker network create --driver bridge --subnet 172.28.0.0/24 --opt com.docker.network.driver.mtu=1450 --label");
    // byte for byte what labs made before hosts.mtu were created with
    expect(networkCreateScript("lab", plain).split("\n")[0]).toBe(
      "docker network inspect swarmlab-lab >/dev/null 2>&1 || docker network create --driver bridge --subnet 172.28.0.0/24 --label 'swarmlab.cluster=lab' swarmlab-lab >/dev/null",
    );
  });

  it("names the network, containers and volumes after the cluster", async () => {
    const plan = planLab("lab", hosts(), nodes, false);
    expect(plan).toEqual({
      network: "swarmlab-lab",
      subnet: "172.28.0.0/24",
      nodes: [
        { node: nodes[0], container: "lab-manager1", volume: "lab-manager1-docker", ip: "172.28.0.129", sshPort: undefined, ports: [] },
        { node: nodes[1], container: "lab-worker1", volume: "lab-worker1-docker", ip: "172.28.0.172", sshPort: undefined, ports: [] },
      ],
    });
  });

  it("with published ports, the first manager also publishes the cluster's service ports and hosts.publishPorts on 127.0.0.1", async () => {
    const plan = planLab("edge", hosts({ publishPorts: [8000, 80] }), nodes, true, [80, 443, 5000]);
    expect(plan.nodes.map((n) => [n.container, n.ports])).toEqual([
      ["edge-manager1", [80, 443, 5000, 8000]],
      ["edge-worker1", []],
    ]);
    const run = nodeCreateScript("edge", { ...hosts(), privileged: true }, plan, plan.nodes[0]);
    expect(run).toContain("-p 127.0.0.1:22329:22 -p 127.0.0.1:80:80 -p 127.0.0.1:443:443 -p 127.0.0.1:5000:5000 -p 127.0.0.1:8000:8000 ");
    expect(nodeCreateScript("edge", { ...hosts(), privileged: true }, plan, plan.nodes[1])).not.toContain(":80:80");
    // reached directly (Linux), nothing is published
    expect(planLab("edge", hosts({ publishPorts: [8000] }), nodes, false, [80]).nodes.map((n) => n.ports)).toEqual([[], []]);
  });

  it("with published ports, gives each node the SSH port base + its last octet", async () => {
    const plan = planLab("edge", hosts({ sshPortBase: 30000 }), nodes, true);
    expect(plan.nodes.map((n) => [n.container, n.sshPort])).toEqual([
      ["edge-manager1", 30129],
      ["edge-worker1", 30172],
    ]);
  });
});

describe("usePublishedPorts", () => {
  it.each([
    ["linux, local socket", "linux", {}, {}, false],
    ["linux, unix DOCKER_HOST", "linux", {}, { DOCKER_HOST: "unix:///var/run/docker.sock" }, false],
    ["linux, tcp DOCKER_HOST", "linux", {}, { DOCKER_HOST: "tcp://10.0.0.5:2376" }, true],
    ["linux, ssh DOCKER_HOST", "linux", {}, { DOCKER_HOST: "ssh://me@build-box" }, true],
    ["linux, remote engine in config", "linux", { dockerHost: "ssh://me@build-box" }, {}, true],
    ["linux, config dockerHost wins over env", "linux", { dockerHost: "unix:///run/docker.sock" }, { DOCKER_HOST: "tcp://10.0.0.5:2376" }, false],
    ["macOS (Docker Desktop)", "darwin", {}, {}, true],
    ["Windows (Docker Desktop)", "win32", {}, {}, true],
    ["explicit direct on macOS", "darwin", { reachability: "direct" as const }, {}, false],
    ["explicit published on linux", "linux", { reachability: "published" as const }, {}, true],
  ])("%s", async (_title, platform, o, env, expected) => {
    expect(usePublishedPorts(hosts(o), platform, env)).toBe(expected);
  });
});

describe("securityFlags", () => {
  it("is --privileged when allowed", async () => {
    expect(securityFlags(true)).toEqual(["--privileged"]);
  });

  it("is an explicit capability set otherwise", async () => {
    expect(securityFlags(false)).toEqual([
      "--cap-add ALL",
      "--cap-drop SYS_RESOURCE",
      "--security-opt seccomp=unconfined",
      "--security-opt apparmor=unconfined",
      "--device-cgroup-rule 'a *:* rwm'",
      "-v /sys/fs/cgroup:/sys/fs/cgroup:rw",
    ]);
  });
});

describe("engineAcceptsPrivileged", () => {
  /** A docker that records its calls and exits with `exitCode` after printing `stderr` (recordingDocker), alone first on a minimal PATH. */
  function fakeDocker(exitCode: number, stderr = ""): { env: NodeJS.ProcessEnv; log: string; cleanup: () => void } {
    const dir = tmp("swarmlab-probe-");
    const log = path.join(dir, "log");
    writeFakes(dir, { docker: recordingDocker(log, { exitCode, stderr }) });
    return { env: { PATH: `${dir}:/usr/bin:/bin` }, log, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }

  it("is true when a privileged throw-away container runs", async () => {
    const f = fakeDocker(0);
    try {
      expect(engineAcceptsPrivileged("swarmlab/node:latest", f.env)).toBe(true);
      expect(fs.readFileSync(f.log, "utf8")).toBe("run --rm --privileged --network none --entrypoint true swarmlab/node:latest\n");
    } finally {
      f.cleanup();
    }
  });

  it("is false when the engine refuses it", async () => {
    const f = fakeDocker(125, "docker: Error response from daemon: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: unable to apply caps: operation not permitted: unknown");
    try {
      expect(engineAcceptsPrivileged("swarmlab/node:latest", f.env)).toBe(false);
    } finally {
      f.cleanup();
    }
  });

  it("stops the run when the probe fails for another reason, instead of guessing (a wrong guess replaces every node)", async () => {
    const f = fakeDocker(125, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock");
    try {
      expect(() => engineAcceptsPrivileged("swarmlab/node:latest", f.env, "Pulumi.dev.yaml")).toThrow(
        `Pulumi.dev.yaml: swarmlab:hosts.privileged: is "auto", and the probe that tells whether this engine accepts --privileged failed (docker run --rm --privileged --network none --entrypoint true swarmlab/node:latest: Cannot connect to the Docker daemon at unix:///var/run/docker.sock): fix the engine or the image, or set it to true or false`,
      );
    } finally {
      f.cleanup();
    }
  });
});

describe("engineAcceptsPrivilegedRemembered", () => {
  /** A docker whose `info` names engine `id` (none: the engine does not answer), and whose `run` exits with `runExit`. */
  function engine(id: string | undefined, runExit = 0) {
    const dir = tmp("swarmlab-engine-");
    const log = path.join(dir, "log");
    const info = id === undefined ? "echo 'Cannot connect to the Docker daemon' >&2; exit 1" : `echo '${id} 27.5.1'; exit 0`;
    writeFakes(dir, { docker: recordingDocker(log, { exitCode: runExit, stderr: runExit ? "unable to apply caps: operation not permitted" : undefined, cases: { "info --format": info } }) });
    const calls = () => fs.readFileSync(log, "utf8").trim().split("\n").map((l) => l.split(" ")[0]);
    return { env: { PATH: `${dir}:/usr/bin:/bin` }, cache: path.join(dir, "cache/engines.json"), calls, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }

  it("probes an engine once, then answers from the cache for that engine", () => {
    const e = engine("ENGINE-A", 125);
    try {
      expect(engineAcceptsPrivilegedRemembered("swarmlab/node:latest", e.env, "Pulumi.dev.yaml", e.cache)).toBe(false);
      expect(e.calls()).toEqual(["info", "run"]);
      expect(JSON.parse(fs.readFileSync(e.cache, "utf8"))).toEqual({ "ENGINE-A 27.5.1": { privileged: false } });
      expect(engineAcceptsPrivilegedRemembered("swarmlab/node:latest", e.env, "Pulumi.dev.yaml", e.cache)).toBe(false);
      expect(e.calls()).toEqual(["info", "run", "info"]);
    } finally {
      e.cleanup();
    }
  });

  it("probes again for another engine (or another version of it), and keeps both answers", () => {
    const e = engine("ENGINE-B", 0);
    try {
      fs.mkdirSync(path.dirname(e.cache), { recursive: true });
      fs.writeFileSync(e.cache, JSON.stringify({ "ENGINE-A 27.5.1": { privileged: false } }));
      expect(engineAcceptsPrivilegedRemembered("swarmlab/node:latest", e.env, "Pulumi.dev.yaml", e.cache)).toBe(true);
      expect(e.calls()).toEqual(["info", "run"]);
      expect(JSON.parse(fs.readFileSync(e.cache, "utf8"))).toEqual({ "ENGINE-A 27.5.1": { privileged: false }, "ENGINE-B 27.5.1": { privileged: true } });
    } finally {
      e.cleanup();
    }
  });

  it("probes, and so reports why, when the engine does not say who it is; an unreadable cache is asked again", () => {
    const e = engine(undefined, 0);
    try {
      fs.mkdirSync(path.dirname(e.cache), { recursive: true });
      fs.writeFileSync(e.cache, "{ not json");
      expect(engineAcceptsPrivilegedRemembered("swarmlab/node:latest", e.env, "Pulumi.dev.yaml", e.cache)).toBe(true);
      expect(e.calls()).toEqual(["info", "run"]);
      expect(fs.readFileSync(e.cache, "utf8")).toBe("{ not json");
    } finally {
      e.cleanup();
    }
  });

  it("asks again, without a stack trace, when the cache was edited into something else than an object", () => {
    for (const text of ["null", "[]", "5"]) {
      const e = engine("ENGINE-C", 0);
      try {
        fs.mkdirSync(path.dirname(e.cache), { recursive: true });
        fs.writeFileSync(e.cache, text);
        expect(engineAcceptsPrivilegedRemembered("swarmlab/node:latest", e.env, "Pulumi.dev.yaml", e.cache)).toBe(true);
        expect(JSON.parse(fs.readFileSync(e.cache, "utf8"))).toEqual({ "ENGINE-C 27.5.1": { privileged: true } });
      } finally {
        e.cleanup();
      }
    }
  });

  it("keeps its cache under $SWARMLAB_CACHE, else the user's cache folder", () => {
    expect(engineCacheFile({ SWARMLAB_CACHE: "/c/swarmlab" })).toBe("/c/swarmlab/engines.json");
    expect(engineCacheFile({ XDG_CACHE_HOME: "/x" })).toBe("/x/swarmlab/engines.json");
  });
});

describe("nodeCreateScript", () => {
  const nodes = [node("manager1", "manager"), node("worker1")];
  const script = (published: boolean, privileged = true) => {
    const h = { ...hosts(), privileged };
    const plan = planLab("lab", h, nodes, published);
    return nodeCreateScript("lab", h, plan, plan.nodes[1]);
  };
  const runLine = (s: string) => s.split("\n").find((l) => l.startsWith("docker run")) ?? "";

  it("labels the container and its volume with the cluster, node and role", async () => {
    const s = script(false);
    const labels = "--label 'swarmlab.cluster=lab' --label 'swarmlab.node=worker1' --label 'swarmlab.role=worker'";
    expect(runLine(s)).toContain(labels);
    expect(s).toContain(`docker volume create ${labels} lab-worker1-docker >/dev/null`);
  });

  it("creates the container with its name, hostname, fixed address and restart policy", async () => {
    expect(runLine(script(false))).toBe(
      "docker run -d --name lab-worker1 --hostname worker1 --network swarmlab-lab --ip 172.28.0.172 " +
        "--label 'swarmlab.cluster=lab' --label 'swarmlab.node=worker1' --label 'swarmlab.role=worker' --restart unless-stopped --privileged " +
        '--tmpfs /run --tmpfs /tmp -v lab-worker1-docker:/var/lib/docker -e SWARMLAB_AUTHORIZED_KEYS="$SWARMLAB_PUBLIC_KEY" swarmlab/node:latest >/dev/null',
    );
  });

  it("publishes SSH on 127.0.0.1 only when nodes are reached through published ports", async () => {
    expect(runLine(script(true))).toContain(" -p 127.0.0.1:22372:22 ");
    expect(runLine(script(false))).not.toContain(" -p ");
  });

  it("uses the explicit capability set when privileged is off", async () => {
    const line = runLine(script(false, false));
    expect(line).not.toContain("--privileged");
    expect(line).toContain("--cap-add ALL --cap-drop SYS_RESOURCE");
  });

  it("refuses containers of another cluster or not made by swarmlab, and prints the container id", async () => {
    const s = script(false);
    expect(s).toContain(`echo "container lab-worker1 exists and belongs to cluster $owner" >&2; exit 1`);
    expect(s).toContain('echo "container lab-worker1 exists and was not made by swarmlab: rename it or change swarmlab:name" >&2; exit 1');
    expect(s.split("\n").pop()).toBe("docker inspect -f '{{.Id}}' lab-worker1");
  });

  it("is undone by removing the container and its volume", async () => {
    const plan = planLab("lab", hosts(), nodes, false);
    expect(nodeDeleteScript(plan.nodes[0])).toBe("docker rm -f lab-manager1 >/dev/null 2>&1 || true\ndocker volume rm -f lab-manager1-docker >/dev/null 2>&1 || true");
  });
});

describe("pinned lab addresses", () => {
  it("refuses a pin for a node that does not exist, with the rest of the config (before any resource)", async () => {
    const { loadClusterConfig } = await import("../../components/config/load");
    const load = () => loadClusterConfig(
      {
        "swarmlab:nodes": JSON.stringify([{ name: "manager1", role: "manager" }, { name: "worker1" }]),
        "swarmlab:hosts": JSON.stringify({ kind: "docker-lab", privileged: true, reachability: "direct", addresses: { worker9: "172.28.0.50" } }),
      },
      "Pulumi.dev.yaml",
    );
    expect(load).toThrow(
      'Pulumi.dev.yaml: swarmlab:hosts.addresses.worker9: "worker9" is not a node: expected one of "manager1", "worker1" (add it to nodes or remove this entry)',
    );
  });
});

describe("the lab's hosts under mocks: what a whole-lab removal takes with it", () => {
  it("gives every host the lab network as teardownWith (swarm work is deletedWith it), and the swarm passes it on", async () => {
    const { setupMocks, swarmUnderMocks, resolve } = await import("../support/mocks");
    await setupMocks();
    const { hosts, swarm } = await swarmUnderMocks({
      "swarmlab:name": "lab",
      // pinned so that nothing runs at construction (no privileged probe, no published ports)
      "swarmlab:hosts": { kind: "docker-lab", privileged: true, reachability: "direct" },
      "swarmlab:nodes": [{ name: "manager1", role: "manager" }, { name: "worker1" }],
    });
    const urns = await Promise.all(hosts.map((h) => resolve(h.teardownWith?.urn as never)));
    expect(urns.map((u) => String(u).split("::").pop())).toEqual(["lab-network", "lab-network"]);
    expect(swarm.teardownWith).toBe(hosts[0].teardownWith);
  });
});
