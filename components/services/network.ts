import * as pulumi from "@pulumi/pulumi";
import { Command } from "../command/provider";
import { shellQuote as q } from "../command/ssh";
import type { OverlayNetworkConfig } from "../config/cluster";
import type { Host } from "../hosts/host";

/** `docker network create` for an overlay network, idempotent; labels mark it as the cluster's. */
export function networkCreateScript(n: OverlayNetworkConfig, clusterLabels: Record<string, string>): string {
  const flags = ["--driver overlay"];
  if (n.attachable) flags.push("--attachable");
  if (n.encrypted) flags.push("--opt encrypted");
  if (n.subnet) flags.push(`--subnet ${q(n.subnet)}`);
  for (const [k, v] of Object.entries({ ...n.labels, ...clusterLabels })) flags.push(`--label ${q(`${k}=${v}`)}`);
  return [
    `if docker network inspect ${q(n.name)} >/dev/null 2>&1; then`,
    `  [ "$(docker network inspect -f '{{.Driver}} {{.Scope}}' ${q(n.name)})" = "overlay swarm" ] || { echo "a network named ${n.name} exists and is not a swarm overlay network: rename one of them" >&2; exit 1; }`,
    "else",
    `  docker network create ${flags.join(" ")} ${q(n.name)} >/dev/null`,
    "fi",
    networkIdScript(n.name),
  ].join("\n");
}

/** The network's ID: what create prints and the check compares (a new swarm has none: it is created again). */
export function networkIdScript(name: string): string {
  return `docker network inspect -f '{{.Id}}' ${q(name)}`;
}

/** Removal refuses, with the names, while services still use the network (docker would refuse anyway, less clearly). */
export function networkDeleteScript(name: string): string {
  return [
    `docker network inspect ${q(name)} >/dev/null 2>&1 || exit 0`,
    `users=$(docker service ls -q | xargs -r docker service inspect -f '{{.Spec.Name}} {{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}' | grep -w "$(docker network inspect -f '{{.Id}}' ${q(name)})" | cut -d' ' -f1 | tr '\\n' ' ' || true)`,
    `[ -z "$users" ] || { echo "network ${name} is still used by services: $users- remove them (or their stacks) first" >&2; exit 1; }`,
    `docker network rm ${q(name)} >/dev/null`,
  ].join("\n");
}

/**
 * An overlay network. Its settings cannot change in place, so a change replaces it: the old one is
 * removed first, which fails with the users' names while services are attached to it.
 */
export class OverlayNetwork extends pulumi.ComponentResource {
  readonly name: string;
  constructor(name: string, args: { network: OverlayNetworkConfig; manager: Host; clusterLabels: Record<string, string> }, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:services:OverlayNetwork", name, {}, opts);
    const n = args.network;
    this.name = n.name;
    new Command(
      `${name}-create`,
      {
        label: `overlay network ${n.name}`,
        create: networkCreateScript(n, args.clusterLabels),
        update: networkCreateScript(n, args.clusterLabels),
        delete: networkDeleteScript(n.name),
        connection: args.manager.ssh,
        check: networkIdScript(n.name),
        triggers: [n.name, n.attachable, n.encrypted, n.subnet ?? null, args.manager.instance],
        ignoreUnreachableOnDelete: true,
      },
      // the component's dependsOn (the ready swarm) does not hold back its children: given to the command
      { parent: this, dependsOn: opts.dependsOn },
    );
    this.registerOutputs({ name: this.name });
  }
}
