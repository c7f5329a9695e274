/**
 * The overlay MTU: what the containers on an overlay network see as their interface's MTU.
 * VXLAN adds 50 bytes to every packet, so an overlay must be 50 below the hosts' network: 1400
 * on Hetzner's 1450 private networks. Pure functions, unit-tested.
 */

/** VXLAN's overhead: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD = 50;

/** What Docker gives an overlay when nothing is set (a 1500 underlay minus VXLAN). */
export const DOCKER_DEFAULT_OVERLAY_MTU = 1500 - VXLAN_OVERHEAD;

export interface OverlayMtuPlan {
  /** undefined: leave Docker's default (nothing is passed to any network, as before this setting). */
  mtu?: number;
  warnings: string[];
  info?: string;
}

/**
 * `setting`: swarm.mtu. `nodeMtus`: each node's advertise interface MTU as the readiness gate read
 * it (undefined when it could not be read, e.g. a host without `ip`). Auto takes the smallest
 * host MTU (a packet must fit every path) minus VXLAN; a result equal to Docker's default is
 * "leave it", so labs made before this setting see no change.
 */
export function overlayMtu(setting: "auto" | number, nodeMtus: Record<string, number | undefined>): OverlayMtuPlan {
  const warnings: string[] = [];
  let mtu: number | undefined;
  if (setting !== "auto") {
    mtu = setting;
  } else {
    const unread = Object.keys(nodeMtus).filter((n) => nodeMtus[n] === undefined);
    if (unread.length) {
      warnings.push(`swarm.mtu is auto, but the MTU of the advertise interface could not be read on ${unread.join(", ")}: those nodes are left out of the overlay MTU (set swarmlab:swarm.mtu to choose it)`);
    }
    const read = Object.values(nodeMtus).filter((m): m is number => m !== undefined);
    if (read.length) mtu = Math.min(...read) - VXLAN_OVERHEAD;
  }
  if (mtu === undefined || mtu === DOCKER_DEFAULT_OVERLAY_MTU) return { warnings };
  const why = setting === "auto" ? "the hosts' smallest network MTU minus 50 bytes of VXLAN" : "swarm.mtu";
  return { mtu, warnings, info: `overlay networks get MTU ${mtu} (${why}; Docker's default is ${DOCKER_DEFAULT_OVERLAY_MTU})` };
}

/** Parses the readiness gate's `mtu=` value: a positive integer, or undefined. */
export function parseMtu(value: string | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return n >= 68 ? n : undefined;
}

/**
 * Docker's `com.docker.network.driver.mtu` option of an overlay network is the MTU of the network
 * underneath: Docker takes VXLAN's 50 bytes off it for the overlay's interfaces (checked on 20.10:
 * 1400 gives the containers 1350). So an overlay MTU of N is written as N + 50.
 */
export function overlayMtuOption(mtu: number): string {
  return String(mtu + VXLAN_OVERHEAD);
}
