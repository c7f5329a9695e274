/**
 * components/addons/images.ts: checkLocalImages against a fake local docker, and sideLoadScript and
 * containerSideLoadScript run for real by bash against a fake docker and ssh
 * (test/support/fakeDocker.ts) first on PATH.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/config/errors";
import { knownHostsLine, type SshTarget } from "../../components/command/ssh";
import { canonicalImage, checkLocalImages, containerSideLoadScript, managerOnlyImages, sideLoadScript } from "../../components/addons/images";
import { localImagesDocker, sideLoadFakes } from "../support/fakeDocker";
import { fakeBin, runScript, withPath } from "../support/fakes";
import { tmp } from "../support/tmp";

describe("canonicalImage", () => {
  it("spells an image as docker reads it: registry, library/ for official images, the latest tag", () => {
    expect(canonicalImage("nginx")).toBe("docker.io/library/nginx:latest");
    expect(canonicalImage("docker.io/nginx:1.27")).toBe("docker.io/library/nginx:1.27");
    expect(canonicalImage("index.docker.io/library/nginx:1.27")).toBe("docker.io/library/nginx:1.27");
    expect(canonicalImage("traefik/whoami:v1.10")).toBe("docker.io/traefik/whoami:v1.10");
    expect(canonicalImage("localhost:5000/app")).toBe("localhost:5000/app:latest");
    expect(canonicalImage("172.28.0.10:5000/team/app:2")).toBe("172.28.0.10:5000/team/app:2");
    expect(canonicalImage("ghcr.io/o/app@sha256:abc")).toBe("ghcr.io/o/app@sha256:abc");
    expect(canonicalImage("swarmlab/registry:2.8")).toBe("docker.io/swarmlab/registry:2.8");
  });
});

describe("managerOnlyImages", () => {
  it("keeps to the managers the side-loaded images only the add-ons run, however they are spelled", () => {
    expect(managerOnlyImages(["registry:2.8", "traefik:v3.6", "shop/app:1"], ["docker.io/library/registry:2.8", "traefik:v3.6"], ["shop/app:1"])).toEqual(["registry:2.8", "traefik:v3.6"]);
  });

  it("copies everywhere an add-on's image that a stack runs too, and any image no add-on runs", () => {
    expect(managerOnlyImages(["registry:2.8", "whoami"], ["registry:2.8"], ["docker.io/library/registry:2.8"])).toEqual([]);
    expect(managerOnlyImages(["whoami"], [], [])).toEqual([]);
  });
});

describe("checkLocalImages", () => {
  it("returns the local IDs, or fails naming every missing image and what to do", () => {
    const ids: Record<string, string> = { "app:1": "sha256:aaa", "db:2": "sha256:bbb" };
    expect(checkLocalImages(["app:1", "db:2"], "Pulumi.dev.yaml", (i) => ids[i])).toEqual(ids);
    let error: unknown;
    try {
      checkLocalImages(["app:1", "missing:1", "gone:2"], "Pulumi.dev.yaml", (i) => ids[i]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      [
        'Pulumi.dev.yaml: swarmlab:images.sideLoad[1]: image "missing:1" is not on this machine: build or pull it first (docker image ls)',
        'Pulumi.dev.yaml: swarmlab:images.sideLoad[2]: image "gone:2" is not on this machine: build or pull it first (docker image ls)',
      ].join("\n"),
    );
  });

  it("asks the local docker by default", async () => {
    const bin = fakeBin({ docker: localImagesDocker({ "app:1": "sha256:aaa" }) });
    await withPath(bin, () => {
      expect(checkLocalImages(["app:1"], "Pulumi.dev.yaml")).toEqual({ "app:1": "sha256:aaa" });
      expect(() => checkLocalImages(["nope:1"], "Pulumi.dev.yaml")).toThrowError('Pulumi.dev.yaml: swarmlab:images.sideLoad[0]: image "nope:1" is not on this machine: build or pull it first (docker image ls)');
    });
  });
});

describe("sideLoadScript", () => {
  const TARGET = { host: "10.0.0.3", port: 2222, user: "root", privateKey: "-----KEY-----" };

  /** A local and a remote image store (files holding an image ID) and the fakes of sideLoadFakes. */
  function machine(local: string | undefined, remote: string | undefined, loads?: string, target: SshTarget = TARGET) {
    const dir = tmp("swarmlab-sideload-");
    if (local) fs.writeFileSync(path.join(dir, "local"), local);
    if (remote) fs.writeFileSync(path.join(dir, "remote"), remote);
    const bin = fakeBin(sideLoadFakes(dir));
    const env = { SWARMLAB_SSH_KEY: target.privateKey, ...(target.hostKey ? { SWARMLAB_KNOWN_HOSTS: knownHostsLine(target) } : {}), ...(loads !== undefined ? { LOADS: loads } : {}) };
    const run = () => runScript(sideLoadScript("app:1", "worker1", target), bin, { env });
    const log = () => fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n");
    return { dir, run, log, key: () => fs.readFileSync(path.join(dir, "ssh-key"), "utf8"), sshArgs: () => fs.readFileSync(path.join(dir, "ssh-args"), "utf8") };
  }

  it("verifies a configured host key, as the command resource does (and accepts any key without one)", () => {
    const m = machine("sha256:aaa", "sha256:aaa", undefined, { ...TARGET, hostKey: "ssh-ed25519 AAAAhostkey" });
    expect(m.run().code).toBe(0);
    expect(m.sshArgs()).toContain("StrictHostKeyChecking=yes");
    expect(fs.readFileSync(path.join(m.dir, "known"), "utf8")).toBe("[10.0.0.3]:2222 ssh-ed25519 AAAAhostkey\n");
    const open = machine("sha256:aaa", "sha256:aaa");
    expect(open.run().code).toBe(0);
    expect(open.sshArgs()).toContain("StrictHostKeyChecking=no");
  });

  it("skips the load when the node has the same image ID", () => {
    const m = machine("sha256:aaa", "sha256:aaa");
    expect(m.run()).toEqual({ code: 0, stdout: "sha256:aaa\n", stderr: "" });
    expect(m.log()).toEqual(["docker image inspect -f {{.Id}} app:1", "remote docker image inspect -f {{.Id}} app:1", "remote docker image inspect -f {{.Id}} app:1"]);
    expect(m.key()).toBe("-----KEY-----\n");
    expect(m.sshArgs()).toContain("-p 2222");
    expect(m.sshArgs()).toContain("root@10.0.0.3");
  });

  it("loads an image the node lacks (or has in another version) and checks the ID afterwards", () => {
    for (const remote of [undefined, "sha256:old"]) {
      const m = machine("sha256:aaa", remote);
      expect(m.run()).toEqual({ code: 0, stdout: "sha256:aaa\n", stderr: "" });
      expect(m.log()).toEqual([
        "docker image inspect -f {{.Id}} app:1",
        "remote docker image inspect -f {{.Id}} app:1",
        "docker save app:1",
        "remote docker load -q",
        "remote docker image inspect -f {{.Id}} app:1",
      ]);
    }
  });

  it("fails with the documented message when the IDs still differ after loading", () => {
    const m = machine("sha256:aaa", undefined, "sha256:zzz");
    expect(m.run()).toEqual({ code: 1, stdout: "", stderr: "app:1 on worker1 has ID sha256:zzz after loading, expected sha256:aaa\n" });
  });

  it("says none when the node still has no such image", () => {
    const m = machine("sha256:aaa", undefined, "");
    expect(m.run()).toEqual({ code: 1, stdout: "", stderr: "app:1 on worker1 has ID none after loading, expected sha256:aaa\n" });
  });
});

