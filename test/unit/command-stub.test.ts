/**
 * components/command/stub.ts: the stub stands in for a provider, and is one object per provider
 * (the SDK caches a provider's serialisation by object identity).
 */
import { describe, expect, it } from "vitest";
import { providerStub } from "../../components/command/stub";

describe("providerStub", () => {
  const provider = { create: async () => ({ id: "x", outs: {} }), diff: async () => ({ changes: false }) };

  it("has the provider's methods, and no others", () => {
    expect(Object.keys(providerStub(provider, "components/command/provider.ts", "provider")).sort()).toEqual(["create", "diff"]);
  });

  it("is one object per file and export, whichever resource asks", () => {
    const a = providerStub(provider, "components/x.ts", "one");
    expect(providerStub({ ...provider }, "components/x.ts", "one")).toBe(a);
    expect(providerStub(provider, "components/x.ts", "other")).not.toBe(a);
    expect(providerStub(provider, "components/y.ts", "one")).not.toBe(a);
  });
});
