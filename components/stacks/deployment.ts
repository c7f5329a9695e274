/*
 * One application stack on the swarm: the typed stack rendered to compose YAML and handed to
 * `docker stack deploy` on a manager (the YAML is the command's stdin, so `pulumi preview --diff`
 * shows exactly what changes), then a wait until every service has converged. The decisions live
 * in the exported pure functions (scripts, summaries); the component only wires them.
 */
import * as pulumi from "@pulumi/pulumi";
import { formerType } from "../typeAliases";
import { Command } from "../command/provider";
import { shellQuote as q, type SshTarget } from "../command/ssh";
import type { Stack } from "./schema";
import { type RenderOptions, renderCompose } from "./compose";
import type { Upload } from "./secrets";

/** The label docker stack deploy puts on everything it creates. */
export const STACK_LABEL = "com.docker.stack.namespace";

/** A stack ready to deploy: validated, overrides applied, secrets and configs renamed by content. */
export interface PreparedStack {
  name: string;
  /** The stack file (for messages). */
  file: string;
  stack: Stack;
  uploads: Upload[];
  /** Image overrides: service name or image reference -> reference. */
  images: Record<string, string>;
  /** How long a deploy may take to converge, in seconds. */
  timeoutSeconds?: number;
  warnings: string[];
}

export interface ConvergeOptions {
  /** Give up (and fail naming what did not converge) after this many seconds. Default 300. */
  timeoutSeconds?: number;
  /** Seconds between two looks at the services. Default 1. */
  pollSeconds?: number;
  /**
   * The services must look converged for this long (an update may not have started yet; a task
   * that crashes at once has failed by then). Default 3: it is on the path of every deploy.
   */
  stableSeconds?: number;
}

export const DEFAULT_CONVERGE: Required<ConvergeOptions> = { timeoutSeconds: 300, pollSeconds: 1, stableSeconds: 3 };

export interface ServiceSummary {
  /** Swarm service name: `<stack>_<service>`. */
  name: string;
  mode: "replicated" | "global";
  /** Desired tasks (replicated services only). */
  replicas?: number;
}

/** Per service of the stack: its swarm name, mode and desired replicas. */
export function serviceSummary(stackName: string, stack: Stack): Record<string, ServiceSummary> {
  const out: Record<string, ServiceSummary> = {};
  for (const name of Object.keys(stack.services).sort()) {
    const deploy = stack.services[name].deploy ?? {};
    const mode = deploy.mode === "global" ? "global" : "replicated";
    out[name] = mode === "global" ? { name: `${stackName}_${name}`, mode } : { name: `${stackName}_${name}`, mode, replicas: deploy.replicas ?? 1 };
  }
  return out;
}

function words(values: string[]): string {
  return q(` ${values.join(" ")} `);
}

/**
 * Lists task errors of a service ($1), current tasks first: at most 3 distinct errors, one per line,
 * "    <task> on <node> (<state>): <error>". `--no-trunc` quotes the error; the quotes are dropped.
 */
const TASK_ERRORS = `task_errors() {
  docker service ps --no-trunc --format '{{.Name}}|{{.Node}}|{{.DesiredState}}|{{.CurrentState}}|{{.Error}}' "$1" 2>/dev/null | awk -F'|' '
    { err = $5; for (i = 6; i <= NF; i++) err = err "|" $i; gsub(/^"|"$/, "", err) }
    err != "" && !(err in seen) { seen[err] = 1; line = "    " $1 " on " ($2 == "" ? "no node" : $2) " (" $4 "): " err
      if ($3 == "Running" || $3 == "Ready" || $3 == "Accepted") cur[++nc] = line; else old[++no] = line }
    END { n = 0; for (i = 1; i <= nc && n < 3; i++) { print cur[i]; n++ } for (i = 1; i <= no && n < 3; i++) { print old[i]; n++ } }' || true
}`;

export interface DeployScriptOptions extends ConvergeOptions {
  stack: string;
  /** Swarm names of the services the stack defines: each must exist and converge. */
  services: string[];
  uploads: Pick<Upload, "kind" | "name" | "env">[];
}