describe("containerSideLoadScript", () => {
  const NODE = { name: "lab-worker1" };

  /** The fakes of sideLoadFakes: `docker exec <container> docker ...` acts on the node's store. */
  function machine(local: string | undefined, remote: string | undefined, o: { loads?: string; down?: number; container?: { name: string; dockerHost?: string }; readySeconds?: number } = {}) {
    const dir = tmp("swarmlab-sideload-exec-");
    if (local) fs.writeFileSync(path.join(dir, "local"), local);
    if (remote) fs.writeFileSync(path.join(dir, "remote"), remote);
    if (o.down !== undefined) fs.writeFileSync(path.join(dir, "down"), String(o.down));
    const bin = fakeBin(sideLoadFakes(dir));
    const env = { DOCKER_HOST: "", ...(o.loads !== undefined ? { LOADS: o.loads } : {}) };
    const run = () => runScript(containerSideLoadScript("app:1", "worker1", o.container ?? NODE, o.readySeconds), bin, { env });
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n") : []);
    return { dir, run, log: () => read("log").filter((l) => l !== "remote docker info"), execs: () => read("exec"), sshUsed: () => fs.existsSync(path.join(dir, "ssh-args")) };
  }

  it("skips the load when the node has the same image ID, without SSH", () => {
    const m = machine("sha256:aaa", "sha256:aaa");
    expect(m.run()).toEqual({ code: 0, stdout: "sha256:aaa\n", stderr: "" });
    expect(m.log()).toEqual(["docker image inspect -f {{.Id}} app:1", "remote docker image inspect -f {{.Id}} app:1", "remote docker image inspect -f {{.Id}} app:1"]);
    expect(m.sshUsed()).toBe(false);
    // stdin is handed only to the load
    expect(new Set(m.execs())).toEqual(new Set(["lab-worker1 default"]));
  });

  it("loads an image the node lacks (or has in another version) through docker exec -i, and checks the ID afterwards", () => {
    for (const remote of [undefined, "sha256:old"]) {
      const m = machine("sha256:aaa", remote);
      expect(m.run()).toEqual({ code: 0, stdout: "sha256:aaa\n", stderr: "" });
      const log = m.log();
      expect([...log.slice(0, 2), ...log.slice(4)]).toEqual(["docker image inspect -f {{.Id}} app:1", "remote docker image inspect -f {{.Id}} app:1", "remote docker image inspect -f {{.Id}} app:1"]);
      // the two ends of the pipe, logged in either order
      expect(log.slice(2, 4).sort()).toEqual(["docker save app:1", "remote docker load -q"]);
      expect(m.execs()).toContain("lab-worker1 -i default");
      expect(m.sshUsed()).toBe(false);
    }
  });

  it("waits for the node's dockerd, and gives up with a message after the budget", () => {
    const slow = machine("sha256:aaa", undefined, { down: 2 });
    expect(slow.run()).toEqual({ code: 0, stdout: "sha256:aaa\n", stderr: "" });
    const dead = machine("sha256:aaa", undefined, { down: 1000, readySeconds: 1 });
    expect(dead.run()).toEqual({ code: 1, stdout: "", stderr: "dockerd on worker1 does not answer after 1 s\n" });
    // nothing asked of the node but whether its dockerd answers
    expect(dead.log()).toEqual(["docker image inspect -f {{.Id}} app:1"]);
  });

  it("fails at once, with docker's reason, when the node container does not run", () => {
    const m = machine("sha256:aaa", undefined, { down: 1000 });
    fs.writeFileSync(path.join(m.dir, "paused"), "");
    expect(m.run()).toEqual({ code: 1, stdout: "", stderr: "worker1: Error response from daemon: Container lab-worker1 is paused, unpause the container before exec\n" });
  });

  it("talks to the lab's own engine when it is not the default one (hosts.dockerHost), and saves from the default one", () => {
    const m = machine("sha256:aaa", undefined, { container: { name: "lab-worker1", dockerHost: "tcp://lab-engine:2375" } });
    expect(m.run().code).toBe(0);
    expect(new Set(m.execs())).toEqual(new Set(["lab-worker1 tcp://lab-engine:2375", "lab-worker1 -i tcp://lab-engine:2375"]));
    expect(m.log()).toContain("docker save app:1");
  });

  it("fails with the documented message when the IDs still differ after loading", () => {
    const m = machine("sha256:aaa", undefined, { loads: "sha256:zzz" });
    const again = "worker1: app:1 not there after its load (dockerd restarted?): loading it again once dockerd answers\n";
    // three tries, then the verdict
    expect(m.run()).toEqual({ code: 1, stdout: "", stderr: `${again}${again}app:1 on worker1 has ID sha256:zzz after loading, expected sha256:aaa\n` });
    expect(m.log().filter((l) => l === "remote docker load -q")).toHaveLength(3);
  });

  it("loads again a copy that a restarting dockerd cut short (a restore stops it while the swarm forms)", () => {
    const m = machine("sha256:aaa", undefined);
    fs.writeFileSync(path.join(m.dir, "cut"), "1");
    const r = m.run();
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("sha256:aaa\n");
    expect(r.stderr).toContain("EOF");
    expect(r.stderr).toContain("worker1: app:1 not there after its load (dockerd restarted?): loading it again once dockerd answers");
    expect(m.log().filter((l) => l === "remote docker load -q")).toHaveLength(2);
    expect(fs.readFileSync(path.join(m.dir, "remote"), "utf8")).toBe("sha256:aaa");
  });
});
