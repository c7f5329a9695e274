/**
 * swarmlab's command resource (components/command/provider.ts), its provider functions called as
 * the engine calls them: real bash locally, the real ssh client against a port where nothing
 * listens (ssh fails at once with its own exit code 255, as with a node that is down).
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { provider, type CommandInputs } from "../../components/command/provider";
import { fakeBin, withPath } from "../support/fakes";
import { tmp } from "../support/tmp";

const nowhere = { host: "127.0.0.1", port: 1, user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n" };

describe("the command provider", () => {
  it("runs a local create with bash in strict mode and keeps what it printed", async () => {
    const inputs: CommandInputs = { label: "local thing", create: 'echo "hi $WHO"; unset NOPE; echo "${NOPE:-default}"', environment: { WHO: "there" } };
    const res = await provider.create(inputs);
    expect(res.outs?.stdout).toBe("hi there\ndefault\n");
    expect(res.id).toMatch(/^local thing-/);
  });

  it("fails with the label, the phase, the exit code and the output, secrets redacted", async () => {
    const inputs: CommandInputs = { label: "worker1: swarm join", create: "echo 'token SWMTKN-1-abc123-def456 and hunter22' >&2; exit 3", redact: ["hunter22"] };
    await expect(provider.create(inputs)).rejects.toThrow("worker1: swarm join: create failed: command exited with code 3\ntoken SWMTKN-1-[secret] and [secret]");
  });

  it("a create of `true` makes no connection at all (a resource that only acts on delete)", async () => {
    const started = Date.now();
    const res = await provider.create({ label: "worker1: node rm", create: "true", connection: nowhere });
    expect(res.outs?.stdout).toBe("");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("names the host it cannot reach over SSH, once its retry budget is spent", async () => {
    await expect(provider.create({ label: "worker2: engine check", create: "docker info", connection: nowhere, sshRetrySeconds: 0 })).rejects.toThrow(
      "worker2: engine check: create failed on root@127.0.0.1:1: cannot reach the host over SSH (1 attempt in 0 s; swarmlab:swarm.sshRetrySeconds sets the budget)",
    );
  });

  it("retries an SSH failure before the command started within the budget (real ssh, backoff 1 s then 2 s)", async () => {
    const started = Date.now();
    await expect(provider.create({ label: "worker2: engine check", create: "docker info", connection: nowhere, sshRetrySeconds: 2 })).rejects.toThrow(/cannot reach the host over SSH \(2 attempts in [12] s;/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("runs manager-side work on the first manager that answers, and names each one when none does", async () => {
    const elsewhere = { ...nowhere, port: 2 };
    await expect(provider.create({ label: "node list", create: "docker node ls", managers: [nowhere, elsewhere], sshRetrySeconds: 0 })).rejects.toThrow(
      "node list: create failed: no manager answered with control of the swarm (1 attempt in 0 s; swarmlab:swarm.sshRetrySeconds sets the budget):\n" +
        "  root@127.0.0.1:1: cannot reach the host over SSH",
    );
  });

  it("deletes on a host that is gone succeed when asked to (ignoreUnreachableOnDelete), and fail otherwise", async () => {
    const gone: CommandInputs = { label: "worker2: swarm join", create: "true", delete: "docker swarm leave --force", connection: nowhere };
    await expect(provider.delete?.("id", { ...gone, ignoreUnreachableOnDelete: true, stdout: "", stderr: "" })).resolves.toBeUndefined();
    await expect(provider.delete?.("id", { ...gone, sshRetrySeconds: 0, stdout: "", stderr: "" })).rejects.toThrow("worker2: swarm join: delete failed on root@127.0.0.1:1: cannot reach the host over SSH");
  });

  describe("lab nodes (connection.container): every command goes through docker exec, none over SSH", () => {
    /**
     * A docker whose `exec -i <container> sh -c <cmd>` runs cmd here, or fails as for a stopped
     * container when the file `stopped` exists, and whose `inspect` tells the container's state
     * (the file `state`, else running; then `next` becomes `state`, if there is one); calls logged.
     */
    function labDocker() {
      // (`-e NAME` options: the value is already in this process's environment, as docker reads it)
      const bin = fakeBin({
        docker: [
          `echo "$*" >> "$(dirname "$0")/fullargv"; args="$*"; [ "$1" = exec ] && args="\${args% sh -c *} sh -c <command>"; echo "$args" >> "$(dirname "$0")/argv"`,
          `if [ "$1" = inspect ]; then echo "$1 $2 $3 $4 $5" >> "$(dirname "$0")/log"; cat "$(dirname "$0")/state" 2>/dev/null || echo "true false"; [ ! -e "$(dirname "$0")/next" ] || mv "$(dirname "$0")/next" "$(dirname "$0")/state"; exit 0; fi`,
          `shift 2; while [ "$1" = -e ]; do shift 2; done; echo "exec -i $1 sh -c" >> "$(dirname "$0")/log"`,
          `[ -e "$(dirname "$0")/stopped" ] && { echo "Error response from daemon: container $1 is not running" >&2; exit 1; }`,
          `shift 3; exec sh -c "$1"`,
        ].join("\n"),
      }, "swarmlab-labdocker-");
      const write = (file: string) => (s: string) => fs.writeFileSync(path.join(bin, file), `${s}\n`);
      return { bin, log: () => fs.readFileSync(path.join(bin, "log"), "utf8"), stop: () => fs.writeFileSync(path.join(bin, "stopped"), ""), state: write("state"), next: write("next") };
    }
    const lab = { ...nowhere, container: { name: "lab-worker1" } };
    const inputs: CommandInputs = { label: "worker1: node settings", create: "echo set", check: "echo set", connection: lab };

    it("runs a drift check in the node's container: no SSH handshake (nothing listens on its SSH port here)", async () => {
      const d = labDocker();
      await withPath(d.bin, async () => {
        expect((await provider.diff?.("id", { ...inputs, stdout: "set\n", stderr: "" }, inputs))?.changes).toBe(false);
        expect((await provider.diff?.("id", { ...inputs, stdout: "other\n", stderr: "" }, inputs))?.changes).toBe(true);
      });
      expect(d.log()).toBe("exec -i lab-worker1 sh -c\n".repeat(2));
    });

    it("passes a check's environment by name: its values are in no command line (ps here, the engine's exec events)", async () => {
      const d = labDocker();
      const secret = { ...inputs, check: 'echo "$SWARMLAB_REGISTRY_KEY"', environment: { SWARMLAB_REGISTRY_KEY: "-----BEGIN PRIVATE KEY----- s3cret" } };
      await withPath(d.bin, async () => {
        expect((await provider.diff?.("id", { ...secret, stdout: "-----BEGIN PRIVATE KEY----- s3cret\n", stderr: "" }, secret))?.changes).toBe(false);
      });
      const argv = fs.readFileSync(path.join(d.bin, "argv"), "utf8");
      expect(argv).toBe("exec -i -e SWARMLAB_REGISTRY_KEY lab-worker1 sh -c <command>\n");
      const full = fs.readFileSync(path.join(d.bin, "fullargv"), "utf8");
      expect(full).toContain("SWARMLAB_REGISTRY_KEY"); // the check's own text names it
      expect(full).not.toContain("s3cret");
    });

    it("takes a container that does not run for a host that does not answer: no verdict, not a thing gone", async () => {
      const d = labDocker();
      d.stop();
      const diff = await withPath(d.bin, () => provider.diff?.("id", { ...inputs, check: "exit 1", stdout: "set\n", stderr: "" }, { ...inputs, check: "exit 1" }));
      expect(diff).toMatchObject({ changes: false, replaces: [] });
      // while a check that runs there and fails is the verdict "gone"
      const running = labDocker();
      const gone = await withPath(running.bin, () => provider.diff?.("id", { ...inputs, check: "exit 1", stdout: "set\n", stderr: "" }, { ...inputs, check: "exit 1" }));
      expect(gone?.replaces).toEqual(["check"]);
    });

    it("takes a failed check whose container started again meanwhile (a node restarted mid-check) for no answer, not for a thing gone", async () => {
      const d = labDocker();
      d.state(`true false ${new Date(Date.now() + 60_000).toISOString()}`);
      const diff = await withPath(d.bin, () => provider.diff?.("id", { ...inputs, check: "exit 1", stdout: "set\n", stderr: "" }, { ...inputs, check: "exit 1" }));
      expect(diff).toMatchObject({ changes: false, replaces: [] });
      // while one that has run since before the check is the verdict "gone"
      const steady = labDocker();
      steady.state("true false 2020-01-01T00:00:00.000000000Z");
      const gone = await withPath(steady.bin, () => provider.diff?.("id", { ...inputs, check: "exit 1", stdout: "set\n", stderr: "" }, { ...inputs, check: "exit 1" }));
      expect(gone?.replaces).toEqual(["check"]);
    });

    it("takes a check cut short by its container stopping (a node lost mid-check) for no answer, not for a thing gone", async () => {
      const d = labDocker();
      d.state("false false");
      const diff = await withPath(d.bin, () => provider.diff?.("id", { ...inputs, check: "exit 1", stdout: "set\n", stderr: "" }, { ...inputs, check: "exit 1" }));
      expect(diff).toMatchObject({ changes: false, replaces: [] });
      expect(d.log()).toContain("inspect -f {{.State.Running}} {{.State.Paused}} {{.State.StartedAt}} lab-worker1");
    });

    it("takes a check killed as its container stops, reported before the engine lists the container stopped, for no answer, not for a thing gone", async () => {
      // `docker stop` kills what runs in the container (exit 137); `docker inspect` may still say running just then
      const killed = { ...inputs, check: "kill -9 $$" };
      const d = labDocker();
      d.state("true false 2020-01-01T00:00:00.000000000Z");
      d.next("false false 2020-01-01T00:00:00.000000000Z");
      const diff = await withPath(d.bin, () => provider.diff?.("id", { ...killed, stdout: "set\n", stderr: "" }, killed));
      expect(diff).toMatchObject({ changes: false, replaces: [] });
      expect(d.log().match(/^inspect /gm)).toHaveLength(2);
      // killed while the container keeps running (the kernel's OOM killer, say): a verdict, once the moment has passed
      const steady = labDocker();
      steady.state("true false 2020-01-01T00:00:00.000000000Z");
      const gone = await withPath(steady.bin, () => provider.diff?.("id", { ...killed, stdout: "set\n", stderr: "" }, killed));
      expect(gone?.replaces).toEqual(["check"]);
      expect(steady.log().match(/^inspect /gm)?.length).toBeGreaterThan(2);
      // a check that exits on its own with an error is judged at once: one look at the container
      const failed = labDocker();
      failed.state("true false 2020-01-01T00:00:00.000000000Z");
      await withPath(failed.bin, () => provider.diff?.("id", { ...inputs, check: "exit 1", stdout: "set\n", stderr: "" }, { ...inputs, check: "exit 1" }));
      expect(failed.log().match(/^inspect /gm)).toHaveLength(1);
    });

    it("runs what changes things there too, stdin and environment included, and sees no change in a connection that only gained its container", async () => {
      const d = labDocker();
      await withPath(d.bin, async () => {
        const made = await provider.create({ ...inputs, create: 'read -r line; echo "$line $WHO"', stdin: "from stdin\n", environment: { WHO: "worker1" }, sshRetrySeconds: 0 });
        expect(made.outs?.stdout).toBe("from stdin worker1\n");
        const before = { ...inputs, connection: nowhere, stdout: "set\n", stderr: "" };
        expect((await provider.diff?.("id", before, inputs))?.changes).toBe(false);
      });
      expect(d.log()).toContain("exec -i lab-worker1 sh -c");
    });

    it("takes a create whose container does not run for a host that does not answer: retried within sshRetrySeconds, then the same failure as over SSH", async () => {
      const d = labDocker();
      d.stop();
      await withPath(d.bin, async () => {
        await expect(provider.create({ ...inputs, sshRetrySeconds: 0 })).rejects.toThrow("worker1: node settings: create failed on root@127.0.0.1:1: cannot reach the node's container lab-worker1 (docker exec)");
      });
    });
  });

  it("takes a check cut off at its timeout (a dockerd that hangs) for no answer: nothing is replaced on a guess", async () => {
    // (sleep is a process of its own that holds the output open: the run ends at the timeout all
    // the same; if it waited for sleep, this test would hang past its own 15 s limit)
    const slow: CommandInputs = { label: "worker1: swarm join", create: "true", check: "sleep 60; echo id", timeoutSeconds: 1 };
    const d = await provider.diff?.("id", { ...slow, stdout: "id\n", stderr: "" }, slow);
    expect(d).toMatchObject({ changes: false, replaces: [] });
    // while a check that ends in time and fails is the verdict "gone"
    const failing = { ...slow, check: "exit 3" };
    expect((await provider.diff?.("id", { ...failing, stdout: "id\n", stderr: "" }, failing))?.replaces).toEqual(["check"]);
  }, 15_000);

  describe("@pulumi/command's semantics: update", () => {
    const olds = { label: "thing", create: "echo one", stdout: "one\n", stderr: "" };

    it("updates in place when create changes and there is no update script: create runs again, with the last stdout", async () => {
      const d = await provider.diff?.("id", olds, { ...olds, create: 'echo "two after $PULUMI_COMMAND_STDOUT"' });
      expect([d?.changes, d?.replaces]).toEqual([true, []]);
      const u = await provider.update?.("id", olds, { label: "thing", create: 'echo "two after $PULUMI_COMMAND_STDOUT"' });
      expect(u?.outs?.stdout).toBe("two after one\n\n"); // the last stdout as it was, newline included
    });

    it("replaces instead when asked (replaceOnChanges: what cannot change in place)", async () => {
      const d = await provider.diff?.("id", olds, { ...olds, create: "echo two", replaceOnChanges: true });
      expect(d?.replaces).toEqual(["create"]);
    });

    it("sees no change when an update script equal to create is dropped (a stack made by an earlier swarmlab)", async () => {
      const d = await provider.diff?.("id", { ...olds, update: "echo one" }, { label: "thing", create: "echo one" });
      expect([d?.changes, d?.replaces]).toEqual([false, []]);
      const other = await provider.diff?.("id", { ...olds, update: "echo upd" }, { label: "thing", create: "echo one" });
      expect(other?.changes).toBe(true);
    });

    it("gives delete the last stdout, and runs no update for a create of `true`", async () => {
      const file = path.join(tmp("swarmlab-delete-"), "stdout");
      await provider.delete?.("id", { ...olds, delete: `printf '%s' "$PULUMI_COMMAND_STDOUT" > ${file}` });
      expect(fs.readFileSync(file, "utf8")).toBe("one\n");
      const u = await provider.update?.("id", { label: "rm", create: "true", stdout: "", stderr: "" }, { label: "rm", create: "true", environment: { A: "1" } });
      expect(u?.outs?.stdout).toBe("");
    });
  });

  describe("replaceGuard: a replacement refused at plan time", () => {
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // the engine's marker for a value not known yet
    const olds = { label: "overlay network backend", create: "true", triggers: ["attachable=true"], stdout: "", stderr: "" };
    const refusing = "echo 'network backend is still used by services: web_app' >&2; exit 1";

    it("refuses a replacement its guard fails, with the label and the guard's message, before anything runs", async () => {
      await expect(provider.diff?.("id", olds, { ...olds, triggers: ["attachable=false"], replaceGuard: refusing })).rejects.toThrow(
        "overlay network backend: cannot be replaced now: network backend is still used by services: web_app",
      );
    });

    it("lets the replacement through when the guard passes, and runs no guard without a replacement", async () => {
      const passes = await provider.diff?.("id", olds, { ...olds, triggers: ["attachable=false"], replaceGuard: "true" });
      expect(passes?.replaces).toEqual(["triggers"]);
      const inPlace = await provider.diff?.("id", olds, { ...olds, label: "renamed", replaceGuard: refusing });
      expect([inPlace?.changes, inPlace?.replaces]).toEqual([true, []]);
    });

    it("never refuses a replacement caused by a value not known yet (its host being replaced) or on a host that does not answer", async () => {
      const hostReplaced = await provider.diff?.("id", olds, { ...olds, triggers: [UNKNOWN], replaceGuard: refusing });
      expect(hostReplaced?.replaces).toEqual(["triggers"]);
      const down = await provider.diff?.("id", { ...olds, connection: nowhere }, { ...olds, connection: nowhere, triggers: ["x"], replaceGuard: refusing });
      expect(down?.replaces).toEqual(["triggers"]);
    });
  });
});
