/** What a service mounts and joins: volumes (short and long form), secret and config references, networks. */
import { z } from "zod";
import { checkedString, count, oneOf } from "./primitives";

export const VOLUME_MODES = ["ro", "rw", "z", "Z", "nocopy", "shared", "rshared", "slave", "rslave", "private", "rprivate", "cached", "delegated", "consistent"];
export const PROPAGATIONS = ["shared", "rshared", "slave", "rslave", "private", "rprivate"] as const;
export const VOLUME_SHORT = /^(?:([^:]+):)?(\/[^:]*)(?::([a-zA-Z,]+))?$/;

export interface VolumeShort {
  source?: string;
  target: string;
  modes: string[];
}

/** `src:/dst[:ro]` or `/dst` -> parts, or undefined when it is not that shape. */
export function parseVolumeSpec(spec: string): VolumeShort | undefined {
  const match = VOLUME_SHORT.exec(spec);
  if (!match) return undefined;
  const modes = match[3] ? match[3].split(",") : [];
  if (!modes.every((m) => VOLUME_MODES.includes(m))) return undefined;
  return { source: match[1], target: match[2], modes };
}

/** A source that is a path on the node (bind mount) rather than a volume name. */
export function isHostPath(source: string): boolean {
  return /^[/.~]/.test(source);
}

export const volumeLong = z
  .strictObject({
    type: z.enum(["volume", "bind", "tmpfs"]).describe("volume: a named or anonymous volume; bind: a path on the node; tmpfs: memory"),
    source: z.string().optional().describe("volume name (type volume) or node path (type bind)"),
    target: z.string().describe("path inside the container"),
    read_only: z.boolean().optional(),
    consistency: z.string().optional().describe("ignored on Linux"),
    bind: z.strictObject({ propagation: z.enum(PROPAGATIONS).optional() }).optional(),
    volume: z.strictObject({ nocopy: z.boolean().optional() }).optional(),
    tmpfs: z.strictObject({ size: count.optional().describe("bytes") }).optional(),
  })
  .describe("long volume syntax");
export type VolumeLong = z.infer<typeof volumeLong>;

export const volumeShort = checkedString((s) =>
  parseVolumeSpec(s) ? undefined : 'expected "source:/target", "source:/target:ro" or "/target"',
);
export const serviceVolume = oneOf('"source:/target[:ro]" or a mapping with type, source and target', {
  string: volumeShort,
  object: volumeLong,
});
export type ServiceVolume = z.infer<typeof serviceVolume>;

export const fileReferenceLong = z.strictObject({
  source: z.string().describe("name under the top-level secrets/configs"),
  target: z.string().optional().describe("file name or path inside the container"),
  uid: z.string().optional(),
  gid: z.string().optional(),
  mode: count.optional().describe("file mode; write it in octal (0440)"),
});
/** A service's secret or config: a name, or source/target/uid/gid/mode. */
export const fileReference = oneOf("a name or a mapping with source, target, uid, gid and mode", {
  string: z.string(),
  object: fileReferenceLong,
});
export type FileReference = z.infer<typeof fileReference>;

export const serviceNetworkEntry = z
  .strictObject({
    aliases: z.array(z.string()).optional().describe("extra DNS names of the service on this network"),
    ipv4_address: z.string().optional(),
    ipv6_address: z.string().optional(),
  })
  .nullable();
export const serviceNetworks = oneOf("a list of network names or a mapping of network name to settings", {
  array: z.array(z.string()),
  object: z.record(z.string(), serviceNetworkEntry),
});
export type ServiceNetworks = z.infer<typeof serviceNetworks>;
