/**
 * cli/up.sh (`npm run up`) with cli/lib.sh: which Pulumi runs it makes, against a fake CLI put where
 * the npm launcher keeps the real one ($PULUMI_HOME/versions/<version>/bin) and a fake docker.
 * A stack with nothing yet is created in one pass; otherwise the preview comes first, and ends the
 * run when it proposes nothing (the CLI's exit 7 means changes were proposed).
 */
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { runBash } from "../support/fakes";
import { tmp } from "../support/tmp";

const ROOT = path.resolve(__dirname, "../..");
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/pulumi/package.json"), "utf8")).version as string;

/**
 * Runs cli/up.sh with a fake pulumi whose `stack ls` lists `stacks` and whose preview exits
 * `previewCode`, on a file backend under the fake home that holds `stateFile` as the dev stack's state.
 */
function upWith(o: { stacks: string; previewCode: number; env?: Record<string, string>; stateFile?: string; root?: string }) {
  const home = tmp("swarmlab-pulumi-home-");
  if (o.stateFile !== undefined) {
    fs.mkdirSync(path.join(home, "state/.pulumi/stacks/swarmlab"), { recursive: true });
    fs.writeFileSync(path.join(home, "state/.pulumi/stacks/swarmlab/dev.json"), o.stateFile);
  }
  const bin = path.join(home, "versions", VERSION, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const log = path.join(home, "calls");
  fs.writeFileSync(
    path.join(bin, "pulumi"),
    `#!/bin/bash\necho "$*" >> ${log}\necho "$NODE_COMPILE_CACHE" > ${log}.cache\necho "$NODE_OPTIONS" > ${log}.nodeopts\nnode -e 'process.stdout.write(String(Object.keys(require.cache).some((f) => f.endsWith("lazySdkModules.cjs"))))' > ${log}.preloaded 2>&1\ncase "$1 $2" in\n  "stack ls") echo '${o.stacks}';;\n  "preview "*) [ ${o.previewCode} = 7 ] && echo "error: no changes were expected for preview but changes were proposed" >&2; exit ${o.previewCode};;\nesac\nexit 0\n`,
    { mode: 0o755 },
  );
  const fakes = tmp("swarmlab-fakebin-");
  fs.writeFileSync(path.join(fakes, "docker"), "#!/bin/bash\nexit 0\n", { mode: 0o755 });
  const r = runBash(`bash '${path.join(o.root ?? ROOT, "cli/up.sh")}'`, { env: { PULUMI_HOME: home, PATH: `${fakes}:${process.env.PATH}`, SWARMLAB_STACK: "dev", PULUMI_CONFIG_PASSPHRASE: "x", HOME: home, XDG_CACHE_HOME: "", PULUMI_BACKEND_URL: `file://${home}/state`, ...o.env } });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim() : undefined);
  const compileCache = read(`${log}.cache`);
  return { ...r, home, compileCache, nodeOptions: read(`${log}.nodeopts`), preloaded: read(`${log}.preloaded`), listed: calls.some((c) => c.startsWith("stack ls")), calls: calls.filter((c) => !c.startsWith("stack ls")) };
}

