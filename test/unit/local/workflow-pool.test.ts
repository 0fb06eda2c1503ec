import { describe, expect, it } from 'vitest';
import { WorkflowPool } from '../../../functions/local/workflow-pool';

/** A job the test finishes (or fails) by hand, so what runs when is decided by the pool alone. */
function controlledJob(log: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  return {
    run: () => {
      log.push(name);
      return done;
    },
    finish,
    fail,
  };
}

/** Lets every queued promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the local workflow pool', () => {
  it('overlaps up to its idle size of steps, and starts the next as soon as one ends', async () => {
    // Prepare
    const pool = new WorkflowPool({ idle: 3, busy: 1 });
    const started: string[] = [];
    const jobs = ['a', 'b', 'c', 'd'].map((name) => controlledJob(started, name));
    // Act
    const results = jobs.map((job) => pool.step(job.run));
    await settle();
    const startedAtFirst = [...started];
    jobs[1]?.finish();
    await settle();
    // Assess
    expect(startedAtFirst).toEqual(['a', 'b', 'c']);
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    for (const job of jobs) job.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('narrows to its busy size while API requests are in flight, and widens again when they end', async () => {
    // Prepare
    const pool = new WorkflowPool({ idle: 4, busy: 1 });
    const log: string[] = [];
    const request = controlledJob(log, 'request');
    const answered = pool.api(request.run)();
    const jobs = ['a', 'b', 'c'].map((name) => controlledJob(log, name));
    // Act
    const results = jobs.map((job) => pool.step(job.run));
    await settle();
    const duringRequest = [...log];
    request.finish();
    await answered;
    await settle();
    // Assess
    expect(duringRequest).toEqual(['request', 'a']);
    expect(log).toEqual(['request', 'a', 'b', 'c']);
    for (const job of jobs) job.finish();
    await Promise.all(results);
  });

  it('keeps the workflow moving under a constant stream of requests: one step at a time, in order', async () => {
    // Prepare
    const pool = new WorkflowPool({ idle: 4, busy: 1 });
    const log: string[] = [];
    const endless = controlledJob(log, 'request');
    const answered = pool.api(endless.run)();
    const jobs = ['a', 'b'].map((name) => controlledJob(log, name));
    // Act
    const results = jobs.map((job) => pool.step(job.run));
    await settle();
    jobs[0]?.finish();
    await settle();
    // Assess
    expect(log).toEqual(['request', 'a', 'b']);
    jobs[1]?.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b']);
    endless.finish();
    await answered;
  });

  it('frees the slot of a step that fails, and hands its error to the caller', async () => {
    // Prepare
    const pool = new WorkflowPool({ idle: 1, busy: 1 });
    const log: string[] = [];
    const failing = controlledJob(log, 'failing');
    const next = controlledJob(log, 'next');
    // Act
    const failed = pool.step(failing.run);
    const after = pool.step(next.run);
    await settle();
    failing.fail(new Error('step failed'));
    await expect(failed).rejects.toThrow('step failed');
    await settle();
    // Assess
    expect(log).toEqual(['failing', 'next']);
    next.finish();
    expect(await after).toBe('next');
  });

  it('refuses a size that could never run a step', () => {
    expect(() => new WorkflowPool({ idle: 2, busy: 0 })).toThrow(RangeError);
    expect(() => new WorkflowPool({ idle: 1, busy: 2 })).toThrow(RangeError);
  });
});
