/**
 * components/hosts/install.ts: the Docker install script against a fake machine (INSTALL_TARGET_FAKES
 * of test/support/fakeDocker.ts: fake id, sudo, docker, dockerd, apt-get, systemctl, service and
 * usermod on a PATH of their own), and an os-release file per case.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { beforeEach, describe, expect, it } from "vitest";
import { installDockerScript } from "../../components/hosts/install";
import { INSTALL_TARGET_FAKES, INSTALLED_DOCKERD } from "../support/fakeDocker";
import { fakeMachine, type FakeMachine } from "../support/fakes";

let m: FakeMachine;

/** A fresh machine for every test (INSTALL_TARGET_FAKES), with only the few real tools the script needs on PATH. */
beforeEach(() => {
  m = fakeMachine(INSTALL_TARGET_FAKES, "swarmlab-install-");
  // the few real tools the script needs, without the machine's own docker
  for (const tool of ["bash", "cat", "seq", "sleep", "sh", "nohup", "touch", "chmod"]) {
    const real = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    if (real) fs.symlinkSync(real, path.join(m.bin, tool));
  }
  m.write("log", "");
});

const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n';
const UBUNTU = 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nID_LIKE=debian\n';
const MINT = 'PRETTY_NAME="Linux Mint 22"\nID=linuxmint\nID_LIKE="ubuntu debian"\n';
const FEDORA = 'NAME="Fedora Linux"\nPRETTY_NAME="Fedora Linux 40 (Server Edition)"\nID=fedora\n';

interface Machine {
  os?: string;
  uid?: number;
  docker?: "none" | "stopped" | "running";
  group?: boolean;
  sudo?: boolean;
}

function run(machine: Machine, opts: { install?: boolean; host?: string } = {}): { code: number; stdout: string; stderr: string; log: string[] } {
  const dir = m.dir;
  const osRelease = path.join(dir, "os-release");
  if (machine.os !== undefined) fs.writeFileSync(osRelease, machine.os);
  if (machine.docker === "stopped" || machine.docker === "running") {
    fs.writeFileSync(path.join(dir, "installed"), "");
    m.fake({ dockerd: INSTALLED_DOCKERD });
  }
  if (machine.docker === "running") fs.writeFileSync(path.join(dir, "running"), "");
  if (machine.group) fs.writeFileSync(path.join(dir, "group"), "");
  if (machine.sudo === false) fs.writeFileSync(path.join(dir, "nosudo"), "");
  const script = `set -euo pipefail\n${installDockerScript({ host: opts.host ?? "worker2", install: opts.install ?? true, osRelease, waitSeconds: 1 })}`;
  const uid = machine.uid ?? 0;
  const r = spawnSync(path.join(dir, "bin/bash"), ["--noprofile", "--norc", "-c", script], {
    encoding: "utf8",
    env: { PATH: path.join(dir, "bin"), D: dir, FAKE_UID: String(uid), FAKE_USER: uid === 0 ? "root" : "deploy" },
  });
  const log = fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n").filter(Boolean);
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.trim(), log };
}

const installs = (log: string[]) => log.filter((l) => l.startsWith("apt-get"));

describe("installDockerScript", () => {
  it("leaves a machine whose docker works alone: no apt-get, no service start, no group change", () => {
    const r = run({ os: DEBIAN, docker: "running" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^docker=present\nmachine=.+\nhostname=fakehost\n$/);
    expect(r.log).toEqual(["docker info uid=0"]);
  });

  it("installs docker.io on Debian as root, starts it and reports installed", () => {
    const r = run({ os: DEBIAN, docker: "none" });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("docker=installed");
    expect(installs(r.log)).toEqual([
      "apt-get -o DPkg::Lock::Timeout=300 update -q uid=0",
      "apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends docker.io uid=0",
    ]);
    expect(r.log.filter((l) => l.startsWith("usermod"))).toEqual([]);
  });

  it.each([
    ["Ubuntu", UBUNTU],
    ["a derivative declaring ID_LIKE ubuntu debian (Linux Mint)", MINT],
  ])("installs on %s", (_, release) => {
    const r = run({ os: release, docker: "none" });
    expect(r.stdout.split("\n")[0]).toBe("docker=installed");
    expect(installs(r.log)).toHaveLength(2);
  });

  it("refuses another OS with a clear error naming the host and its OS, installing nothing", () => {
    const r = run({ os: FEDORA, docker: "none" }, { host: "db1" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "host db1 runs Fedora Linux 40 (Server Edition): swarmlab installs Docker only on Debian and Ubuntu (and their derivatives); install Docker there yourself, then run pulumi up again",
    );
    expect(installs(r.log)).toEqual([]);
  });

  it("says so when the OS cannot be told", () => {
    const r = run({ docker: "none" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^host worker2: cannot tell its OS \(no .*os-release\): swarmlab installs Docker only on Debian and Ubuntu; install Docker there yourself$/);
  });

  it("with installDocker false, a machine without Docker is an error", () => {
    const r = run({ os: DEBIAN, docker: "none" }, { install: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("host worker2 has no Docker engine and hosts.installDocker is false: install Docker there, or set hosts.installDocker: true");
    expect(installs(r.log)).toEqual([]);
  });

  it("as a user with passwordless sudo: installs through sudo and adds the user to the docker group", () => {
    const r = run({ os: DEBIAN, docker: "none", uid: 1000 });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("docker=installed");
    expect(installs(r.log).every((l) => l.endsWith("uid=0"))).toBe(true);
    expect(r.log).toContain("usermod -aG docker deploy uid=0");
  });

  it("as a user without sudo: a clear error instead of a failed apt-get", () => {
    const r = run({ os: DEBIAN, docker: "none", uid: 1000, sudo: false });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("host worker2: Docker is missing and user deploy can neither run as root nor sudo without a password: connect as root or install Docker there");
    expect(installs(r.log)).toEqual([]);
  });

  it("a working Docker the user may not use yet: adds the user to the docker group, installs nothing", () => {
    const r = run({ os: DEBIAN, docker: "running", uid: 1000 });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("docker=group");
    expect(r.log).toContain("usermod -aG docker deploy uid=0");
    expect(installs(r.log)).toEqual([]);
  });

  it("an installed but stopped engine is started, not reinstalled", () => {
    const r = run({ os: DEBIAN, docker: "stopped" });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("docker=started");
    expect(installs(r.log)).toEqual([]);
    expect(fs.existsSync(path.join(m.dir, "running"))).toBe(true);
  });

  it("running it twice installs once (idempotent)", () => {
    expect(run({ os: DEBIAN, docker: "none" }).stdout).toContain("docker=installed");
    const second = run({ os: DEBIAN });
    expect(second.stdout).toContain("docker=present");
    expect(installs(second.log)).toHaveLength(2); // the two lines of the first run only
  });
});
