/**
 * swarmlab's own stacks (registry, Traefik, visualizer) rendered as they are deployed: through
 * systemStack (components/addons/index.ts) and renderCompose, with the cluster defaults of a
 * swarm without IPVS (DNSRR: dnsrr and host publishing) or with it (VIP: the routing mesh).
 */
import { renderCompose } from "../../components/stacks/compose";

export const DNSRR = { endpointMode: "dnsrr", publishMode: "host" } as const;
export const VIP = { endpointMode: "vip", publishMode: "ingress" } as const;

/** The typed stack of a system stack, and its compose text (systemStack is imported when first used, under whatever runtime the test file set up). */
export async function rendered(name: string, text: string, defaults: { endpointMode: "vip" | "dnsrr"; publishMode: "ingress" | "host" }, values: Record<string, string> = {}) {
  const { systemStack } = await import("../../components/addons");
  const s = systemStack(name, text, values);
  return { prepared: s, yaml: renderCompose(s.stack, { name: s.name, source: s.file, defaults }) };
}
