/*
 * What Pulumi stores in the state as a dynamic resource's provider (`__provider`): a few lines that
 * load the real provider from the project when they run. The engine runs a dynamic resource's
 * delete with the provider stored at its last create or update, so a fully serialised provider
 * (15 to 30 KB of code per resource) kept running the code of whichever swarmlab version last
 * touched that resource; the stub makes every run use this checkout's code, and keeps the state
 * small. The dynamic-provider host is plain node started in the program's directory: tsx (which
 * the npm scripts run with too) compiles the TypeScript there.
 */
import type * as pulumi from "@pulumi/pulumi";

const METHODS = ["check", "diff", "create", "read", "update", "delete"] as const;

/**
 * A stub for `provider`, the export `exportName` of `file` (relative to the project): it has the
 * methods the provider has, each loading the provider (once per process) and calling it.
 */
export function providerStub<I, O>(provider: pulumi.dynamic.ResourceProvider<I, O>, file: string, exportName: string): pulumi.dynamic.ResourceProvider<I, O> {
  // One stub object per provider: the SDK caches a provider's serialised text by object identity,
  // so every resource of the program shares one serialisation (a new stub per resource cost a
  // closure serialisation, through the V8 inspector, per resource at every preview and up).
  const key = `${file}#${exportName}`;
  const made = stubs.get(key);
  if (made) return made as pulumi.dynamic.ResourceProvider<I, O>;
  const stub = makeStub(provider, file, exportName);
  stubs.set(key, stub as pulumi.dynamic.ResourceProvider<unknown, unknown>);
  return stub;
}

const stubs = new Map<string, pulumi.dynamic.ResourceProvider<unknown, unknown>>();

function makeStub<I, O>(provider: pulumi.dynamic.ResourceProvider<I, O>, file: string, exportName: string): pulumi.dynamic.ResourceProvider<I, O> {
  // Only strings are captured by what is returned: the serialised stub holds no implementation.
  const load = (): Record<string, (...args: unknown[]) => unknown> => {
    const cache = globalThis as { swarmlabProviders?: Record<string, Record<string, (...args: unknown[]) => unknown>> };
    cache.swarmlabProviders ??= {};
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tsx = require("tsx/cjs/api") as { require: (id: string, fromFile: string) => Record<string, Record<string, (...args: unknown[]) => unknown>> };
    return (cache.swarmlabProviders[`${file}#${exportName}`] ??= tsx.require(`./${file}`, `${process.cwd()}/index.ts`)[exportName]);
  };
  const call = (method: string) => (...args: unknown[]) => load()[method](...args);
  const methods = METHODS.filter((m) => typeof provider[m] === "function");
  return Object.fromEntries(methods.map((m) => [m, call(m)])) as unknown as pulumi.dynamic.ResourceProvider<I, O>;
}
