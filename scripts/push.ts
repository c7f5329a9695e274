/**
 * `npm run push -- IMAGE[:TAG]`: pushes a local image into the cluster's registry through an SSH
 * tunnel to the manager that runs it (Docker accepts plain HTTP, or HTTPS with the cluster's own
 * CA, from 127.0.0.1 without any daemon configuration), logged in for the push when the registry
 * has auth, then prints the reference the nodes pull:
 *   npm run push -- myapp:1.0     ->  172.28.0.129:5000/myapp:1.0
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { type NodeRow, sshOptions, stackOutputs } from "./outputs";

/** `registry.example:5000/team/app:1` -> `team/app:1`: the repository path without a registry host. */
export function repositoryPath(image: string): string {
  const [first, ...rest] = image.split("/");
  const hasRegistry = rest.length > 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const repo = hasRegistry ? rest.join("/") : image;
  return repo.includes(":") || repo.includes("@") ? repo : `${repo}:latest`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the SSH tunnel to the registry did not open on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(image: string | undefined): Promise<number> {
  if (!image) {
    console.error("usage: npm run push -- IMAGE[:TAG]");
    return 2;
  }
  const out = stackOutputs();
  const registry = out.registry as string | undefined;
  if (!registry) {
    console.error("swarmlab: this cluster has no registry: set swarmlab:registry.enabled: true and run npm run up");
    return 1;
  }
  const manager = ((out.nodes ?? []) as NodeRow[]).find((n) => n.role === "manager") as NodeRow;
  const registryPort = registry.split(":").pop() as string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-push-"));
  const key = path.join(dir, "id");
  fs.writeFileSync(key, String(out.sshPrivateKey), { mode: 0o600 });
  const port = await freePort();
  const tunnel = spawn("ssh", [...sshOptions(key, manager.sshPort), "-N", "-L", `127.0.0.1:${port}:127.0.0.1:${registryPort}`, `root@${manager.address}`], { stdio: "ignore" });
  const local = `127.0.0.1:${port}/${repositoryPath(image)}`;
  const login = out.registryLogin as { username: string; password: string } | undefined;
  try {
    await waitForPort(port, 15_000);
    if (login) execFileSync("docker", ["login", "-u", login.username, "--password-stdin", `127.0.0.1:${port}`], { input: login.password, stdio: ["pipe", "ignore", "inherit"] });
    execFileSync("docker", ["tag", image, local], { stdio: "inherit" });
    execFileSync("docker", ["push", "-q", local], { stdio: ["ignore", "ignore", "inherit"] });
    console.log(`${registry}/${repositoryPath(image)}`);
    return 0;
  } finally {
    spawnSync("docker", ["rmi", local], { stdio: "ignore" });
    if (login) spawnSync("docker", ["logout", `127.0.0.1:${port}`], { stdio: "ignore" });
    tunnel.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main(process.argv[2]).then((code) => (process.exitCode = code));
