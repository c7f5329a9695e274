import { describe, expect, it } from "vitest";
import { commandsOf, expectPattern, fences, labBlocks, missingLines, parseLabPage, substitute, substituteValues } from "../support/labGuide";

const page = [
  "# A page",
  "",
  "```yaml lab-config",
  "swarmlab:nodes:",
  "  - {name: manager1, role: manager}",
  "```",
  "",
  "Prose, and a block that is not run:",
  "",
  "```sh",
  "rm -rf /",
  "```",
  "",
  "```sh lab",
  "# a comment",
  "npm run up",
  "npm run ssh -- docker service ps \\",
  "  whoami_whoami",
  "```",
  "",
  "```text expect",
  "manager1 Ready ... Leader",
  "",
  "```",
  "",
  "```sh lab wait=60",
  "npm run status",
  "```",
  "",
  "```text expect",
  "worker2 ... down",
  "```",
].join("\n");

describe("the lab guide's blocks", () => {
  it("finds fenced blocks with their info string and line", () => {
    expect(fences("a\n```sh lab\nx\n```\n~~~~\n```\n~~~~\n").map((f) => [f.info, f.body, f.line])).toEqual([
      ["sh lab", "x", 2],
      ["", "```", 5],
    ]);
    expect(() => fences("```sh\nnever closed")).toThrow("line 1: a fenced block that is never closed");
  });

  it("joins continuation lines and leaves out comments and blank lines", () => {
    expect(commandsOf("# c\n\nnpm run up\nnpm run ssh -- a \\\n  b\n")).toEqual(["npm run up", "npm run ssh -- a    b"]);
    expect(() => commandsOf("npm run ssh -- a \\")).toThrow("a command ends with a line continuation");
  });

  it("reads config, commands and expected lines, in order; other blocks are prose", () => {
    const steps = parseLabPage(page, "01.md");
    expect(steps.map((s) => s.kind)).toEqual(["config", "run", "expect", "run", "expect"]);
    expect(steps[0]).toMatchObject({ kind: "config", line: 3, values: { "swarmlab:nodes": [{ name: "manager1", role: "manager" }] } });
    expect(steps[1]).toMatchObject({ kind: "run", commands: ["npm run up", "npm run ssh -- docker service ps    whoami_whoami"], waitSeconds: 0, expect: ["manager1 Ready ... Leader"] });
    expect(steps[3]).toMatchObject({ kind: "run", commands: ["npm run status"], waitSeconds: 60, expect: ["worker2 ... down"] });
  });

  it("refuses what it cannot run, naming the file and line", () => {
    expect(() => parseLabPage("```json lab-config\n{}\n```", "p.md")).toThrow("p.md:1: a lab-config block is yaml");
    expect(() => parseLabPage("```yaml lab-config\n- a\n```", "p.md")).toThrow("p.md:1: a lab-config block is a mapping of swarmlab: keys");
    expect(() => parseLabPage("```yaml lab-config\nswarmlb:nodes: []\n```", "p.md")).toThrow("holds swarmlab: keys only, got swarmlb:nodes");
    expect(() => parseLabPage("```bash lab\nls\n```", "p.md")).toThrow("p.md:1: a lab commands block is sh");
    expect(() => parseLabPage("```sh lab\n# only a comment\n```", "p.md")).toThrow("without a command");
    expect(() => parseLabPage("```sh lab wait=soon\nls\n```\n```text expect\nx\n```", "p.md")).toThrow("wait= takes a number of seconds");
    expect(() => parseLabPage("```sh lab wait=5\nls\n```", "p.md")).toThrow("p.md:1: wait= needs an expect block");
    expect(() => parseLabPage("```text expect\nx\n```", "p.md")).toThrow("p.md:1: an expect block comes right after a sh lab block");
    expect(() => parseLabPage("```sh lab\nls\n```\n```text expect\nx\n```\n```text expect\ny\n```", "p.md")).toThrow("p.md:7: an expect block comes right after a sh lab block");
  });

  it("gives two translations the same blocks to compare, prose left out", () => {
    const fr = page.replace("# A page", "# Une page").replace("Prose, and a block that is not run:", "De la prose :").replace("rm -rf /", "ls");
    expect(labBlocks(parseLabPage(fr))).toEqual(labBlocks(parseLabPage(page)));
    const drifted = page.replace("npm run status", "npm run status -- --all");
    expect(labBlocks(parseLabPage(drifted))).not.toEqual(labBlocks(parseLabPage(page)));
  });
});

describe("expected output", () => {
  it("matches whole lines, blanks collapsed, ... for any text", () => {
    const out = "ID   HOSTNAME   STATUS\nabc *  manager1   Ready    Active   Leader\nworker1  Ready\n";
    expect(missingLines(["... manager1 Ready ... Leader", "worker1 Ready"], out)).toEqual([]);
    expect(missingLines(["manager1 Ready ... Leader"], out)).toEqual(["manager1 Ready ... Leader"]);
    expect(missingLines(["worker1", "worker2 Ready", "... manager1 ..."], out)).toEqual(["worker1", "worker2 Ready"]);
    expect(expectPattern("a.b (c) ... $x").test("a.b (c) anything $x")).toBe(true);
    expect(expectPattern("a.b").test("axb")).toBe(false);
  });
});

describe("substitutions", () => {
  const table = { "traefik/whoami": "swarmlab/whoami:latest", "traefik/whoami:v1.10": "swarmlab/whoami:v2", "lab-worker2": "labs-worker2" };
  it("replaces whole words only, the longest first", () => {
    expect(substitute("npm run push -- traefik/whoami:v1.10", table)).toBe("npm run push -- swarmlab/whoami:v2");
    expect(substitute("image traefik/whoami, ...:5000/traefik/whoami:v1.10", table)).toBe("image swarmlab/whoami:latest, ...:5000/swarmlab/whoami:v2");
    expect(substitute("docker stop lab-worker2; mylab-worker2 lab-worker23", table)).toBe("docker stop labs-worker2; mylab-worker2 lab-worker23");
    expect(substitute("x", {})).toBe("x");
  });
  it("goes through config values", () => {
    expect(substituteValues({ a: ["traefik/whoami", 3, { b: "traefik/whoami:v1.10" }], c: true }, table)).toEqual({ a: ["swarmlab/whoami:latest", 3, { b: "swarmlab/whoami:v2" }], c: true });
  });
});
