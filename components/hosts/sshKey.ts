import * as pulumi from "@pulumi/pulumi";
import { Command } from "../command/provider";

/** Splits the output of the key-generation command into its two halves. */
export function parseKeyPair(stdout: string): { privateKey: string; publicKey: string } {
  const [priv, pub] = stdout.split("-----SWARMLAB-PUBLIC-----");
  if (!priv?.includes("PRIVATE KEY") || !pub?.trim()) throw new Error("ssh-keygen did not print a key pair");
  return { privateKey: `${priv.trim()}\n`, publicKey: pub.trim() };
}

/**
 * One SSH key pair per cluster, made once by ssh-keygen and kept in state as a secret: it is never
 * regenerated on `pulumi up` (the command has no triggers and no update).
 */
export class SshKeyPair extends pulumi.ComponentResource {
  readonly privateKey: pulumi.Output<string>;
  readonly publicKey: pulumi.Output<string>;

  constructor(name: string, args: { comment: string }, opts: pulumi.ComponentResourceOptions = {}) {
    super("swarmlab:hosts:SshKeyPair", name, {}, opts);
    const gen = new Command(
      `${name}-keygen`,
      {
        label: "cluster SSH key",
        create: [
          'd=$(mktemp -d); trap \'rm -rf "$d"\' EXIT',
          `ssh-keygen -q -t ed25519 -N '' -C '${args.comment}' -f "$d/id"`,
          'cat "$d/id"; echo "-----SWARMLAB-PUBLIC-----"; cat "$d/id.pub"',
        ].join("\n"),
      },
      { parent: this, additionalSecretOutputs: ["stdout"] },
    );
    const pair = gen.stdout.apply(parseKeyPair);
    this.privateKey = pulumi.secret(pair.privateKey);
    this.publicKey = pulumi.unsecret(pair.publicKey);
    this.registerOutputs({ publicKey: this.publicKey });
  }
}
