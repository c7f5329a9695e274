/*
 * Validate stack files and print the compose YAML swarmlab would deploy, like `docker stack config`.
 *   node --import tsx scripts/validate.ts [--traefik-network NAME] [--cert-resolver NAME] [--dnsrr] [--host-ports] <file>...
 * Warnings go to stderr; on any error every problem is printed and the exit code is 1.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../components/config/errors";
import { renderCompose } from "../components/stacks/compose";
import { inlineEnvFiles } from "../components/stacks/envFiles";
import { loadStackFile } from "../components/stacks/load";

const usage = "usage: validate.ts [--traefik-network NAME] [--cert-resolver NAME] [--dnsrr] [--host-ports] <stack file>...";

function main(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "traefik-network": { type: "string", default: "traefik-public" },
      "cert-resolver": { type: "string" },
      dnsrr: { type: "boolean", default: false },
      "host-ports": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const errors: string[] = [];
  const documents: string[] = [];
  for (const file of positionals) {
    try {
      // ${VAR} from this shell, as docker stack deploy would take them
      const loaded = loadStackFile(file, { env: process.env });
      for (const warning of loaded.warnings) console.error(`warning: ${warning}`);
      // env_file is read here, as the deploy would (the manager does not have the files)
      const inlined = inlineEnvFiles(loaded.stack, file, file, process.env);
      if (inlined.problems.length) throw new ConfigError(inlined.problems);
      const yaml = renderCompose(inlined.stack, {
        name: loaded.name,
        source: file,
        traefikNetwork: values["traefik-network"],
        traefikCertResolver: values["cert-resolver"],
        defaults: {
          endpointMode: values.dnsrr ? "dnsrr" : undefined,
          publishMode: values["host-ports"] ? "host" : undefined,
        },
      });
      documents.push(`# stack ${loaded.name} (${file})\n${yaml}`);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length > 0) {
    console.error(errors.join("\n"));
    return 1;
  }
  process.stdout.write(documents.join("---\n"));
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 2;
}
