/**
 * components/command/sdkStacks.ts: the SDK's own stack captures are not source-mapped; every other
 * stack still is.
 */
import * as vm from "vm";
import { afterEach, describe, expect, it } from "vitest";
import { isSdkCapture, plainStack, sparingPrepare } from "../../components/command/sdkStacks";

/** A stack made by `new Error(message)` in a function whose code lives in `file`. */
function stackFrom(file: string, message = ""): string {
  const make = vm.runInThisContext(`(function capture(m) { return new Error(m).stack; })`, { filename: file }) as (m: string) => string;
  return make(message);
}

const saved = Error.prepareStackTrace;
afterEach(() => {
  Error.prepareStackTrace = saved;
});

describe("sparingPrepare", () => {
  // what the TypeScript runtime's formatter stands for: it marks what it formatted
  const mapped = (err: Error) => `MAPPED ${err.message}`;

  it("leaves the SDK's promise and resource captures to V8's own format", () => {
    Error.prepareStackTrace = sparingPrepare(mapped);
    for (const file of ["/p/node_modules/@pulumi/pulumi/runtime/debuggable.js", "/p/node_modules/@pulumi/pulumi/resource.js"]) {
      const stack = stackFrom(file);
      expect(stack.startsWith("Error\n    at capture (")).toBe(true);
      expect(stack).toContain(`${file}:1:`);
    }
  });

  it("maps every other stack: another file, or an error with a message made in those files", () => {
    Error.prepareStackTrace = sparingPrepare(mapped);
    expect(stackFrom("/p/components/swarm/cluster.ts")).toBe("MAPPED ");
    expect(stackFrom("/p/node_modules/@pulumi/pulumi/resource.js", "boom")).toBe("MAPPED boom");
    expect(stackFrom("/p/node_modules/@pulumi/pulumi/runtime/rpc.js")).toBe("MAPPED ");
  });
});

describe("the SDK's real capture sites (an SDK that moved them would silently lose the saving)", () => {
  it("its promise wrapper and Resource.callsites are captured in V8's format, without the mapping formatter", async () => {
    const seen: string[] = [];
    Error.prepareStackTrace = sparingPrepare((err, frames) => {
      seen.push(String(frames[0]?.getFileName()));
      return plainStack(err, frames);
    });
    // (internal to the SDK: not in its type declarations)
    const { debuggablePromise } = (await import("@pulumi/pulumi/runtime/debuggable")) as unknown as { debuggablePromise: <T>(p: Promise<T>, ctx: string) => Promise<T> };
    const p = Promise.resolve(2) as Promise<number> & { _debugStackTrace?: string };
    await debuggablePromise(p, "test");
    expect(p._debugStackTrace).toMatch(/^Error\n {4}at debuggablePromise \(.*@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js:\d+:\d+\)/);
    const { Resource } = await import("@pulumi/pulumi/resource");
    const sites = (Resource as unknown as { callsites: () => { fileName?: string }[] }).callsites();
    expect(sites.length).toBeGreaterThan(0);
    expect(seen).toEqual([]);
  });
});

describe("isSdkCapture and plainStack", () => {
  it("read the top frame's file and print frames as V8 does", () => {
    let frames: NodeJS.CallSite[] = [];
    let error: Error | undefined;
    Error.prepareStackTrace = (err, fs) => {
      error = err;
      frames = fs;
      return "";
    };
    stackFrom("/p/node_modules/@pulumi/pulumi/resource.js");
    Error.prepareStackTrace = saved;
    expect(error && isSdkCapture(error, frames)).toBe(true);
    expect(error && isSdkCapture(error, [])).toBe(false);
    expect(plainStack(new Error("x"), frames.slice(0, 1))).toMatch(/^Error: x\n {4}at capture \(\/p\/node_modules\/@pulumi\/pulumi\/resource\.js:1:\d+\)$/);
  });
});
