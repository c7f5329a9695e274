/** Rules across fields of one file (a service naming an undeclared network, say), and Docker's naming rules. */
import { z } from "zod";
import { type NameKind, nameProblem } from "../../config/dockerRules";
import { formatPath } from "../../config/errors";
import { type ServiceNetworks, type ServiceVolume, fileReference, isHostPath, parseVolumeSpec, serviceNetworks, serviceVolume } from "./mounts";
import { portEntry, portRules } from "./ports";
import { isRecord } from "./primitives";

/** Network names a service joins, with the path of each mention. */
export function serviceNetworkNames(networks: ServiceNetworks | undefined): { name: string; at: PropertyKey }[] {
  if (!networks) return [];
  if (Array.isArray(networks)) return networks.map((name, i) => ({ name, at: i }));
  return Object.keys(networks).map((name) => ({ name, at: name }));
}

/** The named volume a service volume refers to, if any (not binds, tmpfs or anonymous volumes). */
export function namedVolume(volume: ServiceVolume): string | undefined {
  if (typeof volume === "string") {
    const source = parseVolumeSpec(volume)?.source;
    return source && !isHostPath(source) ? source : undefined;
  }
  return volume.type === "volume" ? volume.source : undefined;
}

/** `value` parsed by `schema`, or undefined when it is invalid (its own error is reported by the schema). */
export function valid<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/** Each valid item of a list (invalid ones are the schema's to report), with its index. */
export function validItems<S extends z.ZodType>(schema: S, list: unknown): [z.output<S>, number][] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item, i) => {
    const v = valid(schema, item);
    return v === undefined ? [] : [[v, i] as [z.output<S>, number]];
  });
}

export interface CrossFieldProblem {
  path: PropertyKey[];
  message: string;
}

/** What no single field can tell: references to top-level objects, ports published twice, modes that exclude each other. */
export function crossFieldProblems(doc: unknown): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (!isRecord(doc) || !isRecord(doc.services)) return problems;
  const problem = (path: PropertyKey[], message: string) => problems.push({ path, message });
  const declared = (names: unknown) => new Set(isRecord(names) ? Object.keys(names) : []);
  const top = { network: declared(doc.networks), volume: declared(doc.volumes), secret: declared(doc.secrets), config: declared(doc.configs) };
  const published = new Map<string, string>();

  for (const [name, service] of Object.entries(doc.services)) {
    const at = (...path: PropertyKey[]) => ["services", name, ...path];
    if (!isRecord(service)) continue;
    if (service.image === undefined && service.build === undefined) {
      problem(at("image"), "is required (docker stack deploy runs an existing image; it does not build one)");
    }
    for (const { name: net, at: i } of serviceNetworkNames(valid(serviceNetworks, service.networks))) {
      if (net !== "default" && !top.network.has(net)) problem(at("networks", i), `network "${net}" is not declared under the top-level networks`);
    }
    for (const kind of ["secret", "config"] as const) {
      for (const [ref, i] of validItems(fileReference, service[`${kind}s`])) {
        const source = typeof ref === "string" ? ref : ref.source;
        if (!top[kind].has(source)) problem(at(`${kind}s`, i), `${kind} "${source}" is not declared under the top-level ${kind}s`);
      }
    }
    for (const [volume, i] of validItems(serviceVolume, service.volumes)) {
      const source = namedVolume(volume);
      if (source && !top.volume.has(source)) problem(at("volumes", i), `volume "${source}" is not declared under the top-level volumes`);
    }
    const deploy = isRecord(service.deploy) ? service.deploy : {};
    if (deploy.mode === "global" && deploy.replicas !== undefined) {
      problem(at("deploy", "replicas"), "cannot be set with mode: global (a global service runs one task on every eligible node)");
    }
    for (const [entry, i] of validItems(portEntry, service.ports)) {
      if (deploy.endpoint_mode === "dnsrr" && typeof entry === "object" && entry.mode === "ingress") {
        problem(at("ports", i, "mode"), "ingress publishing cannot be used with endpoint_mode: dnsrr (use mode: host)");
      }
      for (const rule of portRules(entry)) {
        if (rule.published === undefined) continue;
        const key = `${rule.published}/${rule.protocol}`;
        const first = published.get(key);
        if (first) problem(at("ports", i), `published port ${key} is already used by ${first}`);
        else published.set(key, formatPath(at("ports", i)));
      }
    }
  }
  problems.push(...externalProblems(doc));
  return problems;
}

/** What docker's compose loader refuses with `external:` (docker/cli loader.go LoadNetworks, LoadVolumes). */
export function externalProblems(doc: Record<string, unknown>): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  for (const kind of ["network", "volume"] as const) {
    const defs = doc[`${kind}s`];
    if (!isRecord(defs)) continue;
    for (const [key, def] of Object.entries(defs)) {
      if (!isRecord(def) || !def.external) continue;
      const at = [`${kind}s`, key];
      if (kind === "volume") {
        for (const field of ["driver", "driver_opts", "labels"]) {
          if (def[field] !== undefined) problems.push({ path: [...at, field], message: `cannot be set on an external volume (docker: conflicting parameters "external" and "${field}"): the volume exists already, with its own` });
        }
      }
      if (isRecord(def.external) && def.external.name !== undefined && def.name !== undefined) {
        problems.push({ path: [...at, "external", "name"], message: `conflicts with ${kind}s.${key}.name (docker: "${kind}.external.name and ${kind}.name conflict; only use ${kind}.name"): keep name: and external: true` });
      }
    }
  }
  return problems;
}

/**
 * The names docker gives what a stack creates, checked against docker's rules: each service is
 * `<stack>_<service>`, each network and volume `<stack>_<key>` unless it sets `name:`.
 */
export function swarmNameProblems(doc: unknown, stack: string): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  if (!isRecord(doc)) return problems;
  const check = (kind: NameKind, path: PropertyKey[], name: string, full: string) => {
    const message = nameProblem(kind, name, full);
    if (message) problems.push({ path, message });
  };
  for (const name of isRecord(doc.services) ? Object.keys(doc.services) : []) check("service", ["services", name], name, `${stack}_${name}`);
  for (const kind of ["network", "volume"] as const) {
    const defs = doc[`${kind}s`];
    for (const [key, def] of isRecord(defs) ? Object.entries(defs) : []) {
      const d = isRecord(def) ? def : {};
      if (d.external || (kind === "volume" && d.driver !== undefined && d.driver !== "local")) continue; // not created, or another driver's rules
      if (typeof d.name === "string") check(kind, [`${kind}s`, key, "name"], d.name, d.name);
      else check(kind, [`${kind}s`, key], key, `${stack}_${key}`);
    }
  }
  return problems;
}
