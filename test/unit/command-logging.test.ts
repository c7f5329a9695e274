/**
 * components/command/logging.ts: a command's output cut into lines for the Pulumi log, per stream,
 * with the command's label, secrets redacted and the SSH start marker left out.
 */
import { describe, expect, it } from "vitest";
import { lineStreamer } from "../../components/command/logging";
import { STARTED_MARKER } from "../../components/command/ssh";

function collect(logging: Parameters<typeof lineStreamer>[1], secrets: string[] = []) {
  const lines: string[] = [];
  const s = lineStreamer("vagrant VM docker.lan", logging, secrets, (l) => lines.push(l));
  return { lines, s };
}

describe("lineStreamer", () => {
  it("emits whole lines as they complete, across chunks, and the last partial line on flush", () => {
    const { lines, s } = collect("stderr");
    s.onOutput?.("stderr", "Bringing machine 'docker.lan' up");
    expect(lines).toEqual([]);
    s.onOutput?.("stderr", "...\n==> docker.lan: Booting VM\n==> docker.lan: Wait");
    expect(lines).toEqual(["vagrant VM docker.lan: Bringing machine 'docker.lan' up...", "vagrant VM docker.lan: ==> docker.lan: Booting VM"]);
    s.flush();
    expect(lines.pop()).toBe("vagrant VM docker.lan: ==> docker.lan: Wait");
  });

  it("streams only the chosen streams: stdout (a key, say) stays out with logging stderr", () => {
    const { lines, s } = collect("stderr");
    s.onOutput?.("stdout", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    s.onOutput?.("stderr", "progress\n");
    s.flush();
    expect(lines).toEqual(["vagrant VM docker.lan: progress"]);
    const both = collect("stdoutAndStderr");
    both.s.onOutput?.("stdout", "out\n");
    both.s.onOutput?.("stderr", "err\n");
    expect(both.lines).toEqual(["vagrant VM docker.lan: out", "vagrant VM docker.lan: err"]);
  });

  it("is silent by default and with none", () => {
    expect(collect(undefined).s.onOutput).toBeUndefined();
    expect(collect("none").s.onOutput).toBeUndefined();
  });

  it("redacts join tokens and the listed secrets, and leaves out the start marker and blank lines", () => {
    const { lines, s } = collect("stderr", ["hunter22"]);
    s.onOutput?.("stderr", `${STARTED_MARKER}\n\n  \nlogin with hunter22 and SWMTKN-1-abc123-def456\n`);
    expect(lines).toEqual(["vagrant VM docker.lan: login with [secret] and SWMTKN-1-[secret]"]);
  });
});
