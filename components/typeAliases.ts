import type * as pulumi from "@pulumi/pulumi";

/**
 * `opts` with the component's former type token as an alias: a stack made by an earlier swarmlab
 * keeps the component's URN and, through it, those of all its children (the engine combines a
 * parent's aliases with each child's name and type), so a renamed type changes nothing deployed.
 */
export function formerType(type: string, opts: pulumi.ComponentResourceOptions): pulumi.ComponentResourceOptions {
  return { ...opts, aliases: [...(opts.aliases ?? []), { type }] };
}
