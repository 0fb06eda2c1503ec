/**
 * The local stand-in for Lambda's invoke of the workflow task functions: the ARN the ASL names picks
 * the function, which runs its handler module in process, under the function's own timeout.
 */
export interface LocalFunction {
  run: (event: unknown) => Promise<unknown>;
  /** Lambda's timeout of the function, the one the stack sets (functions/workflow.ts). */
  timeoutSeconds: number;
}

/**
 * What Lambda reports when a function runs past its timeout: the error type `Sandbox.Timedout` and
 * "Task timed out after N seconds" (AWS Lambda Developer Guide, "Troubleshoot invocation issues in
 * Lambda"). Step Functions fails the Task with that error, which Retry and Catch match by name.
 */
export class LambdaTimeoutError extends Error {
  override readonly name = 'Sandbox.Timedout';
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
  }
}

/**
 * Invokes the function named by ARN. Lambda's clock starts when the function starts: after the pool
 * lets the step run (workflow steps share a bounded pool locally, see WorkflowPool), not while it waits its turn.
 * A function still running at its timeout fails the invocation with LambdaTimeoutError; in process
 * nothing can kill it, so it runs on, but its result is dropped and the next step does not wait for it.
 * `track` sees each invocation as it ends for the caller (so closing waits for running steps, not
 * for hung ones).
 */
export function localLambdaInvoker(
  functions: ReadonlyMap<string, LocalFunction>,
  pool: { step<T>(job: () => Promise<T>): Promise<T> },
  track: <T>(invocation: Promise<T>) => Promise<T> = (invocation) => invocation,
): (functionName: string, payload: unknown) => Promise<unknown> {
  return async (functionName, payload) => {
    const fn = functions.get(functionName);
    if (!fn) throw new Error(`No local function ${functionName}`);
    return pool.step(() => track(withTimeout(fn.run(payload), fn.timeoutSeconds)));
  };
}

function withTimeout<T>(run: Promise<T>, seconds: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LambdaTimeoutError(seconds)), seconds * 1000);
    run.then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
