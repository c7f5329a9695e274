/**
 * A node's key, ssh_config and known host key written to a private temporary directory for the
 * time of one use, and removed afterwards, also when the helper is interrupted.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { keyFileText, knownHostsLine, type SshTarget } from "../../components/command/ssh";
import { sshConfigText, type SshFiles } from "./sshArgv";

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export async function withSshFiles<T>(target: SshTarget, use: (files: SshFiles) => T | Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarmlab-ssh-"));
  const cleanUp = () => fs.rmSync(dir, { recursive: true, force: true });
  const interrupted = (signal: NodeJS.Signals) => {
    cleanUp();
    process.exit(128 + (os.constants.signals[signal] ?? 1));
  };
  SIGNALS.forEach((s) => process.once(s, interrupted));
  try {
    const files: SshFiles = { key: path.join(dir, "id"), config: path.join(dir, "config") };
    fs.writeFileSync(files.key, keyFileText(target.privateKey), { mode: 0o600 });
    fs.writeFileSync(files.config, sshConfigText(files.key), { mode: 0o600 });
    if (target.hostKey) {
      files.knownHosts = path.join(dir, "known_hosts");
      fs.writeFileSync(files.knownHosts, knownHostsLine(target), { mode: 0o600 });
    }
    return await use(files);
  } finally {
    SIGNALS.forEach((s) => process.off(s, interrupted));
    cleanUp();
  }
}