describe("npm run up", () => {
  it("runs the CLI with Node's compile cache under the user's cache folder, or the one they chose", () => {
    const r = upWith({ stacks: "[]", previewCode: 0 });
    expect(r.compileCache).toBe(path.join(r.home, ".cache/swarmlab/node-compile"));
    expect(upWith({ stacks: "[]", previewCode: 0, env: { NODE_COMPILE_CACHE: "/elsewhere" } }).compileCache).toBe("/elsewhere");
  });

  it("preloads cli/lazySdkModules.cjs into the Node processes the CLI starts, keeping the user's own NODE_OPTIONS", () => {
    const preload = `--require "${path.join(ROOT, "cli/lazySdkModules.cjs")}"`;
    expect(upWith({ stacks: "[]", previewCode: 0, env: { NODE_OPTIONS: "" } }).nodeOptions).toBe(preload);
    const kept = upWith({ stacks: "[]", previewCode: 0, env: { NODE_OPTIONS: "--max-old-space-size=4096" } });
    expect(kept.nodeOptions).toBe(`${preload} --max-old-space-size=4096`);
    expect(kept.preloaded).toBe("true"); // Node parses it and loads the preload
  });

  it("without the preload where NODE_OPTIONS cannot quote the project's path (a double quote in it)", () => {
    const root = path.join(tmp("swarmlab-up-"), 'my "lab"');
    fs.mkdirSync(root);
    fs.cpSync(path.join(ROOT, "cli"), path.join(root, "cli"), { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(root, "node_modules"));
    const r = upWith({ stacks: "[]", previewCode: 0, env: { NODE_OPTIONS: "" }, root });
    expect(r.code).toBe(0);
    expect(r.nodeOptions).toBe("");
    expect(r.preloaded).toBe("false");
  });

  it("creates a stack that does not exist yet, then applies in one pass (nothing exists that a preview would protect)", () => {
    const r = upWith({ stacks: "[]", previewCode: 0 });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(["stack select --create dev", "up --yes --skip-preview --continue-on-error --stack dev"]);
  });

  it("a stack with no resources: one pass too", () => {
    expect(upWith({ stacks: '[{"name":"dev","resourceCount":0}]', previewCode: 0 }).calls).toEqual(["up --yes --skip-preview --continue-on-error --stack dev"]);
  });

  it("nothing to change: the preview alone, and no update", () => {
    const r = upWith({ stacks: '[{"name":"organization/dev","resourceCount":67}]', previewCode: 0 });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(["preview --diff --expect-no-changes --stack dev"]);
  });

  it("changes proposed: shown by the preview, then applied, without the CLI's error line", () => {
    const r = upWith({ stacks: '[{"name":"dev","resourceCount":67}]', previewCode: 7 });
    expect(r.code).toBe(0);
    expect(r.calls).toEqual(["preview --diff --expect-no-changes --stack dev", "up --yes --skip-preview --continue-on-error --stack dev"]);
    expect(r.stderr).not.toContain("no changes were expected");
    expect(r.stderr).toContain("swarmlab: applying the changes above");
  });

  it("reads a local state file directly instead of asking the CLI (stack ls costs 0.2 s a run)", () => {
    const withResources = upWith({ stacks: "[]", previewCode: 0, stateFile: '{"checkpoint":{"latest":{"resources":[{"urn":"urn:pulumi:dev::swarmlab::pulumi:pulumi:Stack::swarmlab-dev","custom":false},{"urn":"urn:pulumi:dev::swarmlab::x::y"}]}}}' });
    expect(withResources).toMatchObject({ code: 0, listed: false, calls: ["preview --diff --expect-no-changes --stack dev"] });
    // a stack destroyed (no resources left): one pass, as for a new one
    const emptied = upWith({ stacks: "[]", previewCode: 0, stateFile: '{"checkpoint":{"latest":{"resources":null}}}' });
    expect(emptied).toMatchObject({ code: 0, listed: false, calls: ["up --yes --skip-preview --continue-on-error --stack dev"] });
  });

  it("asks the CLI when the backend is not a local folder", () => {
    const r = upWith({ stacks: '[{"name":"dev","resourceCount":67}]', previewCode: 0, stateFile: "{}", env: { PULUMI_BACKEND_URL: "s3://bucket/state" } });
    expect(r).toMatchObject({ code: 0, listed: true, calls: ["preview --diff --expect-no-changes --stack dev"] });
  });

  it("a preview that fails changes nothing, and exits with its code", () => {
    const r = upWith({ stacks: '[{"name":"dev","resourceCount":67}]', previewCode: 1 });
    expect(r.code).toBe(1);
    expect(r.calls).toEqual(["preview --diff --expect-no-changes --stack dev"]);
    expect(r.stderr).toContain("the preview failed: nothing was changed");
  });
});