/**
 * The deploy, run on a manager with the compose YAML on stdin:
 * 1. writes the YAML and the uploaded secrets/configs (from base64 environment variables) into a
 *    private work directory, which relative `file:` paths in the YAML point into;
 * 2. `docker stack deploy --prune --with-registry-auth` (services no longer in the file are removed);
 * 3. waits until every service converged: each replicated service at its desired count of running
 *    tasks, each global one running on every eligible node, no update in progress, and that for
 *    `stableSeconds`; an update that paused or rolled back fails at once, a timeout fails too, both
 *    naming the service and its tasks' own errors (`docker service ps --no-trunc`);
 * 4. removes the stack's secrets and configs that are no longer used (in-use ones stay);
 * 5. prints `<service> <mode> <running/desired>` per service.
 * Update states left over from an earlier deploy (same StartedAt as before this deploy) are not
 * taken for this deploy's outcome.
 */
export function deployScript(o: DeployScriptOptions): string {
  const c: Required<ConvergeOptions> = {
    timeoutSeconds: o.timeoutSeconds ?? DEFAULT_CONVERGE.timeoutSeconds,
    pollSeconds: o.pollSeconds ?? DEFAULT_CONVERGE.pollSeconds,
    stableSeconds: o.stableSeconds ?? DEFAULT_CONVERGE.stableSeconds,
  };
  const decode = o.uploads.map((u) => `printf '%s' "$${u.env}" | base64 -d > ${q(u.name)}`);
  return `stack=${q(o.stack)}
timeout=${c.timeoutSeconds}; poll=${c.pollSeconds}; stable=${c.stableSeconds}
expected=${words(o.services)}
keep=${words(o.uploads.map((u) => u.name))}
ns="label=${STACK_LABEL}=$stack"
work=$(mktemp -d "\${TMPDIR:-/tmp}/swarmlab-stack.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat > "$work/compose.yaml"
cd "$work"
umask 077
${decode.join("\n")}
${TASK_ERRORS}
update_status() {
  local ids
  ids=$(docker service ls -q --filter "$ns") || return 1
  [ -z "$ids" ] || docker service inspect --format '{{.Spec.Name}}|{{if .UpdateStatus}}{{.UpdateStatus.State}}|{{.UpdateStatus.StartedAt}}|{{.UpdateStatus.Message}}{{end}}' $ids
}
field() { printf '%s\\n' "$1" | awk -F'|' -v n="$2" -v f="$3" '$1 == n { print $f; exit }'; }
before=$(update_status || true)

echo "deploying stack $stack" >&2
docker stack deploy --prune --with-registry-auth -c - "$stack" < compose.yaml >&2

deadline=$(( $(date +%s) + timeout )); since=""
while :; do
  now=$(date +%s); pending=""; fatal=""; rolled=""
  if ! list=$(docker service ls --filter "$ns" --format '{{.Name}}|{{.Mode}}|{{.Replicas}}' 2>&1) || ! status=$(update_status 2>&1); then
    pending="cannot list the services: $list $status"
  else
    for svc in $expected; do
      case "|$(printf '%s\\n' "$list" | cut -d'|' -f1 | tr '\\n' '|')" in *"|$svc|"*) ;; *) pending="$pending
  service $svc: not created yet"; continue;; esac
    done
    while IFS='|' read -r name mode replicas; do
      [ -n "$name" ] || continue
      case "$mode" in *job*) continue;; esac
      counts=\${replicas%% *}; running=\${counts%/*}; desired=\${counts#*/}
      state=$(field "$status" "$name" 2); started=$(field "$status" "$name" 3); message=$(field "$status" "$name" 4)
      fresh=1; [ -n "$started" ] && [ "$started" = "$(field "$before" "$name" 3)" ] && fresh=0
      case "$state" in
        updating|rollback_started) pending="$pending
  service $name: \${state/_/ } ($running/$desired tasks running)";;
        paused|rollback_paused) if [ "$fresh" = 1 ]; then fatal="$fatal
service $name: update $state: $message
$(task_errors "$name")"; fi;;
        rollback_completed) if [ "$fresh" = 1 ]; then rolled="$rolled
service $name: the update failed and was rolled back ($message)
$(task_errors "$name")"; fi;;
      esac
      if [ "$running" != "$desired" ]; then pending="$pending
  service $name: $running/$desired tasks running"; fi
    done <<< "$list"
  fi
  if [ -n "$fatal" ]; then echo "stack $stack: deploy failed:$fatal$rolled" >&2; exit 1; fi
  if [ -n "$rolled" ] && [ -z "$pending" ]; then echo "stack $stack: deploy failed:$rolled" >&2; exit 1; fi
  if [ -z "$pending" ]; then
    if [ -z "$since" ]; then since=$now; fi
    if [ $(( now - since )) -ge "$stable" ]; then break; fi
  else
    since=""
  fi
  if [ "$now" -ge "$deadline" ]; then
    if [ -n "$rolled" ]; then echo "stack $stack: deploy failed:$rolled" >&2; exit 1; fi
    echo "stack $stack: not converged after $timeout s:" >&2
    printf '%s\\n' "$pending" | while IFS= read -r line; do
      [ -n "$line" ] || continue
      echo "$line" >&2
      svc=$(printf '%s' "$line" | sed -n 's/^  service \\([^:]*\\):.*/\\1/p')
      [ -z "$svc" ] || task_errors "$svc" >&2
    done
    exit 1
  fi
  sleep "$poll"
done

for kind in secret config; do
  for old in $(docker $kind ls --filter "$ns" --format '{{.Name}}'); do
    case "$keep" in *" $old "*) continue;; esac
    if docker $kind rm "$old" >/dev/null 2>&1; then echo "removed unused $kind $old" >&2; fi
  done
done
docker service ls --filter "$ns" --format '{{.Name}} {{.Mode}} {{.Replicas}}'
`;
}

