/**
 * components/stacks/schema/ports.ts: parsePortSpec, the short port syntax, against Docker's own
 * reading of it. `docker stack deploy` reads a short port (docker/cli, cli/compose/loader
 * toServicePortConfigs) with go-connections' nat.ParsePortSpec, then turns each mapping into swarm
 * port configs with docker/cli's opts.ConvertPortToPortConfig. dockerPorts below is that code
 * written again in TypeScript, as the real CLIs behave: Docker 28.2.2 (`docker stack config -c`) and
 * the 20.10 CLI of the lab's managers (swarmlab/node, `docker stack deploy` against a stub daemon
 * that records the services it is asked to create) were run on every spec of its table, of the lists
 * at the end and on about a thousand specs of the generators below, and agree with it. Both split
 * the protocol at every "/" and a range at every "-" (the parts after the second are ignored) and
 * read numbers with strconv.ParseUint (no sign); go-connections v0.6 (Cut, ParseInt), in docker/cli
 * after 28, reads "+80", "1-2-3" and "80/udp/x" otherwise, which was not checked here. The one
 * difference between 20.10 and 28 is an IPv6 address without brackets ("::1:8080:80"): 20.10's
 * go-connections passes every address through net.SplitHostPort(ip + ":") and refuses it, 28 takes
 * it; dockerPorts follows 28 (the table marks those rows).
 *
 * A table cannot cover the space, so the properties run over specs made from random parts (a seeded
 * generator: the same cases on every run): every valid spec reads as Docker reads it, ranges of
 * unequal length are refused, and a random string is refused exactly when Docker refuses it, and
 * otherwise read as Docker reads it. The cases where parsePortSpec once departed from Docker are
 * listed at the end with Docker's answer and, for a refusal, the message.
 */
import { isIP } from "net";
import { describe, expect, it } from "vitest";
import { parsePortSpec, portEntry, portRules, type PortRule } from "../../components/stacks/schema/ports";
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

