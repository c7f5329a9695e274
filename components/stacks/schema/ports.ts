/** Service ports: the short forms docker/cli parses ("8080:80/udp", ranges) and the long form. */
import { isIP } from "net";
import { z } from "zod";
import { checkedString, oneOf, portNumber } from "./primitives";

export type PortProtocol = "tcp" | "udp" | "sctp";
export type PublishMode = "ingress" | "host";
/** One published port after expansion of ranges: what the long syntax says. */
export interface PortRule {
  target: number;
  published?: number;
  protocol: PortProtocol;
  mode?: PublishMode;
  hostIp?: string;
}

export const PORT_FORMS = 'a port like "80", "8080:80", "8080:80/udp" or "8000-8010:8000-8010"';
const PORT_NUMBERS = "expected ports between 0 and 65535 (ranges low-high)";
const ADDRESS_FORMS = "an IP address (IPv4 like 127.0.0.1, without leading zeros, or IPv6 like ::1 or [::1])";

/*
 * The short syntax as `docker stack deploy` reads it, checked against the real CLIs (Docker 28.2.2's
 * `docker stack config` and the 20.10 CLI of the lab's managers): docker/cli's compose loader
 * (toServicePortConfigs) hands the text to go-connections' nat.ParsePortSpec, then turns each
 * mapping into swarm ports with opts.ConvertPortToPortConfig. So:
 * - "ip:published:target/protocol": split at every ":", the last part the target, the one before it
 *   the published port, all the rest the address ("::1:8080:80" is ::1; "127.0.0.1:80" is an
 *   address read as a published port, refused);
 * - the protocol: split at every "/", the second part (more are ignored), empty = tcp, any case;
 * - a port or a range: split at every "-", the first two parts (more are ignored: "1-2-3" is 1-2),
 *   digits only (no sign; leading zeros are fine), 0-65535, low-high;
 * - the address: net.ParseIP, or "[...]" around one (IPv4 too); no zone. The 20.10 CLI (older
 *   go-connections) also refuses an IPv6 address without brackets; Docker 28 takes it, and we follow 28;
 * - a target range takes a published range as long; one target port takes any published range
 *   (one swarm port per published port); published 0 is none (the swarm picks one);
 * - target 0 is taken too: neither the CLI nor swarmkit's service validation (controlapi
 *   validateEndpointSpec, which checks published ports only) refuses it, though nothing can listen on it.
 * Newer go-connections (v0.6, in docker/cli after 28) reads "+80", "1-2-3" and "80/udp/x" otherwise.
 */

/** nat's port range ("80", "8000-8010", "1-2-3" = 1-2) -> [low, high], or the message of its fault. */
function natRange(text: string): [number, number] | string {
  const parts = text.split("-");
  const ends = parts.length === 1 ? [parts[0]] : parts.slice(0, 2);
  if (!ends.every((part) => /^[0-9]+$/.test(part))) return `expected ${PORT_FORMS}`;
  const [low, high = low] = ends.map(Number);
  return high <= 65535 && low <= high ? [low, high] : PORT_NUMBERS;
}

/** Go's net.ParseIP (dotted IPv4 without leading zeros, or IPv6; no zone), also in brackets as nat strips them. */
function natAddress(text: string): boolean {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return !/[[\]%]/.test(bare) && isIP(bare) !== 0;
}

/** Short syntax -> one rule per swarm port (ranges expanded), or an error message. */
export function parsePortSpec(spec: string | number): PortRule[] | string {
  const text = String(spec);
  const parts = text.split(":");
  const [hostIp, publishedText, rawTarget] =
    parts.length === 1 ? ["", "", parts[0]] : parts.length === 2 ? ["", parts[0], parts[1]] : [parts.slice(0, -2).join(":"), parts[parts.length - 2], parts[parts.length - 1]];
  const [targetText, protocolText = ""] = rawTarget.split("/");
  const protocol = (protocolText || "tcp").toLowerCase();
  if (targetText === "") return `expected ${PORT_FORMS}`;
  if (protocol !== "tcp" && protocol !== "udp" && protocol !== "sctp") return 'expected the protocol tcp, udp or sctp (as in "8080:80/udp")';
  const target = natRange(targetText);
  if (typeof target === "string") return target;
  const published = publishedText === "" ? undefined : natRange(publishedText);
  // "127.0.0.1:80", "[::1]:80": docker reads the address as the published port, or splits it
  const address = parts.length === 2 ? publishedText : text.slice(0, text.lastIndexOf(":"));
  if ((typeof published === "string" || (hostIp !== "" && !natAddress(hostIp))) && natAddress(address)) {
    const shown = address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
    return `expected a published port after the address, maybe empty ("${shown}::${targetText}" or "${shown}:8080:${targetText}")`;
  }
  if (hostIp !== "" && !natAddress(hostIp)) return `expected ${ADDRESS_FORMS} before the published port`;
  if (typeof published === "string") return published;
  const count = target[1] - target[0] + 1;
  if (published && count > 1 && published[1] - published[0] + 1 !== count) return "expected a published range as long as the target range";
  const rules: PortRule[] = [];
  const add = (port: number, publishedPort: number | undefined) => {
    const rule: PortRule = { target: port, protocol: protocol as PortProtocol };
    if (publishedPort) rule.published = publishedPort;
    if (hostIp) rule.hostIp = hostIp;
    rules.push(rule);
  };
  for (let i = 0; i < count; i++) {
    if (!published) add(target[0] + i, undefined);
    else if (count > 1) add(target[0] + i, published[0] + i);
    else for (let p = published[0]; p <= published[1]; p++) add(target[0], p);
  }
  return rules;
}

export const portLong = z
  .strictObject({
    target: portNumber.describe("port inside the container"),
    published: portNumber.optional().describe("port published on the swarm (ingress) or on the node (host)"),
    protocol: z.enum(["tcp", "udp", "sctp"]).optional().describe("default tcp"),
    mode: z.enum(["ingress", "host"]).optional().describe("ingress: routing mesh on every node; host: only where a task runs"),
  })
  .describe("long port syntax");
export type PortLong = z.infer<typeof portLong>;

export const portShort = checkedString((s) => {
  const parsed = parsePortSpec(s);
  return typeof parsed === "string" ? parsed : undefined;
});
export const portEntry = oneOf(`${PORT_FORMS} or a mapping with target, published, protocol and mode`, {
  // a YAML number is read as its text: 0 is a target port 0, as "0" is (the long syntax keeps 1-65535)
  number: z.number().int().min(0).max(65535),
  string: portShort,
  object: portLong,
});
export type PortEntry = z.infer<typeof portEntry>;

/** Any port entry -> its rules (short syntax expanded). Only call on validated entries. */
export function portRules(entry: PortEntry): PortRule[] {
  if (typeof entry === "object") return [{ ...entry, protocol: entry.protocol ?? "tcp" }];
  const parsed = parsePortSpec(entry);
  return typeof parsed === "string" ? [] : parsed;
}
