/**
 * Rules that need the cluster config and every stack file together: a stack can be valid alone and
 * still impossible on this cluster. Checked before any resource is registered.
 */
import { type ClusterConfig, servicePorts } from "../config/cluster";
import { type Cidr, overlaps, parseCidr } from "../config/dockerRules";
import type { Problem } from "../config/errors";
import { portRules, type Stack } from "./schema";

export interface StackUnderCheck {
  name: string;
  /** The stack file, as named in messages. */
  file: string;
  stack: Stack;
}

const CONSTRAINT = /^\s*(node\.labels\.([^\s=!]+)|node\.hostname)\s*(==|!=)\s*(\S+)\s*$/;

function nodeLabelList(cfg: ClusterConfig): string {
  const all = cfg.nodes.flatMap((n) => Object.entries(n.labels).map(([k, v]) => `${k}=${v} (${n.name})`));
  return all.length ? all.join(", ") : "none";
}

/** `node.labels.zone == c` where no node has zone=c places nothing: the service would wait forever. */
function checkConstraints(cfg: ClusterConfig, s: StackUnderCheck): Problem[] {
  const problems: Problem[] = [];
  for (const [svc, service] of Object.entries(s.stack.services)) {
    (service.deploy?.placement?.constraints ?? []).forEach((c, i) => {
      const m = CONSTRAINT.exec(c);
      if (!m || m[3] !== "==") return;
      const path = `services.${svc}.deploy.placement.constraints[${i}]`;
      const value = m[4].replace(/^["']|["']$/g, "");
      if (m[1] === "node.hostname" && !cfg.nodes.some((n) => n.name === value)) {
        problems.push({ source: s.file, path, message: `no node is named "${value}" (nodes: ${cfg.nodes.map((n) => n.name).join(", ")})` });
      }
      if (m[2] && !cfg.nodes.some((n) => n.labels[m[2]] === value)) {
        problems.push({
          source: s.file,
          path,
          message: `no node has the label ${m[2]}=${value} (node labels: ${nodeLabelList(cfg)}): add it to a node in swarmlab:nodes or change the constraint`,
        });
      }
    });
  }
  return problems;
}

/** An external network must be one the cluster creates (swarmlab:networks or Traefik's). */
function checkExternalNetworks(cfg: ClusterConfig, s: StackUnderCheck): Problem[] {
  const known = new Set([...cfg.networks.map((n) => n.name), ...(cfg.traefik.enabled ? [cfg.traefik.network] : [])]);
  return Object.entries(s.stack.networks ?? {}).flatMap(([key, net]) => {
    if (!net || !net.external) return [];
    const ext = net.external as unknown;
    const name = (typeof ext === "object" && ext && "name" in ext ? String((ext as { name: unknown }).name) : undefined) ?? net.name ?? key;
    if (known.has(name)) return [];
    return [{ source: s.file, path: `networks.${key}`, message: `network "${name}" is external, but the cluster does not create it (cluster networks: ${[...known].join(", ") || "none"}): add it to swarmlab:networks` }];
  });
}

/** The same published port twice, across the cluster's own services and every stack, cannot bind. */
function checkPorts(cfg: ClusterConfig, stacks: StackUnderCheck[]): Problem[] {
  const owners = new Map<string, string>();
  const claim = (key: string, owner: string): string | undefined => {
    const other = owners.get(key);
    if (!other) owners.set(key, owner);
    return other;
  };
  for (const [key, port] of servicePorts(cfg)) claim(`${port}/tcp`, key);
  const problems: Problem[] = [];
  for (const s of stacks) {
    for (const [svc, service] of Object.entries(s.stack.services)) {
      (service.ports ?? []).forEach((entry, i) => {
        for (const rule of portRules(entry)) {
          if (rule.published === undefined) continue;
          const other = claim(`${rule.published}/${rule.protocol}`, `${s.file} (services.${svc})`);
          if (other && !other.startsWith(`${s.file} `)) {
            problems.push({ source: s.file, path: `services.${svc}.ports[${i}]`, message: `port ${rule.published}/${rule.protocol} is already published by ${other}` });
          }
        }
      });
    }
  }
  return problems;
}

/** A stack's own subnets (ipam.config) must not overlap the nodes' network, the cluster's overlay networks or each other. */
function checkSubnets(cfg: ClusterConfig, stacks: StackUnderCheck[]): Problem[] {
  const taken: { cidr: Cidr; owner: string }[] = [];
  const claim = (text: string | undefined, owner: string): string | undefined => {
    const cidr = text === undefined ? undefined : parseCidr(text);
    if (!cidr || typeof cidr === "string") return undefined;
    const other = taken.find((t) => overlaps(t.cidr, cidr));
    if (!other) taken.push({ cidr, owner });
    return other?.owner;
  };
  if (cfg.hosts.kind !== "ssh") claim(cfg.hosts.subnet, `swarmlab:hosts.subnet (${cfg.hosts.subnet}, the nodes' own network)`);
  cfg.networks.forEach((n, i) => claim(n.subnet, `swarmlab:networks[${i}] (${n.subnet})`));
  const problems: Problem[] = [];
  for (const s of stacks) {
    for (const [key, net] of Object.entries(s.stack.networks ?? {})) {
      if (!net || net.external) continue;
      (net.ipam?.config ?? []).forEach((c, i) => {
        const other = claim(c.subnet, `${s.file} (networks.${key}, ${c.subnet})`);
        if (other) problems.push({ source: s.file, path: `networks.${key}.ipam.config[${i}].subnet`, message: `${c.subnet} overlaps ${other}: give each network a range of its own` });
      });
    }
  }
  return problems;
}

export function crossCheck(cfg: ClusterConfig, stacks: StackUnderCheck[]): Problem[] {
  return [...stacks.flatMap((s) => [...checkConstraints(cfg, s), ...checkExternalNetworks(cfg, s)]), ...checkPorts(cfg, stacks), ...checkSubnets(cfg, stacks)];
}
