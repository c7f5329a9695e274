/**
 * The `ssh` command line of a helper, pure. Options go in an ssh_config file passed with `-F`,
 * because ssh hands `-F` on to the hop through a bastion (`-J`), and neither `-i` nor `-o`: that
 * way both hops use the cluster key and never prompt.
 */
import { SSH_COMMON_OPTIONS, shellQuote, type SshTarget } from "../../components/command/ssh";

/** Where one connection's files were written (a private temporary directory). */
export interface SshFiles {
  key: string;
  config: string;
  /** Written only when the target has a known host key. */
  knownHosts?: string;
}

/** What the session does: an interactive shell, one command, or a local port forward and nothing else. */
export type SshSession = { shell: true } | { command: string[] } | { forward: string };

/**
 * The ssh_config for every hop: this key only, no prompts, the same keep-alives and timeouts as
 * Pulumi's own connections, and host keys neither checked nor recorded (lab nodes get new ones
 * whenever they are recreated). A target with a known host key is verified on the command line.
 */
export function sshConfigText(keyFile: string): string {
  const options = [
    `IdentityFile "${keyFile}"`,
    ...SSH_COMMON_OPTIONS.map((o) => o.replace("=", " ")),
    "StrictHostKeyChecking no",
    "UserKnownHostsFile /dev/null",
  ];
  return `Host *\n${options.map((o) => `  ${o}\n`).join("")}`;
}

/** `user@host:port` as `-J` takes it (an IPv6 address in brackets). */
export function jumpSpec(jump: NonNullable<SshTarget["jump"]>): string {
  const host = jump.host.includes(":") ? `[${jump.host}]` : jump.host;
  return `${jump.user}@${host}:${jump.port}`;
}

/** The argv of `ssh` (without "ssh") for a session on a target. */
export function sshArgv(target: Omit<SshTarget, "privateKey">, files: SshFiles, session: SshSession): string[] {
  const args = ["-F", files.config, "-p", String(target.port)];
  if (target.jump) args.push("-J", jumpSpec(target.jump));
  if (target.hostKey && files.knownHosts) args.push("-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${files.knownHosts}`);
  if ("shell" in session) args.push("-t");
  if ("forward" in session) args.push("-N", "-o", "ExitOnForwardFailure=yes", "-L", session.forward);
  // `--`: nothing after it is read as an ssh option, whatever the command starts with
  args.push("--", `${target.user}@${target.host}`);
  if ("command" in session) args.push(...remoteWords(session.command));
  return args;
}

/**
 * ssh joins its command words with spaces for the remote shell. One word is a whole shell line
 * (`'docker ps | wc -l'`) and goes as it is; several words are each quoted, so each stays one
 * argument there (`docker node ls --format '{{.Hostname}} {{.Status}}'`).
 */
export function remoteWords(words: string[]): string[] {
  return words.length === 1 ? words : words.map(shellQuote);
}
