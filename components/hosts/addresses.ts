/** Address planning shared by the host kinds that choose their nodes' addresses (docker lab, Vagrant, hcloud). */

/** FNV-1a: a stable small hash, the same on every machine and Node version. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(text)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Each node's address is derived from its name (first free slot from its hash, in config order),
 * so adding or removing a node never moves the others and addresses survive a Docker restart.
 */
export function assignAddresses(subnet: string, names: string[], pinned: Record<string, string> = {}): Map<string, string> {
  const [base, bits] = subnet.split("/");
  if (Number(bits) > 24) throw new Error(`docker-lab subnet ${subnet}: expected a /24 or larger network`);
  const prefix = base.split(".").slice(0, 3).join(".");
  const slots = 240; // .10 to .249: .1 is the gateway, the rest is left for the user
  // checked first: with every slot taken, the probe loop below would never end
  if (names.length > slots) throw new Error(`docker-lab: at most ${slots} nodes fit in ${subnet}`);
  const used = new Set<number>();
  const out = new Map<string, string>();
  // Pinned addresses first: a pin settles a clash between two names that hash to the same slot.
  for (const ip of Object.values(pinned)) used.add(Number(ip.split(".")[3]) - 10);
  for (const name of names.filter((n) => pinned[n])) out.set(name, pinned[name]);
  for (const name of names.filter((n) => !pinned[n])) {
    let slot = fnv1a(name) % slots;
    while (used.has(slot)) slot = (slot + 1) % slots;
    used.add(slot);
    out.set(name, `${prefix}.${10 + slot}`);
  }
  return out;
}
