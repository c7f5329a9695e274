/*
 * The Command's provider as Pulumi stores it in the state of every command (`__provider`): a few
 * lines that load the implementation (provider.ts) from the project when they run. The engine runs
 * a dynamic resource's delete with the provider stored at its last create or update, so a fully
 * serialised provider (15 KB of code per command) kept running the code of whichever swarmlab
 * version last touched that resource; the stub makes every run use this checkout's code, and keeps
 * the state small. The dynamic-provider host is plain node started in the program's directory:
 * tsx (a dependency of the npm scripts already) compiles the TypeScript there.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CommandInputs, CommandOutputs } from "./provider";

type Provider = pulumi.dynamic.ResourceProvider<CommandInputs, CommandOutputs>;

/** provider.ts of the project the engine runs in (its working directory), loaded once per process. */
function implementation(): Required<Pick<Provider, "diff" | "update" | "delete">> & Provider {
  const loaded = globalThis as { swarmlabCommandProvider?: ReturnType<typeof implementation> };
  if (!loaded.swarmlabCommandProvider) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tsx = require("tsx/cjs/api") as { require: (id: string, fromFile: string) => { provider: Provider } };
    loaded.swarmlabCommandProvider = tsx.require("./components/command/provider.ts", `${process.cwd()}/index.ts`).provider as ReturnType<typeof implementation>;
  }
  return loaded.swarmlabCommandProvider;
}

export const providerStub: Provider = {
  diff: (id, olds, news) => implementation().diff(id, olds, news),
  create: (inputs) => implementation().create(inputs),
  update: (id, olds, news) => implementation().update(id, olds, news),
  delete: (id, props) => implementation().delete(id, props),
};
