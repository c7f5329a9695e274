/*
 * Docker's own rules for the names and values swarmlab hands to it, checked before anything is
 * created, each message naming the rule that a value breaks. Sources:
 *   - services and networks: swarmkit manager/controlapi (validateAnnotations): a DNS label,
 *     `^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$`, at most 63 characters;
 *   - secrets and configs: swarmkit (validateConfigOrSecretAnnotations):
 *     `^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$`, at most 64 characters;
 *   - volumes (the local driver) and containers: moby daemon/names, `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`;
 *   - nodes: the node name is the machine's hostname, which the swarm lists nodes by (RFC 1123 label);
 *   - image references: the distribution reference grammar that docker parses images with.
 */

import { z } from "zod";

export type NameKind = "service" | "network" | "secret" | "config" | "volume" | "node";

interface NameRule {
  pattern: RegExp;
  max?: number;
  /** What the rule allows, as a user reads it. */
  allows: string;
  /** Whose rule it is. */
  owner: string;
}

const SWARM_LABEL: NameRule = {
  pattern: /^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$/,
  max: 63,
  allows: 'letters, digits, "-" and "_", starting and ending with a letter or digit',
  owner: "swarmkit: a DNS label",
};
const SWARM_OBJECT: NameRule = {
  pattern: /^[a-zA-Z0-9]+(?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?$/,
  max: 64,
  allows: 'letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  owner: "swarmkit",
};

export const NAME_RULES: Record<NameKind, NameRule> = {
  service: SWARM_LABEL,
  network: SWARM_LABEL,
  secret: SWARM_OBJECT,
  config: SWARM_OBJECT,
  volume: {
    pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/,
    allows: 'at least 2 characters: letters, digits, "_", "." and "-", starting with a letter or digit',
    owner: "docker's local volume driver",
  },
  node: {
    pattern: /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
    max: 63,
    allows: 'letters, digits and "-", starting and ending with a letter or digit',
    owner: "an RFC 1123 host name label: the node's hostname, which the swarm lists nodes by",
  },
};

/** Names every swarm node already has a network of: creating another one of them fails. */
export const PREDEFINED_NETWORKS = ["bridge", "host", "none", "ingress", "docker_gwbridge"];

/** The rule of one kind, in one line: `letters, digits, ... (swarmkit: a DNS label), at most 63 characters`. */
export function describeNameRule(kind: NameKind): string {
  const r = NAME_RULES[kind];
  return `${r.allows}, ${r.max ? `at most ${r.max} characters ` : ""}(${r.owner})`;
}

/**
 * What is wrong with `name` as a docker `kind` name, or nothing. `full` is the name docker gets
 * when it differs from what the user wrote (`<stack>_<service>`): the rule applies to it.
 */
export function nameProblem(kind: NameKind, name: string, full = name): string | undefined {
  const r = NAME_RULES[kind];
  const shown = full === name ? `"${name}"` : `"${name}" (${kind} "${full}" on the swarm)`;
  if (!r.pattern.test(full)) return `expected a ${kind} name of ${r.allows} (${r.owner}), got ${shown}`;
  if (r.max && full.length > r.max) {
    const room = full === name ? "" : `: this one may have at most ${r.max - (full.length - name.length)}`;
    return `expected a ${kind} name of at most ${r.max} characters (${r.owner})${room}, got ${shown}, ${full.length} characters`;
  }
  if (kind === "network" && PREDEFINED_NETWORKS.includes(full)) {
    return `expected a network name other than ${PREDEFINED_NETWORKS.map((n) => `"${n}"`).join(", ")} (every swarm node has these networks already), got ${shown}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Image references (distribution/reference): [host[:port]/]path[:tag][@digest]
// ---------------------------------------------------------------------------------------------

const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const NAME = `(?:${HOST}(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);
const MAX_NAME = 255;

const IMAGE_FORMS = '[registry[:port]/]repository[:tag][@digest], like "nginx:1.27" or "172.28.0.10:5000/team/app:2"';

/** What docker would refuse in an image reference, or nothing. */
export function imageReferenceProblem(image: string): string | undefined {
  const match = REFERENCE.exec(image);
  if (!match) {
    // docker's own words when the only fault is upper case in the repository
    if (REFERENCE.test(image.replace(/^([^/]+\/)?(.*)$/, (_m, host: string | undefined, rest: string) => `${host ?? ""}${rest.toLowerCase()}`))) {
      return `expected an image reference whose repository is in lower case (docker: "repository name must be lowercase"), got ${JSON.stringify(image)}`;
    }
    return `expected an image reference ${IMAGE_FORMS} (docker: "invalid reference format"), got ${JSON.stringify(image)}`;
  }
  if (match[1].length > MAX_NAME) return `expected an image name of at most ${MAX_NAME} characters (docker: "repository name must not be more than 255 characters"), got ${match[1].length}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// IPv4 subnets
// ---------------------------------------------------------------------------------------------

export interface Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  bits: number;
  text: string;
}

/** `10.20.0.0/24` -> its network, or a message: not CIDR, an octet over 255, host bits set. */
export function parseCidr(text: string, example = "10.20.0.0/24"): Cidr | string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return `expected a CIDR subnet like ${example}, got ${JSON.stringify(text)}`;
  const octets = m.slice(1, 5).map(Number);
  const bad = octets.find((o) => o > 255);
  if (bad !== undefined) return `expected a CIDR subnet like ${example} (each of the 4 numbers 0 to 255), got ${JSON.stringify(text)}: ${bad} is over 255`;
  const bits = Number(m[5]);
  if (bits > 32) return `expected a CIDR subnet like ${example} (a prefix length of 0 to 32), got ${JSON.stringify(text)}`;
  const ip = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const base = ip - (ip % size);
  if (base !== ip) {
    const network = `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".")}/${bits}`;
    return `expected a network address (no host bits set: docker refuses it), got ${JSON.stringify(text)}: the network is ${network}`;
  }
  return { base, bits, text };
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + 2 ** (32 - a.bits);
  const bEnd = b.base + 2 ** (32 - b.bits);
  return a.base < bEnd && b.base < aEnd;
}

/** A string schema checked by one of the rules above (`check` returns the whole message, "got" included). */
export function ruleString(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = check(value);
    if (message) ctx.addIssue({ code: "custom", message, input: value });
  });
}

// ---------------------------------------------------------------------------------------------
// Go durations (docker swarm update --cert-expiry 2160h, --dispatcher-heartbeat 5s)
// ---------------------------------------------------------------------------------------------

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration: `2160h`, `1h30m`, `1.5s`, `0`; the nanoseconds, or undefined. */
export function parseGoDuration(text: string): number | undefined {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(text);
  if (!m) return undefined;
  if (m[2] === "0") return 0;
  let total = 0;
  for (const [, num, unit] of m[2].matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(num) * DURATION_UNITS[unit];
  return m[1] === "-" ? -total : total;
}

/** A Go duration at least `min` (e.g. "1h"), as docker takes it. */
export const goDuration = (o: { min: string; example: string; why: string }) => ruleString((v) => {
  const ns = parseGoDuration(v);
  if (ns === undefined) return `expected a duration as docker writes it (a number and a unit: ns, us, ms, s, m, h; e.g. ${o.example}), got ${JSON.stringify(v)}`;
  if (ns < (parseGoDuration(o.min) as number)) return `expected at least ${o.min} (${o.why}), got ${JSON.stringify(v)}`;
  return undefined;
});

export const dockerName = (kind: NameKind) => ruleString((v) => nameProblem(kind, v));
export const imageReference = ruleString(imageReferenceProblem);
export const cidrSubnet = (example: string) => ruleString((v) => {
  const c = parseCidr(v, example);
  return typeof c === "string" ? c : undefined;
});
