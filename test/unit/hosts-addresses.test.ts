/**
 * components/hosts/addresses.ts: address assignment (a table of cases and a property test), and the
 * lab labels of components/hosts/host.ts.
 */
import { describe, expect, it } from "vitest";
import { assignAddresses, fnv1a } from "../../components/hosts/addresses";
import { labLabels } from "../../components/hosts/host";

const DEV = ["manager1", "worker1", "worker2"];

function inSubnet24(ip: string, prefix: string): boolean {
  const parts = ip.split(".");
  const last = Number(parts[3]);
  return parts.slice(0, 3).join(".") === prefix && parts.length === 4 && last >= 10 && last <= 249;
}

describe("assignAddresses", () => {
  it("gives the dev nodes fixed addresses from their names", async () => {
    expect(Object.fromEntries(assignAddresses("172.28.0.0/24", DEV))).toEqual({
      manager1: "172.28.0.129",
      worker1: "172.28.0.172",
      worker2: "172.28.0.233",
    });
  });

  it("keeps every other node's address when a node is added", async () => {
    const before = assignAddresses("172.28.0.0/24", DEV);
    const after = assignAddresses("172.28.0.0/24", [...DEV, "worker3", "manager2"]);
    for (const name of DEV) expect(after.get(name)).toBe(before.get(name));
    expect(after.size).toBe(5);
  });

  it("keeps every other node's address when a node is removed", async () => {
    const before = assignAddresses("172.28.0.0/24", [...DEV, "worker3"]);
    const after = assignAddresses("172.28.0.0/24", ["manager1", "worker2", "worker3"]);
    for (const name of ["manager1", "worker2", "worker3"]) expect(after.get(name)).toBe(before.get(name));
  });

  it("does not depend on the order of the nodes (without hash collisions)", async () => {
    const a = assignAddresses("172.28.0.0/24", DEV);
    const b = assignAddresses("172.28.0.0/24", [...DEV].reverse());
    expect(Object.fromEntries(b)).toEqual(Object.fromEntries(a));
  });

  it("gives unique addresses inside the subnet, from .10 to .249, for many nodes", async () => {
    const names = Array.from({ length: 200 }, (_, i) => `node${i}`);
    const ips = [...assignAddresses("10.1.2.0/24", names).values()];
    expect(new Set(ips).size).toBe(200);
    expect(ips.filter((ip) => !inSubnet24(ip, "10.1.2"))).toEqual([]);
  });

  it("moves a name whose slot is taken to the next free one", async () => {
    // node9 and node10 hash to the same slot (92)
    expect(fnv1a("node9") % 240).toBe(fnv1a("node10") % 240);
    expect(Object.fromEntries(assignAddresses("172.28.0.0/24", ["node9", "node10"]))).toEqual({ node9: "172.28.0.102", node10: "172.28.0.103" });
  });

  it("keeps a pinned address, and the others stay clear of it: a pin settles a clash for good", async () => {
    // without the pin, removing node9 moves node10 from .103 to .102; pinned, node10 keeps .103
    const pinned = { node10: "172.28.0.103" };
    expect(Object.fromEntries(assignAddresses("172.28.0.0/24", ["node9", "node10"], pinned))).toEqual({ node9: "172.28.0.102", node10: "172.28.0.103" });
    expect(Object.fromEntries(assignAddresses("172.28.0.0/24", ["node10"], pinned))).toEqual({ node10: "172.28.0.103" });
    // a name hashing onto a pinned slot moves on
    expect(Object.fromEntries(assignAddresses("172.28.0.0/24", ["node9"], { other: "172.28.0.102" }))).toEqual({ node9: "172.28.0.103" });
  });

  it("fills all 240 slots and refuses one more (instead of searching forever)", async () => {
    const names = Array.from({ length: 240 }, (_, i) => `n${i}`);
    expect(new Set(assignAddresses("172.28.0.0/24", names).values()).size).toBe(240);
    expect(() => assignAddresses("172.28.0.0/24", [...names, "one-more"])).toThrow("docker-lab: at most 240 nodes fit in 172.28.0.0/24");
  });

  it("refuses a subnet smaller than a /24", async () => {
    expect(() => assignAddresses("172.28.0.0/25", DEV)).toThrow("docker-lab subnet 172.28.0.0/25: expected a /24 or larger network");
  });

  it("uses the first three octets of a larger subnet", async () => {
    expect(assignAddresses("10.20.0.0/16", ["manager1"]).get("manager1")).toBe("10.20.0.129");
  });

  it("hashes with FNV-1a (32 bit)", async () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });
  // Properties over many random clusters (a seeded generator: the same cases on every run), where a
  // table of examples cannot cover the space: unique, in range, stable when others come and go.
  it("holds its properties over 500 random clusters: unique addresses in .10-.249, pins kept, others unmoved by a removal", () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 500; round++) {
      const names = [...new Set(Array.from({ length: 1 + rand(60) }, () => `n${rand(1000)}`))];
      const pinnedName = names[rand(names.length)];
      const pinned = rand(2) ? { [pinnedName]: `10.9.8.${10 + rand(240)}` } : {};
      const got = assignAddresses("10.9.8.0/24", names, pinned);
      const ips = [...got.values()];
      expect(got.size).toBe(names.length);
      expect(new Set(ips).size).toBe(ips.length);
      expect(ips.filter((ip) => !inSubnet24(ip, "10.9.8"))).toEqual([]);
      for (const [name, ip] of Object.entries(pinned)) expect(got.get(name)).toBe(ip);
      // removing the last-listed unpinned node moves nobody: it took its slot after all the others
      const gone = names.filter((n) => !(n in pinned)).pop();
      if (gone === undefined) continue;
      const after = assignAddresses("10.9.8.0/24", names.filter((n) => n !== gone), pinned);
      for (const n of names) if (n !== gone) expect(after.get(n), `${n} after removing ${gone}`).toBe(got.get(n));
    }
  });
});

describe("labLabels", () => {
  it("puts the cluster first and keeps extra labels", async () => {
    expect(labLabels("lab", { "swarmlab.stack": "web" })).toEqual({ "swarmlab.cluster": "lab", "swarmlab.stack": "web" });
  });
});
