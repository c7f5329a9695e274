/**
 * .github/workflows/preview.yml (with Pulumi.yaml): the CI preview workflow, checked as data.
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/** The CI preview workflow cannot run here (it runs on GitHub): its promises are checked as data. */
const read = (file: string) => parse(fs.readFileSync(path.resolve(__dirname, "../..", file), "utf8"));
const wf = read(".github/workflows/preview.yml");
const project = read("Pulumi.yaml");

type Step = { run?: string; uses?: string; with?: Record<string, unknown> };
const pulumiSteps = (job: string) => (wf.jobs[job].steps as Step[]).filter((s) => s.uses?.startsWith("pulumi/actions@"));

describe("GitHub Actions preview workflow", () => {
  it("runs on every pull request and on main", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request", "push"]);
    expect(wf.on.push.branches).toEqual(["main"]);
    expect(wf.permissions["pull-requests"]).toBe("write");
  });

  it("installs, typechecks, lints, runs the unit tests, then posts pulumi preview --diff on the pull request", () => {
    const steps = wf.jobs.preview.steps as Step[];
    expect(steps.filter((s) => s.run).map((s) => s.run)).toEqual(["npm install --no-audit --no-fund", "npm run typecheck", "npm run lint", "npm run test:unit"]);
    const [preview] = pulumiSteps("preview");
    expect(preview.with).toMatchObject({ command: "preview", diff: true, "comment-on-pr": "${{ github.event_name == 'pull_request' }}", "stack-name": "${{ env.PULUMI_STACK }}" });
  });

  it("applies nothing on main unless the repository opts in, and never cancels an apply under way", () => {
    const apply = wf.jobs.apply;
    expect(apply.needs).toBe("preview");
    expect(apply.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main' && vars.SWARMLAB_AUTO_APPLY == 'true'");
    expect(apply.environment).toBe("production");
    expect(pulumiSteps("apply").map((s) => s.with?.command)).toEqual(["up"]);
    // only pull-request runs are cancelled by a newer commit; a push to main waits its turn
    expect(wf.concurrency["cancel-in-progress"]).toBe("${{ github.event_name == 'pull_request' }}");
  });

  it("overrides the project's file backend: PULUMI_BACKEND_URL from its secret, else Pulumi Cloud, never empty", () => {
    // Pulumi.yaml keeps the state in the project, which a CI runner starts without...
    expect(project.backend.url).toBe("file://./.pulumi-state");
    // ...and the CLI takes a non-empty PULUMI_BACKEND_URL over backend.url: the fallback keeps it non-empty.
    expect(wf.env.PULUMI_BACKEND_URL).toBe("${{ secrets.PULUMI_BACKEND_URL || 'https://api.pulumi.com' }}");
    // the action logs in to that same backend in both jobs
    for (const job of ["preview", "apply"]) {
      expect(pulumiSteps(job).map((s) => s.with?.["cloud-url"])).toEqual(["${{ env.PULUMI_BACKEND_URL }}"]);
    }
  });

  it("takes the token, the passphrase and the stack from the repository's secrets and variables", () => {
    expect(wf.env).toMatchObject({
      PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
      PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
      PULUMI_STACK: "${{ vars.PULUMI_STACK || 'dev' }}",
    });
    for (const job of ["preview", "apply"]) expect(pulumiSteps(job).map((s) => s.with?.["stack-name"])).toEqual(["${{ env.PULUMI_STACK }}"]);
  });
});