export interface RemoveScriptOptions {
  stack: string;
  /** Give up after this many seconds. Default 120. */
  timeoutSeconds?: number;
  pollSeconds?: number;
}

/**
 * `docker stack rm`, then waits until the stack's services, networks, secrets and configs are gone
 * (a network disappears only once the tasks attached to it are gone; removals are retried). A host
 * that is no longer a swarm manager has no stack left: success (run with `managers`, the guard
 * moves on to another manager first).
 */
export function removeScript(o: RemoveScriptOptions): string {
  return `stack=${q(o.stack)}
timeout=${o.timeoutSeconds ?? 120}; poll=${o.pollSeconds ?? 1}
ns="label=${STACK_LABEL}=$stack"
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}' 2>/dev/null || true)" != active/true ]; then
  echo "$(hostname) is not a swarm manager (any more): no stack $stack to remove" >&2; exit 0
fi
docker stack rm "$stack" >&2 || true
deadline=$(( $(date +%s) + timeout ))
while :; do
  left=""
  for kind in service network secret config; do
    names=$(docker $kind ls --filter "$ns" --format '{{.Name}}' 2>/dev/null || true)
    [ -n "$names" ] || continue
    left="$left $kind: $(echo $names)"
    docker $kind rm $names >/dev/null 2>&1 || true
  done
  [ -n "$left" ] || break
  if [ "$(date +%s)" -ge "$deadline" ]; then echo "stack $stack: still present after $timeout s:$left" >&2; exit 1; fi
  sleep "$poll"
done
echo "stack $stack removed" >&2
`;
}