/** A port number as go-connections reads it: strconv.ParseUint(s, 10, 16), ASCII digits only (no sign), 0-65535. */
function natNumber(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** go-connections ParsePortRange: "start" or "start-end", split at every "-" (parts after the second ignored), end >= start. */
function natRange(s: string): [number, number] | undefined {
  if (s === "") return undefined;
  const parts = s.split("-");
  const start = natNumber(parts[0]);
  if (start === undefined) return undefined;
  if (parts.length === 1) return [start, start];
  const end = natNumber(parts[1]);
  return end === undefined || end < start ? undefined : [start, end];
}

/** A short port as `docker stack deploy` reads it: its swarm port configs, or refused. */
function dockerPorts(spec: string): SwarmPort[] | typeof REFUSED {
  // nat.ParsePortSpec: splitParts, then SplitProtoPort
  const parts = spec.split(":");
  const n = parts.length;
  const [ip, hostPort, rawPort] = n === 1 ? ["", "", parts[0]] : n === 2 ? ["", parts[0], parts[1]] : [parts.slice(0, n - 2).join(":"), parts[n - 2], parts[n - 1]];
  // SplitProtoPort: split at every "/", the second part the protocol (empty: tcp), more parts ignored
  const [containerPort, proto = ""] = rawPort.split("/");
  const protocol = (proto === "" ? "tcp" : proto).toLowerCase();
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

const sorted = (ports: SwarmPort[]) => [...ports].sort((a, b) => a.target - b.target || a.published - b.published || a.protocol.localeCompare(b.protocol));

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
  // every row checked against Docker 28.2.2 and 20.10 (see the top of the file)
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
    ["1-2-3", [1, 2].map((t) => ({ target: t, published: 0, protocol: "tcp" }))],
    ["80-81-", [80, 81].map((t) => ({ target: t, published: 0, protocol: "tcp" }))],
    ["8000-8002-x:80", [8000, 8001, 8002].map((p) => ({ target: 80, published: p, protocol: "tcp" }))],
    ["80/udp/x", [{ target: 80, published: 0, protocol: "udp" }]],
    ["80//udp", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["80/UDP/", [{ target: 80, published: 0, protocol: "udp" }]],
    ["[:]:8080:80", REFUSED],
    ["0:80", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["0-2:80", [0, 1, 2].map((p) => ({ target: 80, published: p, protocol: "tcp" }))],
    ["0-2:80-82", [0, 1, 2].map((p) => ({ target: 80 + p, published: p, protocol: "tcp" }))],
    ["0-1", [0, 1].map((t) => ({ target: t, published: 0, protocol: "tcp" }))],
    ["00080", [{ target: 80, published: 0, protocol: "tcp" }]],
    // Docker 28 takes an IPv6 address without brackets; the 20.10 CLI refuses these three ("too many colons in address")
    ["::1:8080:80", [{ target: 80, published: 8080, protocol: "tcp" }]],
    ["::1::80", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["::ffff:1.2.3.4:80:80", [{ target: 80, published: 80, protocol: "tcp" }]],
    ["::80", [{ target: 80, published: 0, protocol: "tcp" }]],
    [":::80", REFUSED],
    ["::8080:80", REFUSED],
    ["[1.2.3.4]:8080:80", [{ target: 80, published: 8080, protocol: "tcp" }]],
    ["[1.2.3.4]::80", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["fe80::1%eth0:8080:80", REFUSED],
    ["[fe80::1%eth0]:8080:80", REFUSED],
    [":8080:80", [{ target: 80, published: 8080, protocol: "tcp" }]],
    [":80", [{ target: 80, published: 0, protocol: "tcp" }]],
    ["+80", REFUSED],
    ["-80", REFUSED],
    ["80-+90", REFUSED],
    ["+8080:80", REFUSED],
    [" 80", REFUSED],
    ["80-", REFUSED],
    ["80:/udp", REFUSED],
    ["8001-8000:80", REFUSED],
    ["localhost:8080:80", REFUSED],
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

describe("parsePortSpec over random forms beyond the common ones", () => {
  it("reads 1000 single target ports (0 too) with a published range, any protocol case, addresses in every form, as docker does", () => {
    const r = seeded(2812);
    const protocols = ["", "/", "/tcp", "/UDP", "/Sctp", "/udp/x"];
    for (let round = 0; round < 1000; round++) {
      const target = r.between(0, 65535);
      const extra = r.int(30);
      const low = r.between(0, 65535 - extra);
      const address = r.pick(["", ":", "1.2.3.4:", "[::1]:", "::1:", "[1.2.3.4]:", `${ipv4(r)}:`, `${ipv6(r)}:`]);
      const protocol = r.pick(protocols);
      const spec = `${address}${rangeText(r, low, extra)}:${written(r, target)}${protocol}`;
      const rules = parsePortSpec(spec);
      if (typeof rules === "string") throw new Error(`${spec}: refused (${rules})`);
      expect(swarmlabPorts(spec), spec).toEqual(docker(spec));
      // one rule per published port, published 0 left out (the swarm picks one)
      expect(rules.map((x) => x.target), spec).toEqual(Array.from({ length: extra + 1 }, () => target));
      expect(rules.map((x) => x.published ?? 0), spec).toEqual(Array.from({ length: extra + 1 }, (_, i) => low + i));
      expect(rules.filter((x) => x.published === 0), spec).toEqual([]);
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

const asText = (ports: SwarmPort[] | typeof REFUSED) => (ports === REFUSED ? REFUSED : ports.map((p) => `${p.target}/${p.published}/${p.protocol}`).join(" "));

describe("parsePortSpec over random strings", () => {
  it("refuses 10000 of them exactly when docker does, and reads the rest as docker does", () => {
    const r = seeded(42);
    let agreed = 0;
    let refused = 0;
    for (let round = 0; round < 10_000; round++) {
      const spec = garbage(r);
      const ours = swarmlabPorts(spec);
      // as text: a deleted digit can make a range of tens of thousands of ports
      expect(asText(ours), JSON.stringify(spec)).toBe(asText(docker(spec)));
      if (ours === REFUSED) refused++;
      else agreed++;
    }
    // the strings reach both sides of the grammar
    expect(agreed).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(5000);
  });
});

// ---------------------------------------------------------------------------------------------
// Where parsePortSpec departed from docker/cli before it followed go-connections step by step,
// with Docker's answer (its side of each is in the table of dockerPorts above)
// ---------------------------------------------------------------------------------------------

const ADDRESS = "expected an IP address (IPv4 like 127.0.0.1, without leading zeros, or IPv6 like ::1 or [::1]) before the published port";
const FORMS = 'expected a port like "80", "8080:80", "8080:80/udp" or "8000-8010:8000-8010"';

describe("specs parsePortSpec once read otherwise than docker/cli", () => {
  // it took them, docker refuses them: `docker stack deploy` of the same file failed
  it.each([
    ["127.0.0.1:80", "an address and a target only: docker reads the address as the published port", 'expected a published port after the address, maybe empty ("127.0.0.1::80" or "127.0.0.1:8080:80")'],
    ["[::1]:80", "the same with an IPv6 address", 'expected a published port after the address, maybe empty ("[::1]::80" or "[::1]:8080:80")'],
    ["999.999.999.999:8080:80", "an address that is no IPv4 address", ADDRESS],
    ["01.2.3.4:8080:80", "an IPv4 address with a leading zero (Go's net.ParseIP refuses it)", ADDRESS],
    ["[:]:8080:80", "brackets around something that is no IPv6 address", ADDRESS],
    // it refused this one too, but the oracle said docker took it: the real CLIs (20.10 and 28) refuse it
    ["+80", "a sign before the number (go-connections' strconv.ParseUint refuses it; ParseInt, in go-connections v0.6, would take it)", FORMS],
  ])("docker refuses %s (%s)", (spec, _why, message) => {
    expect(docker(spec)).toBe(REFUSED);
    expect(parsePortSpec(spec)).toBe(message);
  });

  // it refused them, docker takes them: it was stricter than docker
  it.each([
    ["8000-8010:80", "a published range for one target port: docker publishes the target on every port of the range"],
    ["80/UDP", "a protocol in upper case: docker lower-cases it"],
    ["80/", "an empty protocol: docker reads tcp"],
    ["0:80", "published port 0: docker reads no published port"],
    ["::1:8080:80", "an IPv6 address without brackets (Docker 28 takes it; the 20.10 CLI of the lab's managers refuses it)"],
    ["[1.2.3.4]:8080:80", "an IPv4 address in brackets"],
    [":8080:80", "an empty address"],
  ])("docker takes %s (%s)", (spec) => {
    expect(docker(spec)).not.toBe(REFUSED);
    expect(swarmlabPorts(spec)).toEqual(docker(spec));
  });

  it("keeps the address as given and leaves out a published port 0", () => {
    expect(parsePortSpec("::1:8080:80/UDP")).toEqual([{ target: 80, published: 8080, protocol: "udp", hostIp: "::1" }]);
    expect(parsePortSpec("[1.2.3.4]:0-1:80")).toEqual([
      { target: 80, protocol: "tcp", hostIp: "[1.2.3.4]" },
      { target: 80, published: 1, protocol: "tcp", hostIp: "[1.2.3.4]" },
    ]);
    expect(parsePortSpec(":8080:80")).toEqual([{ target: 80, published: 8080, protocol: "tcp" }]);
  });
});

describe("portEntry and portRules around the short syntax", () => {
  it("reads a YAML number as its text, 0 included (docker takes `ports: [0]`), and refuses what docker refuses", () => {
    expect(portEntry.safeParse(0).success).toBe(true);
    expect(portRules(portEntry.parse(0))).toEqual([{ target: 0, protocol: "tcp" }]);
    for (const n of [-1, 65536, 80.5]) expect(portEntry.safeParse(n).success, String(n)).toBe(false);
  });

  it("leaves the long syntax as it was: ports 1-65535, the protocol tcp by default", () => {
    expect(portRules(portEntry.parse({ target: 80, published: 8080, mode: "host" }))).toEqual([{ target: 80, published: 8080, protocol: "tcp", mode: "host" }]);
    expect(portEntry.safeParse({ target: 0 }).success).toBe(false);
    expect(portEntry.safeParse({ target: 80, published: 0 }).success).toBe(false);
  });

  it("expands a short entry as parsePortSpec does", () => {
    expect(portRules(portEntry.parse("8000-8001:80/UDP"))).toEqual([
      { target: 80, published: 8000, protocol: "udp" },
      { target: 80, published: 8001, protocol: "udp" },
    ]);
  });
});
