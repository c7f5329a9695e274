/*
 * Validate stack files and print the compose YAML swarmlab would deploy, like `docker stack config`.
 *   node --import tsx cli/validate.ts [--traefik-network NAME] [--cert-resolver NAME] [--dnsrr] [--host-ports] <file>...
 * Each file goes through what `pulumi up` does with it (components/stacks prepareStack: interpolation,
 * env files, secret and config files, rendering; builds checked as with a registry). Warnings go to
 * stderr; every problem of every file given is printed, then the exit code is 1.
 */
import { parseArgs } from "node:util";
import { formatProblem, gatherProblems } from "../components/config/errors";
import { planBuilds } from "../components/stacks/build";
import { prepareStack } from "../components/stacks";
import { renderCompose } from "../components/stacks/compose";

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
    // what pulumi up does with a stack file: ${VAR} from this shell, env files, secret and config
    // files, the compose YAML rendered; builds checked as with a cluster registry
    const { prepared, problems } = prepareStack({ file }, { root: process.cwd(), env: process.env, traefikNetwork: values["traefik-network"] });
    const builds = prepared ? gatherProblems(problems, () => planBuilds([prepared], { root: process.cwd(), registryEnabled: true }), []) : [];
    if (problems.length || !prepared) {
      errors.push(...problems.map(formatProblem));
      continue;
    }
    for (const warning of prepared.warnings) console.error(`warning: ${warning}`);
    const built = Object.fromEntries(builds.map((b) => [b.service, `<registry>/${b.repository}:<digest>`]));
    const yaml = renderCompose(prepared.stack, {
      name: prepared.name,
      source: prepared.file,
      images: built,
      traefikNetwork: values["traefik-network"],
      traefikCertResolver: values["cert-resolver"],
      defaults: {
        endpointMode: values.dnsrr ? "dnsrr" : undefined,
        publishMode: values["host-ports"] ? "host" : undefined,
      },
    });
    documents.push(`# stack ${prepared.name} (${prepared.file})\n${yaml}`);
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
