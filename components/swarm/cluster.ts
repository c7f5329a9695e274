import * as pulumi from "@pulumi/pulumi";
import { Command, type CommandArgs } from "../command/provider";
import type { SshTarget } from "../command/ssh";
import type { SwarmConfig } from "../config/cluster";
import { dockerHostUrl, type Host } from "../hosts/host";
import { SwarmBootstrap } from "./bootstrap";
import type { Rotations, SwarmSettings } from "./settings";
import { parseKeyValues } from "../command/shell";
import * as scripts from "./scripts";
import { overlayMtu, parseMtu } from "./mtu";

/**
 * The value of `o` without its resource dependencies (and `fallback` while it is unknown, in a
 * preview). The overlay MTU is read by the readiness gates, but the networks made from it must not
 * depend on them: a network is replaced (delete first) when an input it depends on may change, and
 * a node container replaced would then take down a network its services still use.
 */
function valueOnly(o: pulumi.Output<number | undefined>, fallback: number | undefined): pulumi.Output<number | undefined> {
  // isKnown and promise() are the SDK's own (OutputImpl), left out of its typings.
  const impl = o as unknown as { isKnown?: Promise<boolean>; promise?: () => Promise<number | undefined> };
  if (!impl.isKnown || !impl.promise) return o;
  const { isKnown, promise } = impl;
  return pulumi.output(isKnown.then((k) => (k ? promise.call(o) : fallback)));
}

export interface SwarmClusterArgs {
  hosts: Host[];
  swarm: SwarmConfig;
  /** The managers of the last deployment (for the aliases of stacks made by earlier versions). */
  previousManagers?: string[];
}

/** The day-2 settings the swarm resource applies (unset ones stay as the swarm has them; Pulumi drops undefined inputs). */
function settingsOf(c: SwarmConfig): SwarmSettings {
  const { autolock, certExpiry, dispatcherHeartbeat, taskHistoryLimit, snapshotInterval, maxSnapshots } = c;
  return { autolock, certExpiry, dispatcherHeartbeat, taskHistoryLimit, snapshotInterval, maxSnapshots };
}

/** Rotation triggers as text (only their changes matter). */
function rotationsOf(c: SwarmConfig): Rotations {
  const text = (v: unknown) => (v === undefined ? undefined : String(v));
  return { unlockKey: text(c.rotateUnlockKey), joinTokens: text(c.rotateJoinTokens), ca: text(c.rotateCA) };
}

export interface NodeTableRow {
  name: string;
  role: string;
  address: string;
  sshPort: number;
  labels: Record<string, string>;
  availability: string;
}

/**
 * Forms a swarm over SSH from any hosts: a readiness gate per host; the swarm itself decided from
 * every manager's state (kept, initialised only when no manager holds one); managers joining one
 * at a time and workers in parallel, each through a live manager; then role, availability and
 * labels, applied on whichever manager answers with control. Removing a host from the list drains
 * it, demotes it, makes it leave and removes it from the node list, in that order, before the host
 * itself is destroyed. No manager is special: any one of them may be lost.
 */
export class SwarmCluster extends pulumi.ComponentResource {
  readonly nodes: pulumi.Output<NodeTableRow[]>;
  readonly leaderAddress: pulumi.Output<string>;
  readonly leaderName: pulumi.Output<string>;
  readonly dockerHost: pulumi.Output<string>;
  readonly joinCommands: pulumi.Output<{ worker: string; manager: string }>;
  /** The managers in configured order: manager-side work runs on the first that answers with control. */
  readonly managers: Host[];
  /** Their SSH targets, for commands with `managers` (failover). */
  readonly managerTargets: pulumi.Output<SshTarget[]>;
  /** The swarm's ID and what the last run that changed it did (kept, initialised, recovered). */
  readonly swarm: pulumi.Output<{ clusterId: string; event: string }>;
  readonly clusterId: pulumi.Output<string>;
  /** The autolock unlock key ("" without autolock): a secret. */
  readonly unlockKey: pulumi.Output<string>;
  /** Publish and endpoint modes resolved against the nodes' kernels (see resolveNetworkModes). */
  readonly modes: pulumi.Output<scripts.NetworkModes>;
  /** The overlay networks' MTU (see overlayMtu); undefined: Docker's default, nothing passed. */
  readonly overlayMtu: pulumi.Output<number | undefined>;
  /** Completes when every node has joined and has its settings. */
  readonly ready: pulumi.Resource[];
  /** What the hosts' teardownWith is (a lab's network): add-ons and stacks are deleted with it too. */
  readonly teardownWith?: pulumi.Resource;

