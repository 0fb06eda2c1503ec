import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalFunction, localLambdaInvoker } from '../../../functions/local/lambda';
import { WorkflowPool } from '../../../functions/local/workflow-pool';

const later = (ms: number, value: unknown = null) =>
  new Promise((resolve) => setTimeout(() => resolve(value), ms));
const hang = () => new Promise<never>(() => {});

describe('the local Lambda stand-in', () => {
  // The clock is faked, so a timeout is decided by the function's timeout, not by how busy the machine is.
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const invokerOf = (functions: Record<string, LocalFunction>) =>
    localLambdaInvoker(new Map(Object.entries(functions)), new WorkflowPool({ idle: 1, busy: 1 }));

  it('fails a function still running at its timeout with Sandbox.Timedout, as Lambda reports it', async () => {
    // Prepare
    const invoke = invokerOf({ hung: { run: hang, timeoutSeconds: 10 } });

    // Act
    const outcome = invoke('hung', {}).catch((error: Error) => error);
    await vi.advanceTimersByTimeAsync(10_000);

    // Assess
    expect(await outcome).toMatchObject({
      name: 'Sandbox.Timedout',
      message: 'Task timed out after 10.00 seconds',
    });
  });

  it('times a function from when it starts, not while it waits its turn behind another step', async () => {
    // Prepare
    const invoke = invokerOf({
      slow: { run: () => later(8_000, 'slow done'), timeoutSeconds: 10 },
      quick: { run: () => later(5_000, 'quick done'), timeoutSeconds: 10 },
    });

    // Act
    const answers = Promise.all([invoke('slow', {}), invoke('quick', {})]);
    await vi.advanceTimersByTimeAsync(13_000);

    // Assess
    expect(await answers).toEqual(['slow done', 'quick done']);
  });

  it('lets the next step run once a hung one has timed out', async () => {
    // Prepare
    const invoke = invokerOf({
      hung: { run: hang, timeoutSeconds: 10 },
      quick: { run: () => later(1_000, 'quick done'), timeoutSeconds: 10 },
    });

    // Act
    const hung = invoke('hung', {}).catch((error: Error) => error.name);
    const quick = invoke('quick', {});
    await vi.advanceTimersByTimeAsync(11_000);

    // Assess
    expect(await Promise.all([hung, quick])).toEqual(['Sandbox.Timedout', 'quick done']);
  });
});
