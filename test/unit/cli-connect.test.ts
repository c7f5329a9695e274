/**
 * cli/lib/connect.ts: the private files (key, ssh config, known host) `npm run ssh` and `npm run
 * push` connect with, and their removal afterwards.
 */
import * as fs from "fs";
import { describe, expect, it } from "vitest";
import { withSshFiles } from "../../cli/lib/connect";
import type { NodeConnection } from "../../cli/lib/nodes";
import { sshConfigText, type SshFiles } from "../../cli/lib/sshArgv";

const LAB = { host: "172.28.0.2", port: 22, user: "root" };

describe("the connection's files", () => {
  it("are private, hold the key, config and known host, and are gone afterwards (also after a failure)", async () => {
    const node: NodeConnection = { ...LAB, port: 2222, name: "m", role: "manager", hostKey: "ssh-ed25519 AAAAC3", privateKey: "KEY" };
    let seen: SshFiles | undefined;
    await expect(
      withSshFiles(node, (files) => {
        seen = files;
        expect(fs.readFileSync(files.key, "utf8")).toBe("KEY\n");
        expect(fs.statSync(files.key).mode & 0o777).toBe(0o600);
        expect(fs.readFileSync(files.config, "utf8")).toBe(sshConfigText(files.key));
        expect(fs.readFileSync(files.knownHosts as string, "utf8")).toBe("[172.28.0.2]:2222 ssh-ed25519 AAAAC3\n");
        throw new Error("ssh failed");
      }),
    ).rejects.toThrow("ssh failed");
    expect(fs.existsSync(seen?.key as string)).toBe(false);
  });

  it("have no known_hosts without a host key", async () => {
    const files = await withSshFiles({ ...LAB, privateKey: "KEY\n" }, (f) => f);
    expect(files.knownHosts).toBeUndefined();
  });
});
