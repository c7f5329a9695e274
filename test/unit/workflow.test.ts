import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/** The CI preview workflow cannot run here (it runs on GitHub): its promises are checked as data. */
const wf = parse(fs.readFileSync(path.resolve(__dirname, "../../.github/workflows/preview.yml"), "utf8"));

describe("GitHub Actions preview workflow", () => {
  it("runs on every pull request and on main", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request", "push"]);
    expect(wf.on.push.branches).toEqual(["main"]);
    expect(wf.permissions["pull-requests"]).toBe("write");
  });

  it("installs, typechecks, lints, runs the unit tests, then posts pulumi preview --diff on the pull request", () => {
    const steps = wf.jobs.preview.steps as { run?: string; uses?: string; with?: Record<string, unknown> }[];
    expect(steps.filter((s) => s.run).map((s) => s.run)).toEqual(["npm install --no-audit --no-fund", "npm run typecheck", "npm run lint", "npm run test:unit"]);
    const preview = steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
    expect(preview?.with).toMatchObject({ command: "preview", diff: true, "comment-on-pr": "${{ github.event_name == 'pull_request' }}" });
  });

  it("applies nothing on main unless the repository opts in", () => {
    const apply = wf.jobs.apply;
    expect(apply.needs).toBe("preview");
    expect(apply.if).toContain("vars.SWARMLAB_AUTO_APPLY == 'true'");
    expect(apply.if).toContain("github.ref == 'refs/heads/main'");
  });

  it("takes the backend from secrets: Pulumi Cloud token, or an S3/file URL with a passphrase", () => {
    expect(Object.keys(wf.env)).toEqual(expect.arrayContaining(["PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_STACK"]));
  });
});
