/**
 * cli/lib/args.ts: the arguments of `npm run ssh` and `npm run push` (a bad one is a UsageError of
 * cli/lib/cli.ts).
 */
import { describe, expect, it } from "vitest";
import { parsePushArgs, parseSshArgs, PUSH_USAGE } from "../../cli/lib/args";
import { UsageError } from "../../cli/lib/cli";

const NODES = ["manager1", "worker1", "docker"];
const names = () => NODES;

describe("npm run ssh arguments", () => {
  it.each([
    [[], { command: [] }],
    [["docker", "node", "ls"], { node: "docker", command: ["node", "ls"] }],
    [["worker1"], { node: "worker1", command: [] }],
    [["worker1", "docker", "ps", "-a"], { node: "worker1", command: ["docker", "ps", "-a"] }],
    [["uptime"], { command: ["uptime"] }],
    [["ls", "-la", "/"], { command: ["ls", "-la", "/"] }],
    [["--node", "docker", "docker", "ps"], { node: "docker", command: ["docker", "ps"] }],
    [["-n", "worker1"], { node: "worker1", command: [] }],
    [["--node=worker1", "df", "-h"], { node: "worker1", command: ["df", "-h"] }],
    [["--node", "nowhere"], { node: "nowhere", command: [] }],
    [["--", "worker1", "uptime"], { node: "worker1", command: ["uptime"] }],
  ])("%j", (argv, expected) => {
    expect(parseSshArgs(argv, names)).toEqual(expected);
  });

  it("--help needs no stack (the node names are never asked for)", () => {
    const never = () => {
      throw new Error("the stack was read");
    };
    expect(parseSshArgs(["--help"], never)).toEqual({ help: true });
    expect(parseSshArgs(["-h"], never)).toEqual({ help: true });
    expect(parseSshArgs(["--node", "worker1", "uptime"], never)).toEqual({ node: "worker1", command: ["uptime"] });
  });

  it("--node without a name is a usage error", () => {
    expect(() => parseSshArgs(["--node"], names)).toThrow(UsageError);
    expect(() => parseSshArgs(["--node"], names)).toThrow(/^--node needs a node name\nusage: npm run ssh/);
  });
});

describe("npm run push arguments", () => {
  it("takes exactly one image", () => {
    expect(parsePushArgs(["myapp:1.0"])).toEqual({ image: "myapp:1.0" });
    expect(parsePushArgs(["--help"])).toEqual({ help: true });
    for (const bad of [[], ["a", "b"], ["--all"], [""]]) expect(() => parsePushArgs(bad)).toThrow(new UsageError(PUSH_USAGE));
  });
});
