/**
 * The stack outputs, as the last stage of the pipeline. With `--continue-on-error` (what `npm run
 * up` passes) a resource that fails, and what depends on it, makes the SDK reject the outputs built
 * from it; an exported output that rejects would add a second error ("Running program ... failed
 * with an unhandled exception", with a stack trace) to the resource's own. Such an output keeps the
 * value of the last deployment instead: the failure is reported once, by its resource, and the
 * outputs that the next run reads (the node table of the quorum checks) are not lost. The program
 * still ends in error then (reportFailuresOnce): the engine deletes nothing after a failure.
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
 * What a run where a resource failed says once, in place of the SDK's rejection of every resource
 * that depends on it (each "failed to register", each with a stack trace).
 */
export const LEFT_AS_THEY_WERE =
  "swarmlab: what depends on the failed resource above was left as it was, and nothing is removed in a run where something failed: fix that failure, then run `npm run up` again";

/**
 * One error per failure, and never a delete because of one. The SDK rejects, unawaited, the
 * registration of every resource that depends on a failed one: those resources never reach the
 * engine. Were the program to end well, the engine would take them for resources removed from the
 * configuration and delete them (a stack removed because a worker did not answer). So the program
 * must end in error: the first such rejection reaches Pulumi's handlers as one RunError (a message,
 * no stack trace), and the rest are dropped. The engine has reported the failed resource's own
 * error; every other unhandled error still reaches Pulumi's handlers as it is.
 */
export function reportFailuresOnce(proc: NodeJS.EventEmitter = process): void {
  // (its stack is the message: Pulumi prints err.stack for an error that comes after the program's main code)
  const once = Object.assign(new pulumi.RunError(LEFT_AS_THEY_WERE), { stack: LEFT_AS_THEY_WERE });
  let reported = false;
  for (const event of ["unhandledRejection", "uncaughtException"]) {
    const handlers = proc.listeners(event) as ((...args: unknown[]) => void)[];
    proc.removeAllListeners(event);
    proc.on(event, (err: unknown, ...rest: unknown[]) => {
      if (isFailedRegistration(err)) {
        if (reported) return;
        reported = true;
        err = once;
      }
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
