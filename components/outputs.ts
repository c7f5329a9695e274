/**
 * The stack outputs, as the last stage of the pipeline. With `--continue-on-error` (what `npm run
 * up` passes) a resource that fails, and what depends on it, makes the SDK reject the outputs built
 * from it; an exported output that rejects would add a second error ("Running program ... failed
 * with an unhandled exception", with a stack trace) to the resource's own. Such an output keeps the
 * value of the last deployment instead: the failure is reported once, by its resource, and the
 * outputs that the next run reads (the node table of the quorum checks) are not lost.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * What the SDK rejects an output with when a resource it comes from failed or was skipped
 * ("resource NAME [TYPE] failed to register", possibly wrapped: "error serializing property ...: ").
 */
export function isFailedRegistration(err: unknown): boolean {
  return err instanceof Error && /resource \S+ \[[^\]]+\] failed to register$/.test(err.message);
}

/**
 * One error per failure: the SDK also rejects, unawaited, the registrations of every resource that
 * depends on a failed one, and prints each after the program with a stack trace. The engine has
 * already reported the failed resource's own error and marked the run failed, so those rejections
 * (and only those) are dropped; every other unhandled error still reaches Pulumi's own handlers.
 */
export function reportFailuresOnce(proc: NodeJS.EventEmitter = process): void {
  for (const event of ["unhandledRejection", "uncaughtException"]) {
    const handlers = proc.listeners(event) as ((...args: unknown[]) => void)[];
    proc.removeAllListeners(event);
    proc.on(event, (err: unknown, ...rest: unknown[]) => {
      if (isFailedRegistration(err)) return;
      for (const h of handlers) h(err, ...rest);
    });
  }
}

/** The last deployment, as far as outputs go (a StackReference to the stack itself). */
export interface LastOutputs {
  getOutput(name: string): pulumi.Output<unknown>;
}

/** Each exported Output that fails because a resource failed keeps its last deployed value; any other error stays an error. */
export function keepLastOnFailure<T extends Record<string, unknown>>(outputs: T, last: LastOutputs): T {
  const kept = Object.entries(outputs).map(([key, value]) => {
    if (!pulumi.Output.isInstance(value)) return [key, value];
    return [
      key,
      pulumi.recover(value as pulumi.Output<unknown>, (err) => {
        if (!isFailedRegistration(err)) throw err;
        return last.getOutput(key);
      }),
    ];
  });
  return Object.fromEntries(kept) as T;
}
