/** Warnings: keys that docker stack deploy accepts and ignores. */
import { formatPath, formatProblem } from "../../config/errors";
import type { Stack } from "./file";
import { portRules } from "./ports";
import { IGNORED_SERVICE_KEYS, type IgnoredServiceKey } from "./service";

/** Everything in a valid stack that will not do what it seems to: one line each, like an error. */
export function stackWarnings(stack: Stack, source: string): string[] {
  const warnings: string[] = [];
  const warn = (path: PropertyKey[], message: string) => warnings.push(formatProblem({ source, path: formatPath(path), message }));
  for (const [name, service] of Object.entries(stack.services)) {
    for (const [key, advice] of Object.entries(IGNORED_SERVICE_KEYS)) {
      if (service[key as IgnoredServiceKey] === undefined) continue;
      if (key === "build") {
        // built by components/addons/build.ts; planBuilds refuses it when the cluster has no registry
        warn(["services", name, key], "docker stack deploy ignores it: swarmlab builds the image and pushes it to the cluster registry when the cluster has one (swarmlab:registry), unless an image override names the service");
        continue;
      }
      warn(["services", name, key], `has no effect on a swarm (docker stack deploy ignores it)${advice ? `; ${advice}` : ""}`);
    }
    (service.ports ?? []).forEach((entry, i) => {
      const hostIp = portRules(entry)[0]?.hostIp;
      if (hostIp) warn(["services", name, "ports", i], `the host IP ${hostIp} has no effect on a swarm (docker stack deploy ignores it)`);
    });
  }
  return warnings;
}
