import * as pulumi from "@pulumi/pulumi";
import { formerType } from "../typeAliases";
import { Command } from "../command/provider";
import { shellQuote as q, type SshTarget } from "../command/ssh";
import type { OverlayNetworkConfig } from "../config/cluster";
import { overlayMtuOption } from "../swarm/mtu";

const MTU_OPT = "com.docker.network.driver.mtu";

/** The words that describe a network's settings, as `settingsFormat` prints them for an existing one. */
export function networkSettingWords(n: OverlayNetworkConfig, clusterLabels: Record<string, string>): string[] {
  return [
    `attachable=${n.attachable}`,
    `encrypted=${n.encrypted}`,
    ...(n.subnet ? [`subnet=${n.subnet}`] : []),
    ...(n.mtu !== undefined ? [`mtu=${overlayMtuOption(n.mtu)}`] : []),
    ...Object.entries({ ...n.labels, ...clusterLabels }).map(([k, v]) => `label:${k}=${v}`),
  ];
}

// `--opt encrypted` stores an empty value: the option's presence is what counts.
const settingsFormat =
  "{{.Driver}} {{.Scope}} attachable={{.Attachable}} encrypted={{if .Options}}{{range $k, $v := .Options}}{{if eq $k \"encrypted\"}}true{{end}}{{end}}{{end}} " +
  "{{range .IPAM.Config}}subnet={{.Subnet}} {{end}}{{range $k, $v := .Labels}}label:{{$k}}={{$v}} {{end}}";
// Only printed when an MTU is configured: the script of a network without one stays as it was.
const mtuFormat = `{{range $k, $v := .Options}}{{if eq $k "${MTU_OPT}"}}mtu={{$v}} {{end}}{{end}}`;

/**
 * `docker network create` for an overlay network, idempotent; labels mark it as the cluster's.
 * An existing network of that name is taken only when it has the configured settings: one made by
 * hand (or changed behind swarmlab's back) is never silently adopted with other settings.
 */
export function networkCreateScript(n: OverlayNetworkConfig, clusterLabels: Record<string, string>): string {
  const flags = ["--driver overlay"];
  if (n.attachable) flags.push("--attachable");
  if (n.encrypted) flags.push("--opt encrypted");
  if (n.subnet) flags.push(`--subnet ${q(n.subnet)}`);
  if (n.mtu !== undefined) flags.push(`--opt ${MTU_OPT}=${overlayMtuOption(n.mtu)}`);
  for (const [k, v] of Object.entries({ ...n.labels, ...clusterLabels })) flags.push(`--label ${q(`${k}=${v}`)}`);
  const wanted = networkSettingWords(n, clusterLabels).map(q).join(" ");
  return [
    `if docker network inspect ${q(n.name)} >/dev/null 2>&1; then`,
    `  actual=" $(docker network inspect -f ${q(n.mtu !== undefined ? settingsFormat + mtuFormat : settingsFormat)} ${q(n.name)} | sed 's/encrypted= /encrypted=false /') "`,
    `  case "$actual" in " overlay swarm "*) ;; *) echo "a network named ${n.name} exists and is not a swarm overlay network: rename one of them" >&2; exit 1;; esac`,
    `  missing=""; for w in ${wanted}; do case "$actual" in *" $w "*) ;; *) missing="$missing $w";; esac; done`,
    `  [ -z "$missing" ] || { echo "overlay network ${n.name} exists with other settings than configured (wanted:$missing): settings cannot change in place; remove it (docker network rm ${n.name}, once no service uses it) or give the configured network another name" >&2; exit 1; }`,
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

/** Fails, naming them, while services use the network (docker would refuse its removal, less clearly). */
export function networkUnusedScript(name: string, hint = ""): string {
  return [
    `docker network inspect ${q(name)} >/dev/null 2>&1 || exit 0`,
    `users=$(docker service ls -q | xargs -r docker service inspect -f '{{.Spec.Name}} {{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}' | grep -w "$(docker network inspect -f '{{.Id}}' ${q(name)})" | cut -d' ' -f1 | tr '\\n' ' ' || true)`,
    `[ -z "$users" ] || { echo "network ${name} is still used by services: $users- remove them (or their stacks) first${hint}" >&2; exit 1; }`,
  ].join("\n");
}

/** Removal refuses, with the names, while services still use the network. */
export function networkDeleteScript(name: string): string {
  return [networkUnusedScript(name), `docker network rm ${q(name)} >/dev/null`].join("\n");
}

/**
 * An overlay network. Its settings cannot change in place, so a change replaces it: the old one is
 * removed first. While services are attached to it the plan itself is refused, with their names.
 */
export class OverlayNetwork extends pulumi.ComponentResource {
  readonly name: string;
  /**
   * `defaultMtu`: the cluster's overlay MTU (SwarmCluster.overlayMtu), for a network without its own
   * `mtu`; undefined leaves Docker's default.
   */
  constructor(
    name: string,
    args: { network: OverlayNetworkConfig; managers: pulumi.Input<SshTarget[]>; clusterLabels: Record<string, string>; defaultMtu?: pulumi.Input<number | undefined> },
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("swarmlab:addons:OverlayNetwork", name, {}, formerType("swarmlab:services:OverlayNetwork", opts));
    const n = args.network;
    this.name = n.name;
    new Command(
      `${name}-create`,
      {
        label: `overlay network ${n.name}`,
        // The create script holds every setting (labels included), and none can change in place, so
        // any change replaces the network. The check finds it gone in a new swarm.
        create: pulumi.output(args.defaultMtu).apply((mtu) => networkCreateScript({ ...n, mtu: n.mtu ?? mtu }, args.clusterLabels)),
        replaceOnChanges: true,
        delete: networkDeleteScript(n.name),
        // a settings change is refused at plan time while services use the network
        replaceGuard: networkUnusedScript(n.name, ", or keep the network's settings (they cannot change in place)"),
        managers: args.managers,
        check: networkIdScript(n.name),
        ignoreUnreachableOnDelete: true,
      },
      // the component's dependsOn (the ready swarm) does not hold back its children: given to the command
      { parent: this, dependsOn: opts.dependsOn, deletedWith: opts.deletedWith },
    );
    this.registerOutputs({ name: this.name });
  }
}
