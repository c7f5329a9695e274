/** Service ports: the short forms docker/cli parses ("8080:80/udp", ranges) and the long form. */
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

export const PORT_SPEC = /^(?:(\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:]+\]):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(tcp|udp|sctp))?$/;
export const PORT_FORMS = 'a port like "80", "8080:80", "8080:80/udp" or "8000-8010:8000-8010"';

export function portRange(text: string): [number, number] | undefined {
  const [start, end = start] = text.split("-").map(Number);
  return start >= 1 && end <= 65535 && start <= end ? [start, end] : undefined;
}

/** Short syntax -> one rule per port (ranges expanded), or an error message. */
export function parsePortSpec(spec: string | number): PortRule[] | string {
  const match = PORT_SPEC.exec(String(spec));
  if (!match) return `expected ${PORT_FORMS}`;
  const [, hostIp, publishedText, targetText, protocol = "tcp"] = match;
  const target = portRange(targetText);
  const published = publishedText ? portRange(publishedText) : undefined;
  if (!target || (publishedText && !published)) return "expected ports between 1 and 65535 (ranges low-high)";
  if (published && published[1] - published[0] !== target[1] - target[0]) {
    return "expected a published range as long as the target range";
  }
  const rules: PortRule[] = [];
  for (let i = 0; i <= target[1] - target[0]; i++) {
    const rule: PortRule = { target: target[0] + i, protocol: protocol as PortProtocol };
    if (published) rule.published = published[0] + i;
    if (hostIp) rule.hostIp = hostIp;
    rules.push(rule);
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
  number: portNumber,
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
