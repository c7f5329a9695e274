/**
 * components/stacks/schema/ports.ts: parsePortSpec, the short port syntax, against Docker's own
 * reading of it. `docker stack deploy` reads a short port (docker/cli, cli/compose/loader
 * toServicePortConfigs) with go-connections' nat.ParsePortSpec, then turns each mapping into swarm
 * port configs with docker/cli's opts.ConvertPortToPortConfig. dockerPorts below is that code
 * written again in TypeScript (as of go-connections' parsePortRange on strings.Cut and
 * strconv.ParseInt, and ConvertPortToPortConfig's loop over a published range); its own table pins
 * it to the cases that code decides.
 *
 * A table cannot cover the space, so the properties run over specs made from random parts (a seeded
 * generator: the same cases on every run): every valid spec reads as Docker reads it, ranges of
 * unequal length are refused, and a random string is refused or read as Docker reads it. Where
 * parsePortSpec departs from Docker, the case is listed at the end with Docker's answer, as a test
 * expected to fail until the parser follows Docker (it.fails).
 */
import { isIP } from "net";
import { describe, expect, it } from "vitest";
import { parsePortSpec, type PortRule } from "../../components/stacks/schema/ports";
import { seeded, type Random } from "../support/random";

/** A swarm port config as docker/cli builds it (published 0: none, the swarm picks one). */
interface SwarmPort {
  target: number;
  published: number;
  protocol: string;
}

const REFUSED = "refused";

/** Go's net.ParseIP: dotted IPv4 (no leading zeros) or IPv6, never a zone. */
const goParseIP = (s: string) => !s.includes("%") && isIP(s) !== 0;

/** The address part as ParsePortSpec checks it: "[...]" goes through net.SplitHostPort first. */
function dockerAddressOk(ip: string): boolean {
  if (ip === "") return true;
  if (!ip.startsWith("[")) return goParseIP(ip);
  const end = ip.indexOf("]");
  if (end !== ip.length - 1 || ip.indexOf("[", 1) >= 0) return false;
  return goParseIP(ip.slice(1, end));
}

/** go-connections parsePortNumber: strconv.ParseInt base 10 (a sign is allowed), then 0-65535. */
function natNumber(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 0 && n <= 65535 ? n : undefined;
}

/** go-connections parsePortRange: "start" or "start-end" (cut at the first "-"), end >= start. */
function natRange(s: string): [number, number] | undefined {
  if (s === "") return undefined;
  const dash = s.indexOf("-");
  const startText = dash < 0 ? s : s.slice(0, dash);
  const start = natNumber(startText);
  if (start === undefined) return undefined;
  if (dash < 0 || s.slice(dash + 1) === startText) return [start, start];
  const end = natNumber(s.slice(dash + 1));
  return end === undefined || end < start ? undefined : [start, end];
}

/** A short port as `docker stack deploy` reads it: its swarm port configs, or refused. */
function dockerPorts(spec: string): SwarmPort[] | typeof REFUSED {
  // nat.ParsePortSpec: splitParts, then SplitProtoPort
  const parts = spec.split(":");
  const n = parts.length;
  const [ip, hostPort, rawPort] = n === 1 ? ["", "", parts[0]] : n === 2 ? ["", parts[0], parts[1]] : [parts.slice(0, n - 2).join(":"), parts[n - 2], parts[n - 1]];
  const slash = rawPort.indexOf("/");
  const containerPort = slash < 0 ? rawPort : rawPort.slice(0, slash);
  const protocol = (slash < 0 || slash === rawPort.length - 1 ? "tcp" : rawPort.slice(slash + 1)).toLowerCase();
  if (containerPort === "" || !["tcp", "udp", "sctp"].includes(protocol) || !dockerAddressOk(ip)) return REFUSED;
  const target = natRange(containerPort);
  if (!target) return REFUSED;
  const host = hostPort === "" ? undefined : natRange(hostPort);
  if (hostPort !== "" && !host) return REFUSED;
  // unequal ranges: allowed only for a single container port (the host range is then all its published ports)
  if (host && host[1] - host[0] !== target[1] - target[0] && target[1] !== target[0]) return REFUSED;
  // one mapping per container port; opts.ConvertPortToPortConfig: one config per published port
  const count = target[1] - target[0] + 1;
  const ports: SwarmPort[] = [];
  for (let i = 0; i < count; i++) {
    const [from, to] = !host ? [0, 0] : count === 1 ? host : [host[0] + i, host[0] + i];
    for (let p = from; p <= to; p++) ports.push({ target: target[0] + i, published: p, protocol });
  }
  return ports;
}

