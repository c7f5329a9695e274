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

/** Side-loads the configured images into every node. */
export class ImageDelivery extends pulumi.ComponentResource {
  readonly loaded: Command[] = [];
  /** `after`: what every copy waits for (the ready swarm: SSH and dockerd answer on every host). */
  /** `ids`: each image's local ID when already read (the preflight checks that every image is here). */
  constructor(name: string, args: { images: string[]; ids?: Record<string, string>; hosts: Host[]; source: string; after?: pulumi.Resource[]; sshRetrySeconds?: number }, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:addons:ImageDelivery", name, {}, formerType("swarmlab:services:ImageDelivery", opts));
    const ids = args.ids ?? checkLocalImages(args.images, args.source);
    for (const image of args.images) {
      const slug = image.replace(/[^a-zA-Z0-9]+/g, "-");
      for (const h of args.hosts) {
        const ssh = pulumi.output(h.ssh);
        this.loaded.push(
          new Command(
            `${name}-${slug}-${h.name}`,
            {
              label: `${h.name}: load image ${image}`,
              create: pulumi.unsecret(ssh.apply((t) => sideLoadScript(image, h.name, t, args.sshRetrySeconds))),
              environment: ssh.apply((t) => ({ SWARMLAB_SSH_KEY: t.privateKey, ...(t.hostKey ? { SWARMLAB_KNOWN_HOSTS: knownHostsLine(t) } : {}) })),
              triggers: [ids[image], h.instance],
              timeoutSeconds: 900,
            },
            { parent: this, dependsOn: [...h.dependsOn, ...(args.after ?? [])], deletedWith: opts.deletedWith, additionalSecretOutputs: ["environment"] },
          ),
        );
      }
    }
    this.registerOutputs({});
  }
}
