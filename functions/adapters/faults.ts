import { TransientError } from '../app/errors';
import type { Faults } from '../app/ports';

/**
 * Local-only fault injection, from TOLLGATE_FAULTS: a comma-separated list of
 * `crash:<point>` (the process kills itself with SIGKILL when it reaches the point) and
 * `fail:<target>[*N]` (the target throws a TransientError, every time or for its first N calls).
 * Targets are adapters (`tickets`, `mailer`, `workflow`, ...), workflow tasks (`task:advance`, ...)
 * and the named points themselves (`approval-notified`: the step fails after its emails went out).
 */
export class InjectedFaults implements Faults {
  private readonly crashes = new Set<string>();
  private readonly failures = new Map<string, number>();

  constructor(
    spec: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    for (const entry of spec
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const [kind, ...rest] = entry.split(':');
      const target = rest.join(':');
      if (kind === 'crash' && target) this.crashes.add(target);
      else if (kind === 'fail' && target) {
        const [name, count] = target.split('*');
        this.failures.set(name ?? target, count ? Number(count) : Number.POSITIVE_INFINITY);
      } else
        throw new Error(`TOLLGATE_FAULTS: cannot read "${entry}" (use crash:<point> or fail:<target>[*N])`);
    }
  }

  faultPoint(name: string): void {
    if (this.crashes.has(name)) {
      this.log(`TOLLGATE_FAULTS: crashing at ${name}`);
      process.kill(process.pid, 'SIGKILL');
    }
    this.failIfSet(name);
  }

  /** Throws when the target is set to fail and has failures left. */
  failIfSet(target: string): void {
    const left = this.failures.get(target);
    if (left === undefined || left <= 0) return;
    this.failures.set(target, left - 1);
    throw new TransientError(`Injected fault: ${target}`);
  }

  /** Wraps an adapter so every method call first passes failIfSet(target). */
  wrap<T extends object>(target: string, adapter: T): T {
    if (!this.failures.has(target)) return adapter;
    return new Proxy(adapter, {
      get: (object, property, receiver) => {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          this.failIfSet(target);
          return value.apply(object, args);
        };
      },
    });
  }
}