const key = (p: SwarmPort) => `${p.target}/${p.published}/${p.protocol}`;
const sorted = (ports: SwarmPort[]) => [...ports].sort((a, b) => key(a).localeCompare(key(b)));

/** parsePortSpec's answer in docker's terms (what the swarm gets; the host IP it ignores). */
function swarmlabPorts(spec: string | number): SwarmPort[] | typeof REFUSED {
  const rules = parsePortSpec(spec);
  return typeof rules === "string" ? REFUSED : sorted(rules.map((r: PortRule) => ({ target: r.target, published: r.published ?? 0, protocol: r.protocol })));
}

const docker = (spec: string) => {
  const ports = dockerPorts(spec);
  return ports === REFUSED ? REFUSED : sorted(ports);
};

describe("dockerPorts (docker/cli's reading, written again)", () => {
  it.each<[string, SwarmPort[] | typeof REFUSED]>([
    ["80", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["8080:80", [{ target: 80, published: 8080, protocol: "tcp" }]],
    ["8080:80/udp", [{ target: 80, published: 8080, protocol: "udp" }]],
    ["127.0.0.1:8080:80", [{ target: 80, published: 8080, protocol: "tcp" }]],
    ["[::1]:8080:80/sctp", [{ target: 80, published: 8080, protocol: "sctp" }]],
    ["127.0.0.1::80", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["8000-8002:9000-9002", [9000, 9001, 9002].map((t, i) => ({ target: t, published: 8000 + i, protocol: "tcp" }))],
    ["8000-8002:80", [8000, 8001, 8002].map((p) => ({ target: 80, published: p, protocol: "tcp" }))],
    ["80/UDP", [{ target: 80, published: 0, protocol: "udp" }]],
    ["80/", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["0", [{ target: 0, published: 0, protocol: "tcp" }]],
    ["080:080", [{ target: 80, published: 80, protocol: "tcp" }]],
    ["8000-8001:80-82", REFUSED],
    ["8000:80-82", REFUSED],
    ["90-80", REFUSED],
    ["65536", REFUSED],
    ["80/icmp", REFUSED],
    ["/udp", REFUSED],
    ["127.0.0.1:80", REFUSED],
    ["[::1]:80", REFUSED],
    ["999.1.1.1:80:80", REFUSED],
    ["01.2.3.4:80:80", REFUSED],
    ["1-2-3", REFUSED],
    ["80/udp/x", REFUSED],
    ["[:]:8080:80", REFUSED],
    ["0:80", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["::1:8080:80", [{ target: 80, published: 8080, protocol: "tcp" }]],
    ["[1.2.3.4]:8080:80", [{ target: 80, published: 8080, protocol: "tcp" }]],
    [":8080:80", [{ target: 80, published: 8080, protocol: "tcp" }]],
    ["+80", [{ target: 80, published: 0, protocol: "tcp" }]],
  ])("%s", (spec, ports) => {
    expect(docker(spec)).toEqual(ports === REFUSED ? REFUSED : sorted(ports));
  });
});

// ---------------------------------------------------------------------------------------------
// Specs made from random parts
// ---------------------------------------------------------------------------------------------

const PROTOCOLS = ["tcp", "udp", "sctp"] as const;

function ipv4(r: Random): string {
  return Array.from({ length: 4 }, () => String(r.int(256))).join(".");
}

/** An IPv6 address in brackets, of hex groups, compressed with "::" or not. */
function ipv6(r: Random): string {
  const group = () => r.int(0x10000).toString(16);
  if (r.chance(0.3)) return `[${Array.from({ length: 8 }, group).join(":")}]`;
  const before = Array.from({ length: r.int(4) }, group);
  const after = Array.from({ length: r.int(8 - before.length) }, group);
  return `[${before.join(":")}::${after.join(":")}]`;
}

/** A port as written: sometimes with leading zeros (both parsers read "080" as 80). */
const written = (r: Random, port: number) => (r.chance(0.1) ? `0${port}` : String(port));

/** "a" or "a-b" for the range [a, a + extra]; a one-port range is sometimes written "a-a". */
function rangeText(r: Random, start: number, extra: number): string {
  if (extra > 0) return `${written(r, start)}-${written(r, start + extra)}`;
  return r.chance(0.15) ? `${start}-${start}` : written(r, start);
}

interface Generated {
  spec: string;
  target: [number, number];
  published?: [number, number];
  protocol?: (typeof PROTOCOLS)[number];
  address?: string;
}

/** A valid spec in the forms both read: ports 1-65535, equal ranges, lower-case protocols, an address with a published part (maybe empty). */
function validSpec(r: Random): Generated {
  const extra = r.chance(0.35) ? r.between(1, 40) : 0;
  const t = r.between(1, 65535 - extra);
  const target: [number, number] = [t, t + extra];
  const p = r.between(1, 65535 - extra);
  const published: [number, number] | undefined = r.chance(0.7) ? [p, p + extra] : undefined;
  const protocol = r.chance(0.5) ? r.pick(PROTOCOLS) : undefined;
  const address = r.chance(0.3) ? (r.chance(0.5) ? ipv4(r) : ipv6(r)) : undefined;
  let spec = rangeText(r, target[0], extra);
  if (published || address) spec = `${published ? rangeText(r, published[0], extra) : ""}:${spec}`;
  if (address) spec = `${address}:${spec}`;
  if (protocol) spec = `${spec}/${protocol}`;
  return { spec, target, published, protocol, address };
}

describe("parsePortSpec over random valid specs", () => {
  it("reads 3000 of them as docker does: one rule per target port, the published range alongside, the protocol (tcp by default)", () => {
    const r = seeded(20261205);
    for (let round = 0; round < 3000; round++) {
      const g = validSpec(r);
      const rules = parsePortSpec(g.spec);
      if (typeof rules === "string") throw new Error(`${g.spec}: refused (${rules})`);
      expect(swarmlabPorts(g.spec), g.spec).toEqual(docker(g.spec));
      // the same, said directly: ranges expand to lists of equal length, in step
      expect(rules.map((x) => x.target), g.spec).toEqual(Array.from({ length: g.target[1] - g.target[0] + 1 }, (_, i) => g.target[0] + i));
      expect(
        rules.map((x) => x.published),
        g.spec,
      ).toEqual(rules.map((_, i) => (g.published ? g.published[0] + i : undefined)));
      expect(new Set(rules.map((x) => x.protocol)), g.spec).toEqual(new Set([g.protocol ?? "tcp"]));
      expect(new Set(rules.map((x) => x.hostIp?.replace(/^\[(.*)\]$/, "$1"))), g.spec).toEqual(new Set([g.address?.replace(/^\[(.*)\]$/, "$1")]));
    }
  });

  it("reads a port given as a YAML number as its text", () => {
    const r = seeded(7);
    for (let round = 0; round < 500; round++) {
      const port = r.between(1, 65535);
      expect(parsePortSpec(port)).toEqual(parsePortSpec(String(port)));
      expect(swarmlabPorts(port)).toEqual(docker(String(port)));
    }
  });

  it("refuses 1000 target ranges with a published range of another length, as docker does", () => {
    const r = seeded(1205);
    for (let round = 0; round < 1000; round++) {
      const extra = r.between(1, 40);
      let other = r.between(0, 41);
      if (other === extra) other += 1;
      const t = r.between(1, 65535 - extra);
      const p = r.between(1, 65535 - other);
      const spec = `${rangeText(r, p, other)}:${rangeText(r, t, extra)}${r.chance(0.5) ? `/${r.pick(PROTOCOLS)}` : ""}`;
      expect(docker(spec), spec).toBe(REFUSED);
      expect(parsePortSpec(spec), spec).toBe("expected a published range as long as the target range");
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Random strings
// ---------------------------------------------------------------------------------------------

const TOKENS = [
  "", "0", "1", "8", "80", "080", "443", "8080", "65535", "65536", "99999", "+", "-", "-", ":", ":", ":", "/", "/",
  "tcp", "udp", "sctp", "UDP", "Tcp", "icmp", ".", "127.0.0.1", "0.0.0.0", "300.1.1.1", "1.2.3", "01.2.3.4",
  "[", "]", "::", "::1", "[::1]", "[fe80::1]", "[1.2.3.4]", "ffff", "a", " ", "\t", "%eth0",
];

/** A string from grammar-ish tokens, or a valid spec with one character changed, added or taken out. */
function garbage(r: Random): string {
  if (r.chance(0.3)) {
    const spec = validSpec(r).spec;
    const at = r.int(spec.length + 1);
    const ch = r.pick([...":-/.[]0123456789 aUx"]);
    return r.pick([spec.slice(0, at) + ch + spec.slice(at), spec.slice(0, at) + ch + spec.slice(at + 1), spec.slice(0, at) + spec.slice(at + 1)]);
  }
  return Array.from({ length: r.between(1, 7) }, () => r.pick(TOKENS)).join("");
}

/**
 * Where parsePortSpec takes a spec that docker refuses (see "known divergences" below): an address
 * followed by the target only, or an address docker's net.ParseIP does not take.
 */
function knownLenient(spec: string): string | undefined {
  const rules = parsePortSpec(spec);
  if (typeof rules === "string" || !rules[0]?.hostIp) return undefined;
  const { hostIp, published } = rules[0];
  if (!spec.startsWith(`${hostIp}::`) && published === undefined) return "an address with no published part";
  if (!dockerAddressOk(hostIp)) return "an address docker does not parse";
  return undefined;
}

describe("parsePortSpec over random strings", () => {
  it("refuses 10000 of them or reads them as docker does", () => {
    const r = seeded(42);
    let agreed = 0;
    let refused = 0;
    const lenient = new Map<string, number>();
    for (let round = 0; round < 10_000; round++) {
      const spec = garbage(r);
      const ours = swarmlabPorts(spec);
      if (ours === REFUSED) {
        refused++;
        continue;
      }
      const why = knownLenient(spec);
      if (why) {
        lenient.set(why, (lenient.get(why) ?? 0) + 1);
        continue;
      }
      expect(ours, JSON.stringify(spec)).toEqual(docker(spec));
      agreed++;
    }
    // the strings reach both sides of the grammar
    expect(agreed).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(5000);
    expect([...lenient.keys()].sort()).toEqual(["an address docker does not parse", "an address with no published part"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Known divergences from docker/cli, with Docker's answer (expected to fail until the parser follows
// it; Docker's side of each is in the table of dockerPorts above)
// ---------------------------------------------------------------------------------------------

describe("known divergences from docker/cli", () => {
  // parsePortSpec takes specs docker refuses: `docker stack deploy` of the same file fails
  it.fails.each([
    ["127.0.0.1:80", "an address and a target only: docker reads the address as the published port"],
    ["[::1]:80", "the same with an IPv6 address"],
    ["999.999.999.999:8080:80", "an address that is no IPv4 address"],
    ["01.2.3.4:8080:80", "an IPv4 address with a leading zero (Go's net.ParseIP refuses it)"],
    ["[:]:8080:80", "brackets around something that is no IPv6 address"],
  ])("docker refuses %s (%s)", (spec) => {
    expect(swarmlabPorts(spec)).toBe(docker(spec));
  });

  // parsePortSpec refuses specs docker takes: stricter, the user is told at plan time
  it.fails.each([
    ["8000-8010:80", "a published range for one target port: docker publishes the target on every port of the range"],
    ["80/UDP", "a protocol in upper case: docker lower-cases it"],
    ["80/", "an empty protocol: docker reads tcp"],
    ["0:80", "published port 0: docker reads no published port"],
    ["::1:8080:80", "an IPv6 address without brackets"],
    ["[1.2.3.4]:8080:80", "an IPv4 address in brackets"],
    [":8080:80", "an empty address"],
    ["+80", "a sign before the number (go-connections' ParseInt takes it)"],
  ])("docker takes %s (%s)", (spec) => {
    expect(swarmlabPorts(spec)).toEqual(docker(spec));
  });
});
