/** How the helpers end: an exit code; errors as one `swarmlab:` line, usage errors as the usage (exit 2). */

export class UsageError extends Error {}

export function runMain(main: () => number | Promise<number>): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => {
        const usage = e instanceof UsageError;
        console.error(usage ? e.message : `swarmlab: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = usage ? 2 : 1;
      },
    );
}
