/**
 * cli/lazySdkModules.cjs, preloaded into the Node processes the Pulumi CLI starts: the SDK no
 * longer loads @npmcli/arborist, TypeScript and its Automation API at start-up, and whatever uses them still gets the
 * real modules. Each case runs in a Node process of its own, as the preload would.
 */
import { spawnSync } from "child_process";
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

/** How many files of each deferred module are in Node's module cache, really loaded (not a stand-in). */
const LOADED = `
  const util = require("util");
  const files = () => Object.keys(require.cache);
  const realCount = (re) => files().filter((f) => re.test(f) && !util.types.isProxy(require.cache[f].exports)).length;
  const loaded = () => ({ arborist: realCount(/[\\\\/]@npmcli[\\\\/]arborist[\\\\/]/), pacote: realCount(/[\\\\/]pacote[\\\\/]/), typescript: realCount(/[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/), automation: realCount(/[\\\\/]@pulumi[\\\\/]pulumi[\\\\/]automation[\\\\/]/) });
`;

describe("lazySdkModules (preload)", () => {
  it("the SDK and the dynamic providers' runtime load without @npmcli/arborist, pacote, TypeScript or the Automation API", () => {
    const script = `${LOADED} require("@pulumi/pulumi"); require("@pulumi/pulumi/runtime/closure/serializeClosure"); console.log(JSON.stringify(loaded()));`;
    expect(inNode(script)).toEqual({ arborist: 0, pacote: 0, typescript: 0, automation: 0 });
    // Without it the SDK loads them all: what the preload is for (an SDK that stops doing so makes it useless).
    const without = inNode(script, false);
    expect(without.arborist).toBeGreaterThan(0);
    expect(without.pacote).toBeGreaterThan(0);
    expect(without.typescript).toBe(1);
    expect(without.automation).toBeGreaterThan(1);
  });

  it("code that uses them gets the real modules: the SDK's closure serialiser parses with TypeScript", () => {
    const script = `${LOADED}
      const pulumi = require("@pulumi/pulumi");
      class Greeter { constructor(n) { this.n = n; } hello() { return "hi " + this.n; } }
      const g = new Greeter("swarm");
      const s = pulumi.runtime.serializeFunction(() => g.hello());
      s.then((f) => console.log(JSON.stringify({ text: f.text.includes("hi "), ...loaded() })));`;
    expect(inNode(script)).toEqual({ text: true, arborist: 0, pacote: 0, typescript: 1, automation: 0 });
  });

  it("pulumi.automation is the real Automation API once used", () => {
    const script = `${LOADED}
      const pulumi = require("@pulumi/pulumi");
      const before = loaded().automation;
      const ws = typeof pulumi.automation.LocalWorkspace.create;
      console.log(JSON.stringify({ before, ws, after: loaded().automation > 1, same: pulumi.automation.LocalWorkspace === require("@pulumi/pulumi/automation").LocalWorkspace }));`;
    expect(inNode(script)).toEqual({ before: 0, ws: "function", after: true, same: true });
  });

  it("a stand-in behaves as the module: called, constructed, read, and through TypeScript's import helpers", () => {
    const script = `${LOADED}
      const ts = require("typescript");
      const js = ts.transpileModule('import * as ns from "@npmcli/arborist"; import def from "@npmcli/arborist"; module.exports = { ns, useDefault: () => def };', { compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true } }).outputText;
      const before = loaded().arborist;
      const m = { exports: {} };
      new Function("module", "exports", "require", js)(m, m.exports, require);
      const afterImport = loaded().arborist;
      const realPath = require.resolve("@npmcli/arborist", { paths: [require.resolve("@pulumi/pulumi/runtime/closure/codePaths.js")] });
      const standIn = require(realPath);
      const tree = new m.exports.ns.Arborist({ path: process.cwd() });
      const real = require(realPath);
      console.log(JSON.stringify({
        before, afterImport, loadedOnUse: loaded().arborist > 0,
        nsIsReal: m.exports.ns.Arborist === real.Arborist, defaultIsModule: m.exports.useDefault().Node === real.Node,
        constructed: tree instanceof real, newStandIn: new standIn({ path: process.cwd() }) instanceof real,
        keys: Object.keys(standIn).includes("Shrinkwrap"), nowReal: require(realPath) === real, version: typeof ts.version,
      }));`;
    expect(inNode(script)).toEqual({
      before: 0,
      afterImport: 0,
      loadedOnUse: true,
      nsIsReal: true,
      defaultIsModule: true,
      constructed: true,
      newStandIn: true,
      keys: true,
      nowReal: true,
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
