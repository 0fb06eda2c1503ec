/** How many workflow steps may run at once: when the API is idle, and while it answers requests. */
export interface WorkflowPoolSize {
  idle: number;
  busy: number;
}

/**
 * Up to four steps at once overlap their store and email I/O; while requests are answered, one step
 * keeps the workflow moving and the rest of the CPU goes to the requests.
 */
export const DEFAULT_POOL_SIZE: WorkflowPoolSize = { idle: 4, busy: 1 };

/**
 * In AWS, executions run on Step Functions' and Lambda's machines, so a busy workflow never slows the
 * API. On one machine they share the CPU, so API requests come first: workflow steps run in a
 * bounded pool, in the order they were asked for, and the pool narrows while requests are in flight.
 * It never closes, so no step (and no deadline) waits out a burst of requests in a queue.
 */
export class WorkflowPool {
  private apiInFlight = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: WorkflowPoolSize = DEFAULT_POOL_SIZE) {
    if (!(size.busy >= 1 && size.idle >= size.busy)) {
      throw new RangeError(`A workflow pool needs 1 <= busy <= idle, not ${JSON.stringify(size)}`);
    }
  }

  /** Wraps an API handler so the pool knows while it runs. */
  api<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      this.apiInFlight++;
      try {
        return await handler(...args);
      } finally {
        this.apiInFlight--;
        this.admit();
      }
    };
  }

  /** Runs a workflow step once the pool has room for it; steps start in the order they were asked for. */
  async step<T>(job: () => Promise<T>): Promise<T> {
    if (this.waiting.length > 0 || this.running >= this.capacity()) {
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
      });
    } else {
      this.running++;
    }
    try {
      return await job();
    } finally {
      this.running--;
      this.admit();
    }
  }

  private capacity(): number {
    return this.apiInFlight > 0 ? this.size.busy : this.size.idle;
  }

  /** Hands free slots to waiting steps, oldest first; a slot is taken before its step resumes. */
  private admit(): void {
    while (this.waiting.length > 0 && this.running < this.capacity()) {
      this.running++;
      this.waiting.shift()?.();
    }
  }
}
