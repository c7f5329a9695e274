/**
 * cli/lib/stackOutputs.ts: the stack outputs the CLI helpers read, checked and trimmed to what
 * they use.
 */
import { describe, expect, it } from "vitest";
import { parseStackOutputs } from "../../cli/lib/stackOutputs";

const row = (name: string, role: string, address = "127.0.0.1", sshPort = 22) => ({ name, role, address, sshPort, labels: {}, availability: "active" });

describe("stack outputs", () => {
  it("keeps what the helpers use, drops the rest, and treats null as absent", () => {
    const out = parseStackOutputs({ cluster: "lab", nodes: [row("m", "manager")], registry: null, registryCa: null, sshTargets: { m: { host: "h", port: 22, user: "u", hostKey: null, jump: null } } });
    expect(out).toEqual({ cluster: "lab", nodes: [{ name: "m", role: "manager", address: "127.0.0.1", sshPort: 22 }], sshTargets: { m: { host: "h", port: 22, user: "u" } }, urls: {} });
    expect(parseStackOutputs({})).toEqual({ cluster: "?", nodes: [], urls: {} });
  });

  it("says which output is not what it expects", () => {
    expect(() => parseStackOutputs({ nodes: [{ name: "m", role: "manager", address: "a", sshPort: "22" }] })).toThrow(/^the stack's outputs are not what this script expects \(nodes\.0\.sshPort: .*\): run npm run up/);
  });
});
