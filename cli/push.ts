/**
 * `npm run push -- IMAGE[:TAG]`: pushes a local image into the cluster's registry through an SSH
 * tunnel to the manager that runs it (connected as Pulumi connects: its user, port, bastion and
 * key). Docker accepts plain HTTP, or HTTPS with the cluster's own CA, from 127.0.0.1 without any
 * daemon configuration. Logged in for the push when the registry has auth; prints the reference
 * the nodes pull:
 *   npm run push -- myapp:1.0     ->  172.28.0.129:5000/myapp:1.0
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import { parsePushArgs, PUSH_USAGE } from "./lib/args";
import { runMain } from "./lib/cli";
import { withSshFiles } from "./lib/connect";
import { repositoryPath } from "./lib/imageRef";
import { describeConnection, nodeConnections, registryManager } from "./lib/nodes";
import { sshArgv } from "./lib/sshArgv";
import { readStackOutputs, type StackOutputs } from "./lib/stackOutputs";
import { freePort, waitForTunnel } from "./lib/tunnel";

/** Tags, pushes (logged in when the registry has auth) and cleans up, through the registry at `local` (127.0.0.1:port). */
function pushThrough(local: string, image: string, login: StackOutputs["registryLogin"]): void {
  const ref = `${local}/${repositoryPath(image)}`;
  try {
    if (login) execFileSync("docker", ["login", "-u", login.username, "--password-stdin", local], { input: login.password, stdio: ["pipe", "ignore", "inherit"] });
    execFileSync("docker", ["tag", image, ref], { stdio: "inherit" });
    execFileSync("docker", ["push", "-q", ref], { stdio: ["ignore", "ignore", "inherit"] });
  } finally {
    spawnSync("docker", ["rmi", ref], { stdio: "ignore" });
    if (login) spawnSync("docker", ["logout", local], { stdio: "ignore" });
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parsePushArgs(argv);
  if ("help" in args) {
    console.log(PUSH_USAGE);
    return 0;
  }
  const out = readStackOutputs();
  if (!out.registry) {
    console.error("swarmlab: this cluster has no registry: set swarmlab:registry.enabled: true and run npm run up");
    return 1;
  }
  const registry = out.registry;
  const manager = registryManager(nodeConnections(out));
  const registryPort = registry.split(":").pop() as string;
  await withSshFiles(manager, async (files) => {
    const port = await freePort();
    const tunnel = spawn("ssh", sshArgv(manager, files, { forward: `127.0.0.1:${port}:127.0.0.1:${registryPort}` }), { stdio: ["ignore", "ignore", "inherit"] });
    try {
      await waitForTunnel(port, tunnel, `the registry on ${manager.name} (${describeConnection(manager)})`);
      pushThrough(`127.0.0.1:${port}`, args.image, out.registryLogin);
    } finally {
      tunnel.kill();
    }
  });
  console.log(`${registry}/${repositoryPath(args.image)}`);
  return 0;
}

runMain(() => main(process.argv.slice(2)));