  constructor(name: string, args: SwarmClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:swarm:SwarmCluster", name, {}, opts);
    const timeout = args.swarm.readyTimeoutSeconds;
    const retry = args.swarm.sshRetrySeconds;
    const managers = args.hosts.filter((h) => h.role === "manager");
    if (!managers.length) throw new Error("no manager among the hosts");
    this.managers = managers;
    const managerTargets = pulumi.all(managers.map((m) => pulumi.output(m.ssh)));
    this.managerTargets = managerTargets;
    // A lab removed whole takes its swarm with it: nothing to drain, demote or leave then.
    const deletedWith = args.hosts[0]?.teardownWith;
    this.teardownWith = deletedWith;
    const run = (id: string, host: Host, a: Omit<CommandArgs, "connection">, o: pulumi.CustomResourceOptions = {}) =>
      new Command(`${name}-${id}`, { sshRetrySeconds: retry, ...a, connection: host.ssh }, { parent: this, deletedWith, ...o });
    // Work on a node's own entry (its settings, its retirement) asks the other managers first: a
    // manager cannot demote itself, nor remove itself from the node list once it has left.
    const othersFirst = (h?: Host) => pulumi.all([...managers.filter((m) => m !== h), ...managers.filter((m) => m === h)].map((m) => pulumi.output(m.ssh)));
    const onManager = (id: string, a: Omit<CommandArgs, "connection" | "managers">, o: pulumi.CustomResourceOptions = {}, about?: Host) =>
      new Command(`${name}-${id}`, { sshRetrySeconds: retry, ...a, managers: about ? othersFirst(about) : managerTargets }, { parent: this, deletedWith, ...o });

    const ready = new Map<string, Command>();
    for (const h of args.hosts) {
      ready.set(
        h.name,
        run(`${h.name}-ready`, h, {
          label: `${h.name}: engine check`,
          create: pulumi.output(h.advertiseAddress).apply((a) => scripts.readyScript(timeout, a)),
          triggers: [h.instance],
          dialTimeoutSeconds: timeout,
        }, { dependsOn: h.dependsOn }),
      );
    }

    const noIpvs = pulumi.all([...ready.values()].map((r) => r.stdout)).apply((outs) =>
      args.hosts.filter((_, i) => parseKeyValues(outs[i]).ipvs !== "yes").map((h) => h.name),
    );
    this.modes = noIpvs.apply((names) => {
      const modes = scripts.resolveNetworkModes(args.swarm, names);
      modes.warnings.forEach((w) => pulumi.log.warn(w, this));
      return modes;
    });
    const mtu = pulumi.all([...ready.values()].map((r) => r.stdout)).apply((outs) => {
      const plan = overlayMtu(args.swarm.mtu, Object.fromEntries(args.hosts.map((h, i) => [h.name, parseMtu(parseKeyValues(outs[i]).mtu)])));
      plan.warnings.forEach((w) => pulumi.log.warn(w, this));
      if (plan.info) pulumi.log.info(plan.info, this);
      return plan.mtu;
    });
    // A preview of a lab made before this setting re-runs the readiness gates, so their output is
    // unknown there: the preview assumes Docker's default rather than show every network replaced.
    this.overlayMtu = valueOnly(mtu, undefined);

    // Not after the managers' readiness gates: one lost manager must not hold back the decision,
    // which needs only the managers that answer (it waits for silent ones only when it must).
    const bootstrap = new SwarmBootstrap(`${name}-swarm`, {
      managers: pulumi.all(managers.map((m) => pulumi.all([pulumi.output(m.ssh), pulumi.output(m.advertiseAddress)]).apply(([connection, advertiseAddress]) => ({ name: m.name, connection, advertiseAddress })))),
      defaultAddrPool: args.swarm.defaultAddrPool,
      dataPathPort: args.swarm.dataPathPort,
      forceNewCluster: args.swarm.forceNewCluster,
      settings: settingsOf(args.swarm),
      rotate: rotationsOf(args.swarm),
      waitSeconds: timeout,
      sshRetrySeconds: retry,
    }, {
      parent: this,
      deletedWith,
      dependsOn: managers.flatMap((m) => m.dependsOn),
      // Before, `swarm init` was a command of the first manager, whose delete made it leave the
      // swarm: a stack made then updates this resource in its place instead of deleting that one,
      // whichever manager came first then (the last deployment's, or any configured now).
      aliases: [...new Set([...(args.previousManagers ?? []), ...managers.map((m) => m.name)])].map((m) => ({ name: `${name}-${m}-init`, type: "pulumi-nodejs:dynamic/swarmlab:Command" })),
    });
    this.clusterId = bootstrap.clusterId;
    this.unlockKey = pulumi.secret(bootstrap.unlockKey.apply((k) => k ?? ""));
    this.swarm = pulumi.all([bootstrap.clusterId, bootstrap.event]).apply(([clusterId, event]) => ({ clusterId, event }));

    const settings: Command[] = [];
    let previousManager: pulumi.Resource = bootstrap;
    for (const h of args.hosts) {
      // Created before the join and deleted after the leave: removes the node from `docker node ls`.
      const removal = onManager(`${h.name}-remove`, {
        label: `${h.name}: node rm`,
        create: "true",
        delete: scripts.removeNodeScript(h.name),
        ignoreUnreachableOnDelete: true,
      }, { dependsOn: [bootstrap] }, h);
      // Every node joins as a worker (joinLookupScript): joins do not wait for each other.
      const waitFor: pulumi.Resource[] = [ready.get(h.name) as Command, removal, bootstrap];
      const joinScript = pulumi.output(h.advertiseAddress).apply((addr) => scripts.joinScript(addr));
      const join = run(`${h.name}-join`, h, {
        label: `${h.name}: swarm join`,
        create: joinScript,
        // Idempotent: a new role never re-joins a live node; a node that left the swarm behind
        // swarmlab's back (the check sees no node ID) joins again.
        check: scripts.nodeIdScript(),
        delete: scripts.leaveScript(),
        ignoreUnreachableOnDelete: true,
        // the token, this swarm's node IDs and the live managers' addresses, read at that moment
        managers: managerTargets,
        managerLookup: scripts.joinLookupScript(),
        // a new swarm (all managers were lost) is joined again
        environment: bootstrap.clusterId.apply((id) => ({ SWARMLAB_CLUSTER_ID: id })),
        triggers: [h.instance],
        timeoutSeconds: timeout,
      }, { dependsOn: waitFor });
      const nodeId = join.stdout;
      const script = nodeId.apply((id) =>
        scripts.settingsScript({ nodeId: id.trim(), name: h.name, role: h.role, availability: h.availability, labels: h.labels, readyTimeoutSeconds: timeout }),
      );
      // Promotions change the Raft membership: one manager at a time, after the previous one, and
      // each after its machine's stale entries are gone (settingsScript).
      const s = onManager(`${h.name}-node`, {
        label: `${h.name}: node settings`,
        create: script,
        delete: nodeId.apply((id) => scripts.retireScript({ nodeId: id.trim(), name: h.name, timeoutSeconds: timeout })),
        ignoreUnreachableOnDelete: true,
        timeoutSeconds: timeout + 60,
      }, { dependsOn: h.role === "manager" ? [join, previousManager] : [join] }, h);
      settings.push(s);
      if (h.role === "manager") previousManager = s;
    }

    // The swarm as it really is once everything applied; re-read whenever a node's settings change.
    const list = onManager("nodes", {
      label: "node list",
      create: scripts.nodeListScript(),
      environment: pulumi.all(settings.map((s) => s.stdout)).apply((outs) => ({ SWARMLAB_SETTINGS: outs.map((o) => o.trim()).join(",") })),
    }, { dependsOn: settings });

    const addresses = pulumi.all(args.hosts.map((h) => pulumi.output(h.address)));
    const ports = pulumi.unsecret(pulumi.all(args.hosts.map((h) => pulumi.output(h.ssh).apply((t: SshTarget) => t.port))));
    this.nodes = pulumi.all([addresses, ports]).apply(([addrs, sshPorts]) =>
      args.hosts.map((h, i) => ({ name: h.name, role: h.role, address: addrs[i], sshPort: sshPorts[i], labels: h.labels, availability: h.availability })),
    );
    // The Raft leader as the live node list says (a host of ours), else the first manager.
    this.leaderName = list.stdout.apply((out) => {
      const row = scripts.parseNodeList(out).find((r) => r.managerStatus === "Leader");
      return managers.some((h) => h.name === row?.name) ? (row?.name as string) : managers[0].name;
    });
    const index = (leader: string) => args.hosts.findIndex((h) => h.name === leader);
    this.leaderAddress = pulumi.all([this.leaderName, addresses]).apply(([leader, addrs]) => addrs[index(leader)]);
    const targets = pulumi.all(args.hosts.map((h) => pulumi.output(h.ssh)));
    this.dockerHost = pulumi.unsecret(pulumi.all([this.leaderName, targets]).apply(([leader, ts]) => dockerHostUrl(ts[index(leader)])));
    const leaderAdvertise = pulumi.all([this.leaderName, pulumi.all(args.hosts.map((h) => pulumi.output(h.advertiseAddress)))]).apply(([leader, addrs]) => addrs[index(leader)]);
    this.joinCommands = pulumi.secret(
      pulumi.all([bootstrap.worker, bootstrap.manager, leaderAdvertise]).apply(([worker, manager, addr]) => ({
        worker: `docker swarm join --token ${worker} ${addr}:2377`,
        manager: `docker swarm join --token ${manager} ${addr}:2377`,
      })),
    );
    this.ready = [list];
    this.registerOutputs({ nodes: this.nodes, leaderAddress: this.leaderAddress, leaderName: this.leaderName, dockerHost: this.dockerHost, modes: this.modes, overlayMtu: this.overlayMtu, swarm: this.swarm });
  }
}
