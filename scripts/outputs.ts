import { execFileSync } from "child_process";
import * as path from "path";

/** One node row of the `nodes` stack output. */
export interface NodeRow {
  name: string;
  role: string;
  address: string;
  sshPort: number;
}

/** The selected stack's outputs, secrets included (read by the user's own CLI, never printed). */
export function stackOutputs(): Record<string, unknown> {
  const root = path.resolve(__dirname, "..");
  const json = execFileSync("bash", [path.join(root, "scripts/pulumi.sh"), "stack", "output", "--json", "--show-secrets"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(json) as Record<string, unknown>;
}

/** ssh options shared by the helpers: the cluster key, no host-key prompts (lab nodes get new keys when recreated). */
export function sshOptions(keyFile: string, port: number): string[] {
  return ["-i", keyFile, "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"];
}
