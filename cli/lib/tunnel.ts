/** A local port forwarded over SSH: a free port to listen on, and the wait until the tunnel opens. */
import type { ChildProcess } from "child_process";
import * as net from "net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

/** Resolves once 127.0.0.1:port accepts connections; fails as soon as the ssh process is gone, or at the deadline. */
export async function waitForTunnel(port: number, ssh: ChildProcess, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ssh.exitCode !== null || ssh.signalCode !== null) throw new Error(`the SSH tunnel to ${what} failed (ssh ended with ${ssh.exitCode ?? ssh.signalCode}; its message is above)`);
    if (await accepts(port)) return;
    if (Date.now() > deadline) throw new Error(`the SSH tunnel to ${what} did not open on 127.0.0.1:${port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
