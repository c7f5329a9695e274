/**
 * components/command/run.ts: when a run moves on to another host, retries, or stops. The executor
 * is scripted (one answer per call, in order); the real ssh and bash paths are in
 * command-provider.test.ts and the end-to-end drills. MANAGER_GUARD runs for real against a fake
 * docker.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { MANAGER_GUARD, NOT_MANAGER, parseEnvLines, runPlanned, type RunPlan, type RunResult } from "../../components/command/run";
import { STARTED_MARKER, type SshTarget } from "../../components/command/ssh";
import { managerGuardDocker } from "../support/fakeDocker";
import { fakeMachine } from "../support/fakes";

const host = (name: string): SshTarget => ({ host: name, port: 22, user: "root", privateKey: "k" });
const m1 = host("m1");
const m2 = host("m2");
const m3 = host("m3");

const ok = (stdout = "done\n"): RunResult => ({ code: 0, stdout, stderr: `${STARTED_MARKER}\n` });
const noAnswer: RunResult = { code: 255, stdout: "", stderr: "ssh: connect to host m1 port 22: Connection timed out during banner exchange\n" };
const dropped: RunResult = { code: 255, stdout: "", stderr: `${STARTED_MARKER}\nClient_loop: send disconnect: Broken pipe\n` };
const notManager: RunResult = { code: NOT_MANAGER, stdout: "", stderr: `${STARTED_MARKER}\nnot a manager with control of the swarm (m1: inactive)\n` };
const noLeader: RunResult = { code: NOT_MANAGER, stdout: "", stderr: `${STARTED_MARKER}\nnot a manager with control of the swarm (m1: a manager without a Raft leader)\n` };
const failed: RunResult = { code: 1, stdout: "", stderr: `${STARTED_MARKER}\nError response from daemon: boom\n` };

/** An executor answering from a script, recording each call's host; and a sleep that records instead of waiting. */
function scripted(answers: Record<string, RunResult[]>) {
  const calls: string[] = [];
  const sleeps: number[] = [];
  const exec = async (t: SshTarget | undefined, _script: string) => {
    const who = t?.host ?? "local";
    calls.push(who);
    const next = answers[who]?.shift();
    if (!next) throw new Error(`no scripted answer left for ${who}`);
    return next;
  };
  return { exec, calls, sleeps, sleep: async (s: number) => void sleeps.push(s) };
}

const one = (t: SshTarget, o: Partial<RunPlan> = {}): RunPlan => ({ targets: [t], retrySeconds: 60, ...o });
const managers = (o: Partial<RunPlan> = {}): RunPlan => ({ targets: [m1, m2, m3], onManager: true, retrySeconds: 60, ...o });

