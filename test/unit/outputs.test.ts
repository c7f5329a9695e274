/**
 * components/outputs.ts: one error per failure. An exported output whose resource failed keeps its
 * last deployed value; the SDK's rejections of that failure become one error without a stack trace,
 * which still ends the program in error (so the engine deletes nothing).
 */
import { EventEmitter } from "events";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { isFailedRegistration, keepLastOnFailure, LEFT_AS_THEY_WERE, reportFailuresOnce } from "../../components/outputs";
import { resolve, setupMocks, unhandledRejections } from "../support/mocks";

const failed = () => new Error("resource lab-worker1-join [pulumi-nodejs:dynamic/swarmlab:Command] failed to register");

describe("isFailedRegistration", () => {
  it("knows the SDK's rejection for a failed or skipped resource, wrapped or not, and nothing else", () => {
    expect(isFailedRegistration(failed())).toBe(true);
    expect(isFailedRegistration(new Error(`error serializing property "outputs": ${failed().message}`))).toBe(true);
    expect(isFailedRegistration(new Error("Cannot read properties of undefined (reading 'trim')"))).toBe(false);
    expect(isFailedRegistration("resource x [t] failed to register")).toBe(false);
  });
});

describe("keepLastOnFailure", () => {
  beforeAll(async () => {
    await setupMocks();
  });
  const last = { getOutput: (k: string) => pulumi.output({ nodes: "last nodes", leader: "manager2" }[k]) };

  it("keeps the last deployed value of an output whose resource failed, and passes the others", async () => {
    const rejected = pulumi.output(Promise.reject(failed()));
    const out = keepLastOnFailure({ cluster: "lab", nodes: rejected, leader: pulumi.output("manager1") }, last);
    expect(out.cluster).toBe("lab");
    expect(await resolve(out.nodes as pulumi.Output<unknown>)).toBe("last nodes");
    expect(await resolve(out.leader as pulumi.Output<unknown>)).toBe("manager1");
  });

  it("lets any other error through", async () => {
    // the SDK's own promises around the output reject too, unawaited: collected here, not left to vitest
    const sdk = await unhandledRejections(async () => {
      const out = keepLastOnFailure({ leader: pulumi.output(Promise.reject(new Error("a bug"))) }, last);
      // the Output's own promise (resolve() of the mocks waits for a value, which never comes)
      const settled = (out.leader as unknown as { promise(): Promise<unknown> }).promise();
      await expect(settled).rejects.toThrow("a bug");
    });
    expect(new Set(sdk)).toEqual(new Set(["a bug"]));
  });
});

describe("reportFailuresOnce", () => {
  it("hands the first failed-registration rejection on as one RunError without a stack trace, drops the rest, and hands every other error on as it is", () => {
    const proc = new EventEmitter();
    const seen: unknown[] = [];
    proc.on("unhandledRejection", (e) => seen.push(e));
    proc.on("uncaughtException", (e) => seen.push(e));
    reportFailuresOnce(proc);
    const bug = new Error("a bug");
    proc.emit("unhandledRejection", failed());
    proc.emit("uncaughtException", failed());
    proc.emit("unhandledRejection", new Error(`error serializing property "x": ${failed().message}`));
    proc.emit("unhandledRejection", bug);
    expect(seen).toHaveLength(2);
    // Pulumi's handlers then end the program in error: the engine deletes nothing in this run
    expect(pulumi.RunError.isInstance(seen[0])).toBe(true);
    expect((seen[0] as Error).message).toBe(LEFT_AS_THEY_WERE);
    expect((seen[0] as Error).stack).toBe(LEFT_AS_THEY_WERE);
    expect(seen[1]).toBe(bug);
  });
});
