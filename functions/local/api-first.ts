/**
 * In AWS, executions run on Step Functions' and Lambda's machines, so a busy workflow never slows
 * the API. On one machine they share the CPU, so workflow steps yield to API requests: one step runs
 * at a time, and it waits (a little, never for long) while requests are being answered.
 */
export class ApiFirstGate {
  private apiInFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly maxYieldMs = 25) {}

  /** Wraps an API handler so the gate knows while it runs. */
  api<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      this.apiInFlight++;
      try {
        return await handler(...args);
      } finally {
        this.apiInFlight--;
        if (this.apiInFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      }
    };
  }

  /** Runs a workflow step after the ones before it, once the API is idle or the yield ran out. */
  step<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      await this.apiIdle();
      return job();
    });
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private apiIdle(): Promise<void> {
    if (this.apiInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.maxYieldMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
