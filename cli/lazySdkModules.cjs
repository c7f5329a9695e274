/*
 * Preloaded (NODE_OPTIONS=--require, set by cli/lib.sh and tools/lab.ts) into the Node processes
 * the Pulumi CLI starts: the program and the dynamic providers' host.
 *
 * @pulumi/pulumi loads large modules at start-up that these processes never use:
 *   - @npmcli/arborist (with pacote and the npm registry client), for computeCodePaths, which
 *     packages a program's node_modules for serverless functions;
 *   - typescript, for the closure parser, which serialises functions in the program. The providers'
 *     host only runs what was serialised; the program's ts-node loads TypeScript anyway;
 *   - the Automation API (`pulumi.automation`, with execa), which drives the CLI from outside.
 * They took 0.4 of the providers' host's 0.5 s start on 2 cores, and 0.17 s of the program's.
 * The host starts when the first command resource registers, and every drift check waits for it.
 *
 * Each module is put in Node's module cache as a stand-in that loads the real one on first use,
 * then hands over: anything that uses them still gets the real module.
 */
"use strict";
const Module = require("module");
const path = require("path");

/**
 * Caches a stand-in for `request` as resolved from `from`. `callable`: the module's export is a
 * function or class (the stand-in can then be called and constructed too).
 */
function deferModule(request, from, callable) {
  let filename;
  try {
    filename = require.resolve(request, { paths: [from] });
  } catch {
    return; // not installed where the SDK would look: nothing to defer
  }
  if (require.cache[filename]) return;
  let real;
  const load = () => {
    if (real === undefined) {
      delete require.cache[filename];
      real = require(filename);
    }
    return real;
  };
  const target = callable ? function () {} : {};
  const standIn = new Module(filename, null);
  standIn.filename = filename;
  standIn.loaded = true;
  // `__esModule` so that TypeScript's import helpers keep the stand-in itself instead of copying
  // its keys (which would load the module): `import * as m` reads m.x on use, and a default import
  // of a CommonJS module is the module itself, as without the stand-in.
  standIn.exports = new Proxy(target, {
    get: (_, key) => {
      if (key === "__esModule") return true;
      const m = load();
      return key === "default" && !("default" in m) ? m : m[key];
    },
    has: (_, key) => key in load(),
    ownKeys: () => [...new Set([...Reflect.ownKeys(load()), ...Reflect.ownKeys(target)])],
    getOwnPropertyDescriptor: (_, key) => {
      const own = Reflect.getOwnPropertyDescriptor(target, key);
      if (own && !own.configurable) return own; // a function's `prototype`: the proxy's invariants
      const d = Reflect.getOwnPropertyDescriptor(load(), key);
      return d && { ...d, configurable: true };
    },
    apply: (_, self, args) => Reflect.apply(load(), self, args),
    construct: (_, args, newTarget) => Reflect.construct(load(), args, newTarget === standIn.exports ? load() : newTarget),
  });
  require.cache[filename] = standIn;
}

let sdk;
try {
  sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [path.join(__dirname, "..")] }));
} catch {
  sdk = undefined; // npm install has not run yet: nothing to defer
}
if (sdk) {
  deferModule("@npmcli/arborist", path.join(sdk, "runtime", "closure"), true);
  deferModule("typescript", sdk, false);
  deferModule("@pulumi/pulumi/automation", sdk, false);
}
