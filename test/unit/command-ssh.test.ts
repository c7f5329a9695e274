/**
 * components/command/ssh.ts: quoting for the remote shell (checked by bash itself), the environment
 * prelude and remote command line, ssh's arguments, and redaction.
 */
import { spawnSync } from "child_process";
import { describe, expect, it } from "vitest";
import { SSH_COMMON_OPTIONS, envPrelude, knownHostsLine, redact, remoteCommand, shellQuote, sshArgs, type SshTarget } from "../../components/command/ssh";

const NASTY = [
  "plain",
  "",
  "it's",
  "'",
  "''",
  "'leading and trailing'",
  '"double" quotes',
  "$HOME ${PATH} $(id -u) `id -u` $((1+1))",
  "line one\nline two\n",
  "back\\slash\\ and \\n and \\'",
  "glob * ? [a-z] ~ ~root",
  "semi; pipe | amp & redirect > /tmp/x < /dev/null",
  "!history !! ^x^y",
  "tab\there\r\nand crlf",
  "-n",
  "--flag=value",
  "unicode: é ü 漢字 🐳",
  "# not a comment",
  "a'b\"c$d`e\\f\ng",
];

/** Runs a command line through bash, exactly as ssh's remote shell or the local runner would. */
function bash(commandLine: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("bash", ["-c", commandLine], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: "/nonexistent", ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("shellQuote", () => {
  it.each(NASTY.map((s) => [JSON.stringify(s), s]))("round-trips %s through bash -c", async (_title, value) => {
    const r = bash(`printf '%s' ${shellQuote(value)}`);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(value);
  });

  it("keeps a value one argument, however many spaces and newlines it holds", async () => {
    const r = bash(`set -- ${shellQuote("a b\nc  d")}; echo $#`);
    expect(r.stdout).toBe("1\n");
  });

  it("survives being quoted twice (a script inside bash -c inside ssh's command line)", async () => {
    for (const value of NASTY) {
      const inner = `printf '%s' ${shellQuote(value)}`;
      const r = bash(`bash -c ${shellQuote(inner)}`);
      expect(r.stdout).toBe(value);
    }
  });

  it("wraps in single quotes and escapes embedded ones as '\\''", async () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote("")).toBe("''");
  });
});

describe("envPrelude and remoteCommand", () => {
  it("is empty without an environment", async () => {
    expect(envPrelude(undefined)).toBe("");
    expect(envPrelude({})).toBe("");
  });

  it("exports sorted, quoted variables", async () => {
    expect(envPrelude({ B: "2", A: "it's" })).toBe("export A='it'\\''s'\nexport B='2'\n");
  });

  it.each([["1ABC"], ["A-B"], ["A B"], [""], ["A=B"], ["$(id)"], ["Ä"]])("rejects the variable name %j", async (name) => {
    expect(() => envPrelude({ [name]: "x" })).toThrow(`invalid environment variable name ${JSON.stringify(name)}`);
  });

  it("accepts names with underscores and digits after the first character", async () => {
    expect(envPrelude({ _A1: "x", SWARMLAB_JOIN_TOKEN: "y" })).toBe("export SWARMLAB_JOIN_TOKEN='y'\nexport _A1='x'\n");
  });

  it("delivers every nasty value intact to the script, as the remote shell runs it", async () => {
    const env = Object.fromEntries(NASTY.map((v, i) => [`V${i}`, v]));
    const script = NASTY.map((_, i) => `printf '%s\\0' "$V${i}"`).join("\n");
    const r = bash(remoteCommand(script, env));
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\0").slice(0, -1)).toEqual(NASTY);
  });

  it("runs the script in strict mode: an unset variable fails it", async () => {
    const r = bash(remoteCommand('echo "$SWARMLAB_UNSET_VARIABLE"; echo after'));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("SWARMLAB_UNSET_VARIABLE: unbound variable");
  });

  it("runs the script in strict mode: a failing pipeline stage fails it", async () => {
    const r = bash(remoteCommand("false | cat\necho after"));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
  });
});

describe("sshArgs", () => {
  const target: SshTarget = { host: "172.28.0.10", port: 22, user: "root", privateKey: "KEY" };
  const common = SSH_COMMON_OPTIONS.flatMap((o) => ["-o", o]);

  it("accepts any host key when none is known (lab)", async () => {
    expect(sshArgs(target, { key: "/tmp/k/id" }, "uptime")).toEqual([
      "-i",
      "/tmp/k/id",
      "-p",
      "22",
      ...common,
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "root@172.28.0.10",
      "uptime",
    ]);
  });

  it("verifies the host key when it is known", async () => {
    const args = sshArgs({ ...target, port: 2222, hostKey: "ssh-ed25519 AAAA host" }, { key: "/k", knownHosts: "/kh" }, "uptime");
    expect(args).toEqual(["-i", "/k", "-p", "2222", ...common, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/kh", "root@172.28.0.10", "uptime"]);
  });

  it("does not claim verification when a host key has no known_hosts file to go in", async () => {
    const args = sshArgs({ ...target, hostKey: "ssh-ed25519 AAAA host" }, { key: "/k" }, "uptime");
    expect(args).toContain("StrictHostKeyChecking=no");
    expect(args).not.toContain("StrictHostKeyChecking=yes");
  });

  it("goes through a jump host with the same key, as a ProxyCommand", async () => {
    const args = sshArgs({ ...target, jump: { host: "bastion.example.com", port: 2200, user: "ops" } }, { key: "/k" }, "uptime");
    expect(args.slice(-4)).toEqual([
      "-o",
      `ProxyCommand=ssh -i /k -p 2200 ${common.join(" ")} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -W %h:%p ops@bastion.example.com`,
      "root@172.28.0.10",
      "uptime",
    ]);
  });

  it("the command is one argument, and nothing the command holds becomes an option", async () => {
    const cmd = remoteCommand("echo -o ProxyCommand=evil");
    const args = sshArgs(target, { key: "/k" }, cmd);
    expect(args[args.length - 1]).toBe(cmd);
    expect(args.filter((a) => a.startsWith("ProxyCommand"))).toEqual([]);
  });

  it("writes known_hosts lines with the port when it is not 22", async () => {
    expect(knownHostsLine({ ...target, hostKey: "ssh-ed25519 AAAA k" })).toBe("172.28.0.10 ssh-ed25519 AAAA k\n");
    expect(knownHostsLine({ ...target, host: "127.0.0.1", port: 22210, hostKey: "ssh-ed25519 AAAA k" })).toBe("[127.0.0.1]:22210 ssh-ed25519 AAAA k\n");
  });
});

describe("redact", () => {
  it("hides swarm join tokens wherever they appear", async () => {
    const text = "docker swarm join --token SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx 10.0.0.1:2377\nmanager=SWMTKN-1-aaa-ccc";
    expect(redact(text)).toBe("docker swarm join --token SWMTKN-1-[secret] 10.0.0.1:2377\nmanager=SWMTKN-1-[secret]");
  });

  it("hides every listed secret, every time it occurs", async () => {
    expect(redact("login admin:hunter22 then hunter22 again; key=abcd", ["hunter22", "abcd"])).toBe("login admin:[secret] then [secret] again; key=[secret]");
  });

  it("leaves secrets shorter than 4 characters alone (they would shred the text)", async () => {
    expect(redact("a b c abc", ["a", "abc", ""])).toBe("a b c abc");
  });

  it("leaves text without secrets unchanged", async () => {
    expect(redact("manager1: swarm init failed: command exited with code 1")).toBe("manager1: swarm init failed: command exited with code 1");
  });
});
