/** components/swarm/mtu.ts: the overlay MTU plan (auto from the nodes' interfaces, or set) and Docker's option. */
import { describe, expect, it } from "vitest";
import { DOCKER_DEFAULT_OVERLAY_MTU, overlayMtu, overlayMtuOption, parseMtu } from "../../components/swarm/mtu";

describe("overlayMtu", () => {
  it("auto on 1500 networks is Docker's own default: nothing is passed (labs made before see no change)", async () => {
    expect(overlayMtu("auto", { manager1: 1500, worker1: 1500 })).toEqual({ warnings: [] });
  });

  it("auto on Hetzner's 1450 private networks (hcloud) gives 1400", async () => {
    const plan = overlayMtu("auto", { manager1: 1450, worker1: 1450, worker2: 1450 });
    expect(plan.mtu).toBe(1400);
    expect(plan.warnings).toEqual([]);
    expect(plan.info).toBe("overlay networks get MTU 1400 (the hosts' smallest network MTU minus 50 bytes of VXLAN; Docker's default is 1450)");
  });

  it("auto takes the smallest interface: a packet must fit every path", async () => {
    expect(overlayMtu("auto", { a: 1500, b: 1450, c: 9000 }).mtu).toBe(1400);
    expect(overlayMtu("auto", { a: 9000, b: 9000 }).mtu).toBe(8950);
  });

  it("auto warns about nodes whose MTU could not be read and plans from the others", async () => {
    const plan = overlayMtu("auto", { a: 1450, b: undefined });
    expect(plan.mtu).toBe(1400);
    expect(plan.warnings).toEqual([expect.stringContaining("could not be read on b")]);
  });

  it("auto with nothing read leaves Docker's default", async () => {
    const plan = overlayMtu("auto", { a: undefined });
    expect(plan.mtu).toBeUndefined();
    expect(plan.warnings).toHaveLength(1);
  });

  it("a number is taken as it is, except Docker's default itself", async () => {
    expect(overlayMtu(1500, { a: 1450 }).mtu).toBe(1500);
    expect(overlayMtu(1400, {}).info).toContain("(swarm.mtu;");
    expect(overlayMtu(DOCKER_DEFAULT_OVERLAY_MTU, { a: 1450 }).mtu).toBeUndefined();
  });
});

describe("parseMtu", () => {
  it("reads the readiness gate's mtu= value", async () => {
    expect(parseMtu("1450")).toBe(1450);
    expect(parseMtu(" 1500\n")).toBe(1500);
    expect(parseMtu("")).toBeUndefined();
    expect(parseMtu(undefined)).toBeUndefined();
    expect(parseMtu("abc")).toBeUndefined();
    expect(parseMtu("10")).toBeUndefined();
  });
});

describe("overlayMtuOption", () => {
  it("is the network underneath: Docker takes VXLAN's 50 bytes off com.docker.network.driver.mtu", async () => {
    expect(overlayMtuOption(1400)).toBe("1450");
    expect(overlayMtuOption(1450)).toBe("1500");
  });
});
