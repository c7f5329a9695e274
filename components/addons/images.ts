import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { formerType } from "../typeAliases";
import { Command } from "../command/provider";
import { knownHostsLine, shellQuote as q, sshArgs, type SshTarget } from "../command/ssh";
import { ConfigError } from "../config/errors";
import type { Host } from "../hosts/host";

/** The ID of a local image, read at plan time so that a rebuilt image is loaded again. */
export function localImageId(image: string): string | undefined {
  const r = spawnSync("docker", ["image", "inspect", "-f", "{{.Id}}", image], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * One spelling per image, as docker reads a reference: `nginx` and `docker.io/library/nginx:latest`
 * are the same image.
 */
export function canonicalImage(image: string): string {
  const at = image.indexOf("@");
  let name = at < 0 ? image : image.slice(0, at);
  const digest = at < 0 ? "" : image.slice(at);
  const slash = name.indexOf("/");
  const first = slash < 0 ? "" : name.slice(0, slash);
  // docker takes a first component with a dot or a port, or localhost, for a registry host
  if (!(slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost"))) name = `docker.io/${name}`;
  name = name.replace(/^index\.docker\.io\//, "docker.io/");
  // an official image: docker.io/nginx is docker.io/library/nginx
  const path = name.startsWith("docker.io/") ? name.slice("docker.io/".length) : undefined;
  if (path !== undefined && !path.includes("/")) name = `docker.io/library/${path}`;
  const tagged = name.lastIndexOf(":") > name.lastIndexOf("/");
  return `${tagged || digest ? name : `${name}:latest`}${digest}`;
}

/**
 * The side-loaded images that only the add-ons run (the registry, Traefik, the board: every one
 * pinned to the managers) and no stack does: copied into the managers alone. A worker never runs
 * them, and each copy costs seconds of CPU and disk on a small machine.
 */
export function managerOnlyImages(sideLoad: string[], addOnImages: string[], stackImages: string[]): string[] {
  const addOns = new Set(addOnImages.map(canonicalImage));
  const stacks = new Set(stackImages.map(canonicalImage));
  return sideLoad.filter((image) => addOns.has(canonicalImage(image)) && !stacks.has(canonicalImage(image)));
}

/** Every configured image must exist here before anything is created. */
export function checkLocalImages(images: string[], source: string, inspect = localImageId): Record<string, string> {
  const ids: Record<string, string> = {};
  const problems = images.flatMap((image, i) => {
    const id = inspect(image);
    if (id) ids[image] = id;
    return id ? [] : [{ source, path: `swarmlab:images.sideLoad[${i}]`, message: `image ${JSON.stringify(image)} is not on this machine: build or pull it first (docker image ls)` }];
  });
  if (problems.length) throw new ConfigError(problems);
  return ids;
}

/**
 * Copies a local image into a node over SSH (`docker save | ssh docker load`, like
 * `kind load docker-image`), skipped when the node already has the same image ID, and verified.
 */
export function sideLoadScript(image: string, node: string, target: SshTarget, retrySeconds = 60): string {
  // every __KEY__: a bastion's ProxyCommand names the key file too; a configured host key is
  // verified (known_hosts from $SWARMLAB_KNOWN_HOSTS), as the command resource does
  const files = target.hostKey ? { key: "__KEY__", knownHosts: "__KNOWN__" } : { key: "__KEY__" };
  const ssh = sshArgs(target, files, "__CMD__").map(q).join(" ").replaceAll("__KEY__", "'\"$key\"'").replaceAll("__KNOWN__", "'\"$known\"'");
  // Every step is safe to repeat (an inspect, a load of the same image): an ssh that could not
  // connect (255) is retried with backoff within the budget, as the command resource does.
  const remote = (cmd: string) => `retry_ssh ssh ${ssh.replace("'__CMD__'", q(cmd))}`;
  const inspect = `docker image inspect -f '{{.Id}}' ${q(image)} 2>/dev/null || true`;
  return [
    'key=$(mktemp); known=$(mktemp); trap \'rm -f "$key" "$known"\' EXIT; printf \'%s\\n\' "$SWARMLAB_SSH_KEY" > "$key"; printf \'%s\' "${SWARMLAB_KNOWN_HOSTS:-}" > "$known"',
    `retry_ssh() { local end=$((SECONDS + ${retrySeconds})) wait=1 rc; while :; do "$@" && return 0; rc=$?; { [ $rc = 255 ] && [ $SECONDS -lt $end ]; } || return $rc; sleep $wait; wait=$(( wait < 8 ? wait * 2 : 10 )); done; }`,
    `load() { docker save ${q(image)} | ssh ${ssh.replace("'__CMD__'", q("docker load -q"))} >/dev/null; }`,
    `want=$(docker image inspect -f '{{.Id}}' ${q(image)})`,
    `have=$(${remote(inspect)})`,
    `if [ "$have" != "$want" ]; then retry_ssh load; fi`,
    `have=$(${remote(inspect)})`,
    `[ "$have" = "$want" ] || { echo "${image} on ${node} has ID \${have:-none} after loading, expected $want" >&2; exit 1; }`,
    'echo "$want"',
  ].join("\n");
}

/**
 * The same copy into a node that is a container of a Docker engine driven from here (docker-lab):
 * `docker save | docker exec -i <container> docker load`, no SSH handshake, no key. It needs only the
 * container, not the swarm: it waits (up to `readySeconds`) for the node's dockerd itself.
 */
export function containerSideLoadScript(image: string, node: string, container: { name: string; dockerHost?: string }, readySeconds = 120): string {
  const engine = container.dockerHost ? `DOCKER_HOST=${q(container.dockerHost)} ` : "";
  // (-i only where the image goes in: the others must not read the script's stdin)
  const inNode = (cmd: string, stdin = false) => `${engine}docker exec${stdin ? " -i" : ""} ${q(container.name)} ${cmd}`;
  const inspect = inNode(`docker image inspect -f '{{.Id}}' ${q(image)} 2>/dev/null || true`);
  // A copy runs while the swarm forms, and swarmlab itself may restart a node's dockerd then (a
  // restore puts the backup in place with dockerd stopped): a load cut short by a dockerd that went
  // away is made again once it answers (3 tries), within the same budget.
  return [
    `end=$((SECONDS + ${readySeconds})) tries=0`,
    `want=$(docker image inspect -f '{{.Id}}' ${q(image)})`,
    "while :; do",
    // a dockerd still starting is waited for; a container that does not run (stopped, paused) is not
    `  until ${inNode("docker info")} >/dev/null 2>&1; do`,
    `    out=$(${inNode("true")} 2>&1) || { echo "${node}: $out" >&2; exit 1; }`,
    `    [ $SECONDS -lt $end ] || { echo "dockerd on ${node} does not answer after ${readySeconds} s" >&2; exit 1; }`,
    "    sleep 0.5",
    "  done",
    `  have=$(${inspect})`,
    `  if [ "$have" != "$want" ]; then docker save ${q(image)} | ${inNode("docker load -q", true)} >/dev/null || true; fi`,
    // judged by what the node holds afterwards, not by the pipe's status
    `  have=$(${inspect})`,
    '  [ "$have" = "$want" ] && break',
    `  tries=$((tries + 1)); if [ $tries -lt 3 ] && [ $SECONDS -lt $end ]; then echo "${node}: ${image} not there after its load (dockerd restarted?): loading it again once dockerd answers" >&2; continue; fi`,
    `  echo "${image} on ${node} has ID \${have:-none} after loading, expected $want" >&2; exit 1`,
    "done",
    'echo "$want"',
  ].join("\n");
}

export interface ImageDeliveryArgs {
  images: string[];
  /** Each image's local ID when already read (the preflight checks that every image is here). */
  ids?: Record<string, string>;
  hosts: Host[];
  source: string;
  /** What every copy over SSH waits for (the ready swarm: SSH and dockerd answer on every host). */
  after?: pulumi.Resource[];
  sshRetrySeconds?: number;
  /** How long a copy into a node container waits for that node's dockerd (default 120 s). */
  readySeconds?: number;
  /** Of `images`, those copied into the managers only (managerOnlyImages). */
  managersOnly?: string[];
}

/** Side-loads the configured images into every node (or every manager, for managersOnly). */
export class ImageDelivery extends pulumi.ComponentResource {
  readonly loaded: Command[] = [];
  private readonly byImage = new Map<string, Command[]>();
  constructor(name: string, args: ImageDeliveryArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:addons:ImageDelivery", name, {}, formerType("swarmlab:services:ImageDelivery", opts));
    const ids = args.ids ?? checkLocalImages(args.images, args.source);
    const managersOnly = new Set(args.managersOnly ?? []);
    for (const image of args.images) {
      const hosts = managersOnly.has(image) ? args.hosts.filter((h) => h.role === "manager") : args.hosts;
      const loads = hosts.map((h) => (h.container ? this.intoContainer(name, image, h, h.container, ids[image], args.readySeconds, opts) : this.overSsh(name, image, h, ids[image], args, opts)));
      this.loaded.push(...loads);
      const key = canonicalImage(image);
      this.byImage.set(key, [...(this.byImage.get(key) ?? []), ...loads]);
    }
    this.registerOutputs({});
  }

  /** The copies of one image (none when it is not side-loaded): what a service of it waits for. */
  loadsOf(image: string): Command[] {
    return this.byImage.get(canonicalImage(image)) ?? [];
  }

  /** A node container: waits for that container only, so copies overlap the swarm's formation. */
  private intoContainer(name: string, image: string, h: Host, container: { name: string; dockerHost?: string }, id: string, readySeconds: number | undefined, opts: pulumi.ComponentResourceOptions): Command {
    return new Command(
      resourceName(name, image, h),
      {
        label: `${h.name}: load image ${image}`,
        create: containerSideLoadScript(image, h.name, container, readySeconds),
        triggers: [id, h.instance],
        timeoutSeconds: 900,
      },
      { parent: this, dependsOn: h.dependsOn, deletedWith: opts.deletedWith },
    );
  }

  /** Any other host: over SSH once the swarm is ready (SSH and dockerd answer on every host). */
  private overSsh(name: string, image: string, h: Host, id: string, args: ImageDeliveryArgs, opts: pulumi.ComponentResourceOptions): Command {
    const ssh = pulumi.output(h.ssh);
    return new Command(
      resourceName(name, image, h),
      {
        label: `${h.name}: load image ${image}`,
        create: pulumi.unsecret(ssh.apply((t) => sideLoadScript(image, h.name, t, args.sshRetrySeconds))),
        environment: ssh.apply((t) => ({ SWARMLAB_SSH_KEY: t.privateKey, ...(t.hostKey ? { SWARMLAB_KNOWN_HOSTS: knownHostsLine(t) } : {}) })),
        triggers: [id, h.instance],
        timeoutSeconds: 900,
      },
      { parent: this, dependsOn: [...h.dependsOn, ...(args.after ?? [])], deletedWith: opts.deletedWith, additionalSecretOutputs: ["environment"] },
    );
  }
}

/** One resource per image and node (names kept from the start: existing labs keep their loads). */
function resourceName(name: string, image: string, h: Host): string {
  return `${name}-${image.replace(/[^a-zA-Z0-9]+/g, "-")}-${h.name}`;
}
