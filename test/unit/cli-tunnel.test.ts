/**
 * cli/lib/tunnel.ts: the SSH tunnel of `npm run push`, against a stand-in for `ssh -N -L`.
 */
import { spawn } from "child_process";
import { describe, expect, it } from "vitest";
import { freePort, waitForTunnel } from "../../cli/lib/tunnel";

/** A stand-in for `ssh -N -L`: a process that listens on the port (or exits at once). */
const listener = (port: number) => spawn(process.execPath, ["-e", `require("net").createServer().listen(${port}, "127.0.0.1")`], { stdio: "ignore" });

describe("the SSH tunnel of npm run push", () => {
  it("is ready once the local port accepts connections", async () => {
    const port = await freePort();
    const child = listener(port);
    try {
      await expect(waitForTunnel(port, child, "the registry", 10_000)).resolves.toBeUndefined();
    } finally {
      child.kill();
    }
  });

  it("fails at once, saying so, when ssh is gone (refused, wrong key, forward failed)", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["-e", "process.exit(255)"], { stdio: "ignore" });
    await new Promise((r) => child.on("exit", r));
    await expect(waitForTunnel(port, child, "the registry on manager1", 10_000)).rejects.toThrow("the SSH tunnel to the registry on manager1 failed (ssh ended with 255; its message is above)");
  });

  it("fails at the deadline when the port never opens", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 5000)"], { stdio: "ignore" });
    try {
      await expect(waitForTunnel(port, child, "the registry", 300)).rejects.toThrow(`the SSH tunnel to the registry did not open on 127.0.0.1:${port} within 0.3 s`);
    } finally {
      child.kill();
    }
  });
});
