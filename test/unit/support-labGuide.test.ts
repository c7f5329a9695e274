import { describe, expect, it } from "vitest";
import type { NodeView, ServiceView, Snapshot, TaskView } from "../../images/board/snapshot";
import { boardText, commandsOf, expectPattern, fences, labBlocks, missingLines, parseLabPage, substitute, substituteValues } from "../support/labGuide";

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
    expect(substitute("worker1 ... hello:v1.10...", { "hello:v1.10": "hello:v2" })).toBe("worker1 ... hello:v2...");
    expect(substitute("traefik/whoami.v2 traefik/whoami:v1.10.1", table)).toBe("traefik/whoami.v2 traefik/whoami:v1.10.1");
    expect(substitute("x", {})).toBe("x");
  });
  it("goes through config values", () => {
    expect(substituteValues({ a: ["traefik/whoami", 3, { b: "traefik/whoami:v1.10" }], c: true }, table)).toEqual({ a: ["swarmlab/whoami:latest", 3, { b: "swarmlab/whoami:v2" }], c: true });
  });
});

describe("board blocks: what the board shows, as text", () => {
  const task = (service: string, tag: string, over: Partial<TaskView> = {}): TaskView => ({
    id: `${service}-${tag}-${Math.random()}`, service, slot: 1, name: service, image: "traefik/whoami", imageTag: tag,
    state: "running", desiredState: "running", leaving: false, message: "", since: "", color: "red", ...over,
  });
  const node = (name: string, over: Partial<NodeView> = {}): NodeView => ({
    id: name, name, role: "worker", leader: false, reachability: "", availability: "active", state: "ready", addr: "", labels: {}, engine: "", tasks: [], ...over,
  });
  const service = (name: string, image: string, running: number, over: Partial<ServiceView> = {}): ServiceView => ({
    id: name, name, image, imageTag: "", mode: "replicated", replicas: 3, stack: "", update: null, color: "red", running, ...over,
  });
  const snap = (nodes: NodeView[], routes: Snapshot["routes"] = [], services: ServiceView[] = []): Snapshot => ({ time: "", error: null, nodes, unassigned: [], services, routes });

  it("parses a board block with its default and given wait, and refuses one that is not text or is empty", () => {
    const steps = parseLabPage(["```text board", "worker2 ... no task", "```", "", "```text board wait=120", "route web: Host(`x`) -> web_web", "```"].join("\n"), "p.md");
    expect(steps).toEqual([
      { kind: "board", line: 1, text: "worker2 ... no task", expect: ["worker2 ... no task"], waitSeconds: 60 },
      { kind: "board", line: 5, text: "route web: Host(`x`) -> web_web", expect: ["route web: Host(`x`) -> web_web"], waitSeconds: 120 },
    ]);
    expect(() => parseLabPage("```sh board\nx\n```", "p.md")).toThrow("p.md:1: a board block is text");
    expect(() => parseLabPage("```text board\n\n```", "p.md")).toThrow("p.md:1: a board block without a line");
    expect(() => parseLabPage("```text board wait=soon\nx\n```", "p.md")).toThrow("wait= takes a number of seconds");
  });

  it("renders one line per node (header, running cards grouped by service and tag), per service and per route", () => {
    const text = boardText(
      snap(
        [
          node("manager1", { role: "manager", leader: true, tasks: [task("viz_visualizer", "0.1.0")] }),
          node("worker1", { tasks: [task("web_whoami", "v1.10"), task("web_whoami", "v1.10"), task("web_whoami", "latest")] }),
          node("worker2", { availability: "drain", tasks: [task("web_whoami", "v1.10", { leaving: true }), task("web_whoami", "v1.10", { state: "preparing" })] }),
          node("worker3", { state: "down" }),
        ],
        [{ router: "web", rule: "Host(`web.localhost`)", service: "web_whoami", entrypoints: ["web"], tls: false, color: "red" }],
        [service("viz_visualizer", "swarmlab/board:0.1.0", 1, { mode: "global", replicas: null }), service("web_whoami", "traefik/whoami:v1.10", 3, { update: { state: "rollback_completed", message: "" } })],
      ),
    );
    expect(text.split("\n")).toEqual([
      "manager1 manager leader active ready: viz_visualizer:0.1.0",
      "worker1 worker active ready: web_whoami:v1.10 ×2, web_whoami:latest",
      "worker2 worker drain ready: no task",
      "worker3 worker active down: no task",
      "service viz_visualizer swarmlab/board:0.1.0 1 global",
      "service web_whoami traefik/whoami:v1.10 3/3 update rollback_completed",
      "route web: Host(`web.localhost`) -> web_whoami",
    ]);
    expect(missingLines(["worker2 ... drain ...: no task", "worker1 ...: web_whoami:v1.10 ×2, ..."], text)).toEqual([]);
    expect(missingLines(["worker1 ...: no task"], text)).toEqual(["worker1 ...: no task"]);
  });

  it("says when the board cannot read the swarm", () => {
    expect(boardText({ ...snap([]), error: "not a manager" })).toBe("board error: not a manager");
  });
});
