/**
 * cli/lib/sshArgv.ts: the ssh command lines of `npm run ssh` (words, jump host, known host, tunnel),
 * and the ssh config it writes, as the real ssh client reads it (ssh -G).
 */
import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { SSH_COMMON_OPTIONS } from "../../components/command/ssh";
import { withSshFiles } from "../../cli/lib/connect";
import type { NodeConnection } from "../../cli/lib/nodes";
import { jumpSpec, sshArgv, sshConfigText, type SshFiles } from "../../cli/lib/sshArgv";

const FILES: SshFiles = { key: "/tmp/s/id", config: "/tmp/s/config" };
const LAB = { host: "172.28.0.2", port: 22, user: "root" };
const BEHIND_BASTION = { host: "10.0.0.7", port: 2222, user: "admin", jump: { host: "bastion.example", port: 2200, user: "jump" } };

describe("the ssh command line", () => {
  it("keeps each of several words one argument for the remote shell; one word is a whole shell line", () => {
    const words = ["docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}}", "a'b", "$HOME", "*", "|"];
    const remote = sshArgv(LAB, FILES, { command: words }).slice(6).join(" ");
    // what the remote shell makes of the line ssh sends: the same words
    const r = spawnSync("bash", ["-c", `printf '%s\\n' ${remote}`], { encoding: "utf8" });
    expect(r.stdout.split("\n").slice(0, -1)).toEqual(words);
    expect(sshArgv(LAB, FILES, { command: ["docker ps | wc -l"] }).slice(-1)).toEqual(["docker ps | wc -l"]);
  });

  it("a command on a lab node: the config file, the port, `--`, then user@host and the words", () => {
    expect(sshArgv(LAB, FILES, { command: ["docker", "node", "ls"] })).toEqual(["-F", "/tmp/s/config", "-p", "22", "--", "root@172.28.0.2", "'docker'", "'node'", "'ls'"]);
  });

  it("a shell gets a terminal", () => {
    expect(sshArgv(LAB, FILES, { shell: true })).toEqual(["-F", "/tmp/s/config", "-p", "22", "-t", "--", "root@172.28.0.2"]);
  });

  it("through a bastion: -J user@bastion:port (the config file reaches that hop too)", () => {
    expect(sshArgv(BEHIND_BASTION, FILES, { command: ["uptime"] })).toEqual(["-F", "/tmp/s/config", "-p", "2222", "-J", "jump@bastion.example:2200", "--", "admin@10.0.0.7", "uptime"]);
    expect(jumpSpec({ host: "2001:db8::1", port: 22, user: "jump" })).toBe("jump@[2001:db8::1]:22");
  });

  it("a known host key is verified against its own known_hosts file", () => {
    const args = sshArgv({ ...LAB, hostKey: "ssh-ed25519 AAAA" }, { ...FILES, knownHosts: "/tmp/s/known_hosts" }, { command: ["true"] });
    expect(args).toEqual(["-F", "/tmp/s/config", "-p", "22", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/tmp/s/known_hosts", "--", "root@172.28.0.2", "true"]);
  });

  it("a tunnel forwards a port and runs nothing, and fails when the port cannot be forwarded", () => {
    expect(sshArgv(LAB, FILES, { forward: "127.0.0.1:40000:127.0.0.1:5000" })).toEqual([
      "-F", "/tmp/s/config", "-p", "22", "-N", "-o", "ExitOnForwardFailure=yes", "-L", "127.0.0.1:40000:127.0.0.1:5000", "--", "root@172.28.0.2",
    ]);
  });

  it("the config file: this key only, Pulumi's own timeouts, no prompts, host keys not recorded", () => {
    const text = sshConfigText("/tmp/s/id");
    expect(text.split("\n")[0]).toBe("Host *");
    expect(text).toContain('  IdentityFile "/tmp/s/id"\n');
    for (const o of SSH_COMMON_OPTIONS) expect(text).toContain(`  ${o.replace("=", " ")}\n`);
    expect(text).toContain("  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n");
  });

  it.runIf(spawnSync("ssh", ["-V"]).status === 0)("is what OpenSSH understands: user, port, jump, key and host-key checking as meant (ssh -G)", async () => {
    const node: NodeConnection = { ...BEHIND_BASTION, name: "w", role: "worker", hostKey: "ssh-ed25519 AAAAC3", privateKey: "KEY" };
    const resolved = await withSshFiles(node, (files) => {
      const res = spawnSync("ssh", ["-G", ...sshArgv(node, files, { command: ["uptime"] })], { encoding: "utf8" });
      return { out: res.stdout, files };
    });
    const setting = (k: string) => resolved.out.match(new RegExp(`^${k} (.*)$`, "m"))?.[1];
    expect(setting("user")).toBe("admin");
    expect(setting("hostname")).toBe("10.0.0.7");
    expect(setting("port")).toBe("2222");
    expect(setting("proxyjump")).toBe("jump@bastion.example:2200");
    expect(setting("identityfile")).toBe(resolved.files.key);
    expect(setting("identitiesonly")).toBe("yes");
    expect(setting("batchmode")).toBe("yes");
    expect(setting("stricthostkeychecking")).toBe("true");
    expect(setting("userknownhostsfile")).toBe(resolved.files.knownHosts);
  });
});
