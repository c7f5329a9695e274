/** Command lines of the helpers, parsed without I/O. */
import { UsageError } from "./cli";

export const SSH_USAGE = "usage: npm run ssh -- [NODE | --node NODE] [COMMAND...]   (no NODE: the leader; no COMMAND: a shell)";
export const PUSH_USAGE = "usage: npm run push -- IMAGE[:TAG]";

export type Parsed<T> = T | { help: true };

/** A shell or a command, on a node or (no node) on the leader. */
export interface SshRequest {
  node?: string;
  command: string[];
}

/**
 * `[NODE | --node NODE | -n NODE | --node=NODE] [COMMAND...]`. A first word that names a node is
 * the node; `--node` says so explicitly when a node is named like a command (a node "docker").
 * `nodeNames` is asked only when a first word has to be told apart (`--help` reads no stack).
 */
export function parseSshArgs(argv: readonly string[], nodeNames: () => readonly string[]): Parsed<SshRequest> {
  // a leading `--` (npm passes its own on; `npm run ssh -- -- cmd` or a direct `node cli/ssh.ts -- cmd` do not)
  const words = argv[0] === "--" ? argv.slice(1) : argv;
  const [first, ...rest] = words;
  if (first === "-h" || first === "--help") return { help: true };
  if (first === "--node" || first === "-n") {
    const [node, ...command] = rest;
    if (!node) throw new UsageError(`${first} needs a node name\n${SSH_USAGE}`);
    return { node, command };
  }
  if (first?.startsWith("--node=")) return { node: first.slice("--node=".length), command: rest };
  if (first !== undefined && nodeNames().includes(first)) return { node: first, command: rest };
  return { command: [...words] };
}

/** Exactly one image reference. */
export function parsePushArgs(argv: readonly string[]): Parsed<{ image: string }> {
  if (argv[0] === "-h" || argv[0] === "--help") return { help: true };
  if (argv.length !== 1 || !argv[0] || argv[0].startsWith("-")) throw new UsageError(PUSH_USAGE);
  return { image: argv[0] };
}
