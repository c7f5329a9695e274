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
 * Each module is put in Node's module cache as a stand-in: an object that loads the real module on
 * first use and forwards every operation to it from then on. The stand-in stays the module's
 * cache entry for the whole process, so every `require` of it, before and after the load, gets
 * the same object (the SDK's closure serialiser finds captured modules by that identity).
 */
"use strict";
const Module = require("module");
const path = require("path");

/**
 * Caches a stand-in for `request` as the SDK (in folder `sdk`) resolves it. `callable`: the
 * module's export is a function or class (`typeof` must match the real export's; the stand-in is
 * then also called and constructed).
 */
function deferModule(request, sdk, callable) {
  let filename;
  try {
    filename = require.resolve(request, { paths: [sdk] });
  } catch {
    return; // not installed where the SDK would look: nothing to defer
  }
  if (require.cache[filename]) return;
  const standIn = new Module(filename, null);
  standIn.filename = filename;
  standIn.loaded = true; // what Node checks before handing out a cached module
  standIn.deferredLoaded = false; // the real module not loaded yet (tests and debugging read it)
  let real;
  const load = () => {
    if (!standIn.deferredLoaded) {
      // Node hands out a cached entry, so the stand-in steps aside while the real file loads.
      delete require.cache[filename];
      try {
        real = require(filename);
        standIn.deferredLoaded = true;
      } finally {
        require.cache[filename] = standIn;
      }
    }
    return real;
  };
  // A bound function has no own `prototype` (a plain function's is non-configurable, which a
  // proxy would have to report as is); an object for modules that export one.
  const target = callable ? function () {}.bind(null) : {};
  // Two keys the stand-in has when the real module does not: `__esModule` (answered without
  // loading), so that TypeScript's import helpers keep the stand-in itself instead of copying its
  // keys at import time (which would load the module), and `default`, the module itself (what a
  // default import of CommonJS gives), for the helpers that do copy (esbuild's).
  const synthetic = (m, key) => {
    if (Object.hasOwn(m, key)) return undefined;
    if (key === "__esModule") return { value: true, writable: false, enumerable: false };
    if (key === "default") return { value: standIn.exports, writable: false, enumerable: true };
    return undefined;
  };
  standIn.exports = new Proxy(target, {
    get: (_, key) => {
      if (key === "__esModule" && !standIn.deferredLoaded) return true;
      const m = load();
      return synthetic(m, key)?.value ?? Reflect.get(m, key);
    },
    has: (_, key) => key === "__esModule" || key === "default" || key in load(),
    ownKeys: () => {
      const m = load();
      return [...Reflect.ownKeys(m), ...["__esModule", "default"].filter((k) => synthetic(m, k))];
    },
    // Reported configurable: a proxy may not report a non-configurable property its target lacks.
    getOwnPropertyDescriptor: (_, key) => {
      const m = load();
      const d = Reflect.getOwnPropertyDescriptor(m, key) ?? synthetic(m, key);
      return d && { ...d, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(load()),
    set: (_, key, value) => Reflect.set(load(), key, value),
    // A non-configurable property is refused (the target would have to hold it too).
    defineProperty: (_, key, d) => d.configurable !== false && Reflect.defineProperty(load(), key, d),
    deleteProperty: (_, key) => Reflect.deleteProperty(load(), key),
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
  deferModule("@npmcli/arborist", sdk, true);
  deferModule("typescript", sdk, false);
  deferModule("@pulumi/pulumi/automation", sdk, false);
}
