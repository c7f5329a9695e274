import * as pulumi from "@pulumi/pulumi";
import { Command, type CommandArgs } from "../command/provider";
import type { SshTarget } from "../command/ssh";
import type { SwarmConfig } from "../config/cluster";
import { dockerHostUrl, type Host } from "../hosts/host";
import { firstManagerOf } from "./quorum";
import * as scripts from "./scripts";

export interface SwarmClusterArgs {
  hosts: Host[];
  swarm: SwarmConfig;
}

export interface NodeTableRow {
  name: string;
  role: string;
  address: string;
  sshPort: number;
  labels: Record<string, string>;
  availability: string;
}

/** The manager that runs `swarm init` and the manager-side commands: the first manager in config order. */
export function firstManager(hosts: Host[]): Host {
  const m = firstManagerOf(hosts);
  if (!m) throw new Error("no manager among the hosts");
  return m;
}

/**
 * Forms a swarm over SSH from any hosts: readiness gate per host, init on the first manager,
 * managers joining one at a time and workers in parallel, then role, availability and labels.
 * Removing a host from the list drains it, demotes it, makes it leave and removes it from the
 * node list, in that order, before the host itself is destroyed.
 */
export class SwarmCluster extends pulumi.ComponentResource {
  readonly nodes: pulumi.Output<NodeTableRow[]>;
  readonly leaderAddress: pulumi.Output<string>;
  readonly leaderName: pulumi.Output<string>;
  readonly dockerHost: pulumi.Output<string>;
  readonly joinCommands: pulumi.Output<{ worker: string; manager: string }>;
  readonly manager: Host;
  /** Publish and endpoint modes resolved against the nodes' kernels (see resolveNetworkModes). */
  readonly modes: pulumi.Output<scripts.NetworkModes>;
  /** Completes when every node has joined and has its settings. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: SwarmClusterArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:swarm:SwarmCluster", name, {}, opts);
    const timeout = args.swarm.readyTimeoutSeconds;
    const leader = firstManager(args.hosts);
    this.manager = leader;
    const run = (id: string, host: Host, a: Omit<CommandArgs, "connection">, o: pulumi.CustomResourceOptions = {}) =>
      new Command(`${name}-${id}`, { ...a, connection: host.ssh }, { parent: this, ...o });

    const ready = new Map<string, Command>();
    for (const h of args.hosts) {
      ready.set(
        h.name,
        run(`${h.name}-ready`, h, {
          label: `${h.name}: engine check`,
          create: scripts.readyScript(timeout),
          update: scripts.readyScript(timeout),
          triggers: [h.instance],
          dialTimeoutSeconds: timeout,
        }, { dependsOn: h.dependsOn }),
      );
    }

    const noIpvs = pulumi.all([...ready.values()].map((r) => r.stdout)).apply((outs) =>
      args.hosts.filter((_, i) => scripts.parseKeyValues(outs[i]).ipvs !== "yes").map((h) => h.name),
    );
    this.modes = noIpvs.apply((names) => {
      const modes = scripts.resolveNetworkModes(args.swarm, names);
      modes.warnings.forEach((w) => pulumi.log.warn(w, this));
      return modes;
    });

    const init = run(`${leader.name}-init`, leader, {
      label: `${leader.name}: swarm init`,
      create: pulumi.output(leader.advertiseAddress).apply((addr) =>
        scripts.initScript({ advertiseAddress: addr, defaultAddrPool: args.swarm.defaultAddrPool, dataPathPort: args.swarm.dataPathPort }),
      ),
      delete: scripts.leaveScript(),
      ignoreUnreachableOnDelete: true,
      triggers: [leader.instance],
    }, { dependsOn: [ready.get(leader.name) as Command], additionalSecretOutputs: ["stdout"] });
    const initOut = init.stdout.apply(scripts.parseKeyValues);
    const tokens = pulumi.secret(initOut.apply((kv) => ({ worker: kv.worker, manager: kv.manager })));

    const settings: Command[] = [];
    const applySettings = (h: Host, nodeId: pulumi.Input<string>, dependsOn: pulumi.Resource[]) => {
      const script = pulumi.output(nodeId).apply((id) =>
        scripts.settingsScript({ nodeId: id.trim(), name: h.name, role: h.role, availability: h.availability, labels: h.labels, readyTimeoutSeconds: timeout }),
      );
      const c = run(`${h.name}-node`, leader, {
        label: `${h.name}: node settings`,
        create: script,
        update: script,
        delete: pulumi.output(nodeId).apply((id) => scripts.retireScript({ nodeId: id.trim(), name: h.name, timeoutSeconds: timeout })),
        ignoreUnreachableOnDelete: true,
        timeoutSeconds: timeout + 60,
      }, { dependsOn });
      settings.push(c);
      return c;
    };

    let previousManager: pulumi.Resource = applySettings(leader, initOut.apply((kv) => kv.node), [init]);
    const joinAddress = pulumi.output(leader.advertiseAddress);
    for (const h of args.hosts.filter((x) => x !== leader)) {
      // Created before the join and deleted after the leave: removes the node from `docker node ls`.
      const removal = run(`${h.name}-remove`, leader, {
        label: `${h.name}: node rm`,
        create: "true",
        delete: scripts.removeNodeScript(h.name),
        ignoreUnreachableOnDelete: true,
      }, { dependsOn: [init] });
      const waitFor: pulumi.Resource[] = [ready.get(h.name) as Command, removal];
      if (h.role === "manager") waitFor.push(previousManager); // managers join one at a time
      const joinScript = pulumi.all([h.advertiseAddress, joinAddress]).apply(([addr, mgr]) => scripts.joinScript(addr, mgr));
      const join = run(`${h.name}-join`, h, {
        label: `${h.name}: swarm join`,
        create: joinScript,
        // Idempotent: a rotated token or a new role never re-joins a live node; a node that left
        // the swarm behind swarmlab's back (the check sees no node ID) joins again.
        update: joinScript,
        check: scripts.nodeIdScript(),
        delete: scripts.leaveScript(),
        ignoreUnreachableOnDelete: true,
        environment: pulumi.secret(
          pulumi.all([tokens, initOut]).apply(([t, kv]) => ({ SWARMLAB_JOIN_TOKEN: h.role === "manager" ? t.manager : t.worker, SWARMLAB_SWARM_MANAGER: kv.node })),
        ),
        triggers: [h.instance],
        timeoutSeconds: timeout,
      }, { dependsOn: waitFor });
      // Promotions change the Raft membership: one manager at a time, after the previous one.
      const s = applySettings(h, join.stdout, h.role === "manager" ? [join, previousManager] : [join]);
      if (h.role === "manager") previousManager = s;
    }

    // The swarm as it really is once everything applied; re-read whenever a node's settings change.
    const list = run("nodes", leader, {
      label: "node list",
      create: scripts.nodeListScript(),
      update: scripts.nodeListScript(),
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
      return args.hosts.some((h) => h.name === row?.name) ? (row?.name as string) : leader.name;
    });
    this.leaderAddress = pulumi.all([this.leaderName, addresses]).apply(([name, addrs]) => addrs[args.hosts.findIndex((h) => h.name === name)]);
    this.dockerHost = pulumi.unsecret(pulumi.output(leader.ssh).apply((t: SshTarget) => dockerHostUrl(t)));
    this.joinCommands = pulumi.secret(
      pulumi.all([tokens, joinAddress]).apply(([t, addr]) => ({
        worker: `docker swarm join --token ${t.worker} ${addr}:2377`,
        manager: `docker swarm join --token ${t.manager} ${addr}:2377`,
      })),
    );
    this.ready = [list];
    this.registerOutputs({ nodes: this.nodes, leaderAddress: this.leaderAddress, leaderName: this.leaderName, dockerHost: this.dockerHost, modes: this.modes });
  }
}
