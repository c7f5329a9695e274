import type * as pulumi from "@pulumi/pulumi";
import type { SshTarget } from "../command/ssh";
import type { Availability, Role } from "../config/cluster";

/**
 * The one contract between host provisioning and everything after it. Nothing in swarm/,
 * services/ or stacks/ knows whether a host is a container, a Vagrant VM or a cloud VM.
 */
export interface Host {
  /** Node name: the swarm hostname, as in `docker node ls`. */
  name: string;
  role: Role;
  labels: Record<string, string>;
  availability: Availability;
  /** Address the machine running Pulumi uses to reach the host (SSH, published ports). */
  address: pulumi.Input<string>;
  /** Address other nodes use: `docker swarm init/join --advertise-addr`. */
  advertiseAddress: pulumi.Input<string>;
  /** How to run commands on it; the private key is a secret. */
  ssh: pulumi.Input<SshTarget>;
  /**
   * Changes whenever the machine itself is replaced (a new container, a new VM): the swarm layer
   * re-joins a host whose instance changed.
   */
  instance: pulumi.Input<string>;
  /**
   * Set when the host is a container of a Docker engine this machine drives (docker-lab): bulk
   * copies (side-loaded images) go through `docker exec` there, without SSH. `dockerHost`: that
   * engine when it is not the default one.
   */
  container?: { name: string; dockerHost?: string };
  /** Resources that must exist before anything runs on the host. */
  dependsOn: pulumi.Resource[];
  /**
   * What takes the host and its whole swarm with it when deleted (the docker lab's network, which
   * goes only when the whole lab does): work on the swarm is `deletedWith` it, so that removing a
   * whole lab does not drain, demote and remove each node first. Unset where machines stay behind
   * (ssh, cloud, Vagrant): there every node leaves gracefully.
   */
  teardownWith?: pulumi.Resource;
}

/** `ssh://user@host:port`: usable as DOCKER_HOST or in `docker context create --docker host=...`. */
export function dockerHostUrl(t: { user: string; host: string; port: number }): string {
  return `ssh://${t.user}@${t.host}:${t.port}`;
}

/** Labels on every container, volume and network of a lab: listing and cleanup are label queries. */
export function labLabels(cluster: string, extra: Record<string, string> = {}): Record<string, string> {
  return { "swarmlab.cluster": cluster, ...extra };
}
