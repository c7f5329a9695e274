/**
 * cli/lazySdkModules.cjs, preloaded into the Node processes the Pulumi CLI starts: the SDK no
 * longer loads @npmcli/arborist, TypeScript and its Automation API at start-up, and whatever uses them still gets the
 * real modules. Each case runs in a Node process of its own, as the preload would.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { tmp } from "../support/tmp";

const ROOT = path.resolve(__dirname, "../..");
const PRELOAD = path.join(ROOT, "cli/lazySdkModules.cjs");

/** Runs `script` (CommonJS) from the project root, with the preload or without it; its JSON result. */
function inNode(script: string, preload = true, file = PRELOAD): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...(preload ? ["--require", file] : []), "-e", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  // Node's own warnings aside (the SDK's serialiser reads every built-in module, `sys` and `wasi` too)
  expect(r.stderr.split("\n").filter((l) => l && !/Warning: |--trace-deprecation/.test(l))).toEqual([]);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/**
 * Where each deferred module stands in the process: "deferred" (its stand-in, not loaded yet),
 * "loaded" (really loaded), or "absent"; pacote (loaded by arborist) "loaded" or "absent".
 */
const LOADED = `
  const state = (re) => {
    const f = Object.keys(require.cache).find((f) => re.test(f));
    return !f ? "absent" : require.cache[f].deferredLoaded === false ? "deferred" : "loaded";
  };
  const loaded = () => ({
    arborist: state(/[\\\\/]@npmcli[\\\\/]arborist[\\\\/]lib[\\\\/]index\\.js$/),
    pacote: Object.keys(require.cache).some((f) => /[\\\\/]pacote[\\\\/]/.test(f)) ? "loaded" : "absent",
    typescript: state(/[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/),
    automation: state(/[\\\\/]@pulumi[\\\\/]pulumi[\\\\/]automation[\\\\/]index\\.js$/),
  });
`;

describe("lazySdkModules (preload)", () => {
  it("the SDK and the dynamic providers' runtime load without @npmcli/arborist, pacote, TypeScript or the Automation API", () => {
    const script = `${LOADED} require("@pulumi/pulumi"); require("@pulumi/pulumi/runtime/closure/serializeClosure"); console.log(JSON.stringify(loaded()));`;
    expect(inNode(script)).toEqual({ arborist: "deferred", pacote: "absent", typescript: "deferred", automation: "deferred" });
    // Without it the SDK loads them all: what the preload is for (an SDK that stops doing so makes it useless).
    expect(inNode(script, false)).toEqual({ arborist: "loaded", pacote: "loaded", typescript: "loaded", automation: "loaded" });
  });

  it("the dynamic providers' host starts with it and answers on its port", async () => {
    const host = spawn(process.execPath, ["--require", PRELOAD, path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/dynamic-provider"), "127.0.0.1:1"], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: "" } });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        host.stdout.on("data", (d: Buffer) => (out += d.toString()).includes("\n") && resolve(out.trim()));
        host.on("exit", (code) => reject(new Error(`the host exited (${code})`)));
      });
      expect(port).toMatch(/^\d+$/);
    } finally {
      host.kill();
    }
  });

  it("code that uses them gets the real modules: the SDK's closure serialiser parses with TypeScript", () => {
    const script = `${LOADED}
      const pulumi = require("@pulumi/pulumi");
      class Greeter { constructor(n) { this.n = n; } hello() { return "hi " + this.n; } }
      const g = new Greeter("swarm");
      pulumi.runtime.serializeFunction(() => g.hello()).then((f) => console.log(JSON.stringify({ text: f.text.includes("hi "), ...loaded() })));`;
    expect(inNode(script)).toEqual({ text: true, arborist: "deferred", pacote: "absent", typescript: "loaded", automation: "deferred" });
  });

  it("a closure that captures a deferred module is serialised as a require of it, as without the preload", () => {
    const script = `
      const pulumi = require("@pulumi/pulumi");
      const auto = require("@pulumi/pulumi/automation");
      pulumi.runtime.serializeFunction(() => auto.fullyQualifiedStackName).then((f) => console.log(JSON.stringify({ required: f.text.includes('require("@pulumi/pulumi/automation/index.js")'), length: f.text.length })));`;
    const withIt = inNode(script);
    expect(withIt.required).toBe(true);
    expect(withIt).toEqual(inNode(script, false));
  });

  it("pulumi.automation is the real Automation API once used, and stays the same object", () => {
    const script = `${LOADED}
      const pulumi = require("@pulumi/pulumi");
      const before = loaded().automation;
      const ws = typeof pulumi.automation.LocalWorkspace.create;
      console.log(JSON.stringify({ before, ws, after: loaded().automation, same: pulumi.automation === require("@pulumi/pulumi/automation") }));`;
    expect(inNode(script)).toEqual({ before: "deferred", ws: "function", after: "loaded", same: true });
  });

  it("a stand-in behaves as the module: called, constructed, read, written, and through TypeScript's and esbuild's import helpers", () => {
    const script = `${LOADED}
      const ts = require("typescript");
      const js = ts.transpileModule('import * as ns from "@npmcli/arborist"; import def from "@npmcli/arborist"; module.exports = { ns, useDefault: () => def };', { compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true } }).outputText;
      const before = loaded().arborist;
      const m = { exports: {} };
      new Function("module", "exports", "require", js)(m, m.exports, require);
      const afterImport = loaded().arborist;
      const A = require("@npmcli/arborist");
      const tree = new m.exports.ns.Arborist({ path: process.cwd() });
      // esbuild's (tsx's) default import of CommonJS copies the own keys, "default" among them
      const copied = {}; for (const k of Object.getOwnPropertyNames(ts)) copied[k] = ts[k];
      A.patched = 42; const written = A.patched; delete A.patched;
      console.log(JSON.stringify({
        before, afterImport, loadedOnUse: loaded().arborist,
        nsIsModule: m.exports.ns === A, defaultIsModule: m.exports.useDefault() === A, callable: typeof A,
        constructed: tree instanceof A && Object.getPrototypeOf(tree) === A.prototype, newStandIn: new A({ path: process.cwd() }) instanceof A.Arborist,
        keys: Object.keys(A).includes("Shrinkwrap"), written, deleted: "patched" in A, esbuildDefault: copied.default === ts, version: typeof ts.version,
      }));`;
    expect(inNode(script)).toEqual({
      before: "deferred",
      afterImport: "deferred",
      loadedOnUse: "loaded",
      nsIsModule: true,
      defaultIsModule: true,
      callable: "function",
      constructed: true,
      newStandIn: true,
      keys: true,
      written: 42,
      deleted: false,
      esbuildDefault: true,
      version: "string",
    });
  });

  it("does nothing where the SDK is not installed (npm install has not run yet)", () => {
    const dir = tmp("swarmlab-nosdk-");
    fs.mkdirSync(path.join(dir, "cli"));
    const copy = path.join(dir, "cli/lazySdkModules.cjs");
    fs.copyFileSync(PRELOAD, copy);
    const r = spawnSync(process.execPath, ["--require", copy, "-e", "console.log(Object.keys(require.cache).length)"], { cwd: dir, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "", NODE_PATH: "" } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(Number(r.stdout.trim())).toBe(1); // the preload alone
  });
});