export interface StackDeploymentArgs {
  stack: PreparedStack;
  /** The managers, in configured order: the deploy runs on the first that answers with control. */
  managers: pulumi.Input<SshTarget[]>;
  /** The swarm's ID: a new swarm (every manager was lost) gets the stack deployed again. */
  clusterId?: pulumi.Input<string>;
  /** Rendering options shared by the cluster's stacks (name, source and images come from the stack). */
  render?: Omit<RenderOptions, "name" | "source" | "images">;
  /** Cluster defaults for services that do not choose; may come from the nodes (IPVS or not). Overrides render.defaults. */
  defaults?: pulumi.Input<NonNullable<RenderOptions["defaults"]>>;
  converge?: ConvergeOptions;
  /** Wait this long for a removed stack to be gone. */
  removeTimeoutSeconds?: number;
  /** What the deploy waits for (the ready swarm, networks, images): given to the deploy command itself. */
  dependsOn?: pulumi.Resource[];
  /** Image overrides known only once resources exist (images swarmlab built, by digest); merged over stack.images. */
  images?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The compose YAML and the environment of a deploy: pure, for the component and for tests. */
export function deployInputs(args: Pick<StackDeploymentArgs, "stack" | "render">): { compose: string; environment: Record<string, string>; secretEnv: boolean; redact: string[] } {
  const { stack } = args;
  const compose = renderCompose(stack.stack, { ...args.render, name: stack.name, source: stack.file, images: stack.images });
  const environment = Object.fromEntries(stack.uploads.map((u) => [u.env, u.base64]));
  const redact = [...new Set(stack.uploads.flatMap((u) => (u.redact ? [u.redact, u.redact.trim()] : [])))];
  return { compose, environment, secretEnv: stack.uploads.some((u) => u.secret), redact };
}

/** A stand-in image for each service with `build:`, for the checks made before built images are known. */
function placeholders(s: PreparedStack): Record<string, string> {
  return Object.fromEntries(Object.entries(s.stack.services).flatMap(([name, svc]) => (svc.build === undefined ? [] : [[name, `${s.name}/${name}:pending`]])));
}

/** A stack deployed on the swarm: created and updated by `docker stack deploy`, deleted by `docker stack rm`. */
export class StackDeployment extends pulumi.ComponentResource {
  /** Per service: swarm name, mode, desired replicas (available once the deploy converged). */
  readonly services: pulumi.Output<Record<string, ServiceSummary>>;
  /** The compose YAML handed to docker stack deploy. */
  readonly compose: pulumi.Output<string>;
  readonly deploy: Command;

  constructor(name: string, args: StackDeploymentArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:stacks:StackDeployment", name, {}, formerType("swarmlab:stacks:Stack", opts));
    const s = args.stack;
    // Everything but the compose text is known now; the defaults may be known only once the nodes
    // answered, built images once they are pushed (the check render stands in for them until then).
    const { environment, secretEnv, redact } = deployInputs(args.images ? { ...args, stack: { ...s, images: { ...placeholders(s), ...s.images } } } : args);
    const compose = pulumi
      .all([pulumi.output(args.defaults ?? args.render?.defaults ?? {}), pulumi.output(args.images ?? {})])
      .apply(([defaults, built]) => deployInputs({ stack: { ...s, images: { ...s.images, ...built } }, render: { ...args.render, defaults } }).compose);
    // the stack's own timeout (config stacks[i].timeoutSeconds) wins over the cluster-wide one
    const converge: Required<ConvergeOptions> = {
      timeoutSeconds: s.timeoutSeconds ?? args.converge?.timeoutSeconds ?? DEFAULT_CONVERGE.timeoutSeconds,
      pollSeconds: args.converge?.pollSeconds ?? DEFAULT_CONVERGE.pollSeconds,
      stableSeconds: args.converge?.stableSeconds ?? DEFAULT_CONVERGE.stableSeconds,
    };
    const summary = serviceSummary(s.name, s.stack);
    const script = deployScript({ stack: s.name, services: Object.values(summary).map((x) => x.name), uploads: s.uploads, ...converge });
    this.compose = compose;
    const withCluster = args.clusterId ? pulumi.output(args.clusterId).apply((id) => ({ ...environment, SWARMLAB_CLUSTER_ID: id })) : environment;
    this.deploy = new Command(`${name}-deploy`, {
      label: `stack ${s.name}: docker stack deploy`,
      create: script,
      delete: removeScript({ stack: s.name, timeoutSeconds: args.removeTimeoutSeconds }),
      stdin: compose,
      environment: secretEnv ? pulumi.secret(withCluster) : withCluster,
      managers: args.managers,
      timeoutSeconds: converge.timeoutSeconds + 120,
      // docker stack deploy's progress and the convergence wait, as they come (the script's stderr)
      logging: "stderr",
      ignoreUnreachableOnDelete: true,
      // inputs are stored as given: the secret contents listed for redaction must be secrets themselves
      redact: redact.length ? pulumi.secret(redact) : [],
    }, { parent: this, dependsOn: args.dependsOn, deletedWith: opts.deletedWith, additionalSecretOutputs: secretEnv ? ["environment"] : [] });
    this.services = this.deploy.stdout.apply(() => summary);
    this.registerOutputs({ services: this.services });
  }
}