describe("runPlanned", () => {
  it("retries an SSH failure before the command started, with backoff, and returns the output without the start marker", async () => {
    const f = scripted({ m1: [noAnswer, noAnswer, noAnswer, ok("hi\n")] });
    await expect(runPlanned(one(m1), "true", f.exec, f.sleep)).resolves.toEqual({ code: 0, stdout: "hi\n", stderr: "", target: m1 });
    expect(f.sleeps).toEqual([1, 2, 4]);
  });

  it("gives up when the budget is spent, with the host, the attempts and ssh's last error", async () => {
    const f = scripted({ m1: [noAnswer] });
    await expect(runPlanned(one(m1, { retrySeconds: 0 }), "true", f.exec, f.sleep)).rejects.toThrow(
      " on root@m1:22: cannot reach the host over SSH (1 attempt in 0 s; swarmlab:swarm.sshRetrySeconds sets the budget)\nssh: connect to host m1 port 22: Connection timed out during banner exchange",
    );
  });

  it("never re-runs a command whose connection broke after it started", async () => {
    const f = scripted({ m1: [dropped] });
    await expect(runPlanned(one(m1), "true", f.exec, f.sleep)).rejects.toThrow("the SSH connection broke after the command started: it is not run again blindly");
    expect(f.calls).toEqual(["m1"]);
  });

  it("never re-runs a command that ran and failed: that is the error, with its output", async () => {
    const f = scripted({ m1: [failed] });
    await expect(runPlanned(one(m1), "true", f.exec, f.sleep)).rejects.toThrow(" on root@m1:22: command exited with code 1\nError response from daemon: boom");
    expect(f.calls).toEqual(["m1"]);
  });

  it("a host answering with another host key is not a passing fault", async () => {
    const f = scripted({ m1: [{ code: 255, stdout: "", stderr: "Host key verification failed.\n" }] });
    await expect(runPlanned(one(m1), "true", f.exec, f.sleep)).rejects.toThrow("the host's SSH key is not the configured hostKey");
  });

  it("manager-side work runs on the first manager that answers with control, in configured order", async () => {
    const f = scripted({ m1: [noAnswer], m2: [notManager], m3: [ok("from m3\n")] });
    await expect(runPlanned(managers(), "docker node ls", f.exec, f.sleep)).resolves.toMatchObject({ stdout: "from m3\n" });
    expect(f.calls).toEqual(["m1", "m2", "m3"]);
    expect(f.sleeps).toEqual([]);
  });

  it("guards manager-side scripts (the guard first, then the script)", async () => {
    let seen = "";
    await runPlanned(managers(), "docker node ls", async (_t, s) => ((seen = s), ok()));
    expect(seen).toBe(`${MANAGER_GUARD}\ndocker node ls`);
  });

  it("moves on when a manager went away mid-command (idempotent manager-side work), and retries a round when none has control yet", async () => {
    const f = scripted({ m1: [dropped, noAnswer], m2: [notManager, ok("elected\n")], m3: [notManager] });
    await expect(runPlanned(managers(), "x", f.exec, f.sleep)).resolves.toMatchObject({ stdout: "elected\n" });
    expect(f.calls).toEqual(["m1", "m2", "m3", "m1", "m2"]);
    expect(f.sleeps).toEqual([1]);
  });

  it("names every manager and why when none answered with control within the budget", async () => {
    const f = scripted({ m1: [noAnswer], m2: [notManager], m3: [notManager] });
    await expect(runPlanned(managers({ retrySeconds: 0 }), "x", f.exec, f.sleep)).rejects.toThrow(
      ": no manager answered with control of the swarm (1 attempt in 0 s; swarmlab:swarm.sshRetrySeconds sets the budget):\n" +
        "  root@m1:22: cannot reach the host over SSH (ssh: connect to host m1 port 22: Connection timed out during banner exchange)\n" +
        "  root@m2:22: not a manager with control of the swarm (m1: inactive)\n" +
        "  root@m3:22: not a manager with control of the swarm (m1: inactive)",
    );
  });

  it("a delete on hosts that are all gone succeeds at once when asked to (tolerateUnreachable)", async () => {
    const f = scripted({ m1: [noAnswer] });
    await expect(runPlanned(one(m1, { tolerateUnreachable: true }), "x", f.exec, f.sleep)).resolves.toBeUndefined();
    expect(f.sleeps).toEqual([]);
  });

  it("a delete where no host answers or holds a swarm any more is done at once", async () => {
    const f = scripted({ m1: [noAnswer], m2: [notManager], m3: [notManager] });
    await expect(runPlanned(managers({ tolerateUnreachable: true }), "x", f.exec, f.sleep)).resolves.toBeUndefined();
    expect(f.sleeps).toEqual([]);
  });

  it("a delete waits for a leader (an election) instead of counting itself done, and fails when none comes", async () => {
    const f = scripted({ m1: [noLeader, ok("removed\n")], m2: [noAnswer], m3: [notManager] });
    await expect(runPlanned(managers({ tolerateUnreachable: true }), "x", f.exec, f.sleep)).resolves.toMatchObject({ stdout: "removed\n" });
    expect(f.sleeps).toEqual([1]);
    const never = scripted({ m1: [noLeader], m2: [noAnswer], m3: [notManager] });
    await expect(runPlanned(managers({ tolerateUnreachable: true, retrySeconds: 0 }), "x", never.exec, never.sleep)).rejects.toThrow("root@m1:22: not a manager with control of the swarm (m1: a manager without a Raft leader)");
  });

  it("polls fast while a host boots (dialSeconds), then backs off", async () => {
    const f = scripted({ m1: [noAnswer, noAnswer, ok()] });
    await runPlanned(one(m1, { dialSeconds: 300 }), "x", f.exec, f.sleep);
    expect(f.sleeps).toEqual([0.25, 0.25]);
  });

  it("a local command is never retried: it has no SSH to fail", async () => {
    const f = scripted({ local: [{ code: 255, stdout: "", stderr: "ssh inside the script failed\n" }] });
    await expect(runPlanned({ targets: [undefined], retrySeconds: 60 }, "x", f.exec, f.sleep)).rejects.toThrow(": command exited with code 255\nssh inside the script failed");
  });
});

describe("parseEnvLines", () => {
  it("reads KEY=value lines (values may hold '=' and spaces) and ignores the rest", () => {
    expect(parseEnvLines("A=1\nnoise\nB=x=y z\n 1BAD=2\n")).toEqual({ A: "1", B: "x=y z" });
  });
});

describe("MANAGER_GUARD", () => {
  /** The guard against a fake docker (managerGuardDocker): `info` prints `state`, `node inspect self` succeeds with a leader. */
  function guard(state: string, leader: boolean): { status: number | null; stderr: string } {
    const m = fakeMachine({ docker: managerGuardDocker(state, leader), hostname: "#!/bin/sh\necho m1\n" }, "swarmlab-guard-");
    const r = m.run(`${MANAGER_GUARD}\necho ran`);
    return { status: r.code, stderr: r.stderr + r.stdout };
  }

  it("lets a manager with a leader through, and says why anything else is not one", () => {
    expect(guard("active true", true)).toEqual({ status: 0, stderr: "ran\n" });
    expect(guard("active true", false)).toEqual({ status: NOT_MANAGER, stderr: "not a manager with control of the swarm (m1: a manager without a Raft leader)\n" });
    expect(guard("active false", false)).toEqual({ status: NOT_MANAGER, stderr: "not a manager with control of the swarm (m1: a worker)\n" });
    expect(guard("inactive false", false)).toEqual({ status: NOT_MANAGER, stderr: "not a manager with control of the swarm (m1: inactive)\n" });
    expect(guard("", false)).toEqual({ status: NOT_MANAGER, stderr: "not a manager with control of the swarm (m1: no-answer)\n" });
  });

  it("asks docker once on a manager with control (it runs before every manager-side script)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-guard-log-"));
    const log = path.join(dir, "log");
    const m = fakeMachine({ docker: managerGuardDocker("active true", true, log), hostname: "#!/bin/sh\necho m1\n" }, "swarmlab-guard-");
    expect(m.run(`${MANAGER_GUARD}\necho ran`).code).toBe(0);
    expect(fs.readFileSync(log, "utf8")).toBe("node inspect\n");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
