import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalScheduler, type SchedulerClock, startScheduler } from '../../functions/local/scheduler';
import type { Schedule } from '../../functions/schedules';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

/** A clock the test moves; it tells when the scheduler goes to sleep, and until when. */
class ManualClock implements SchedulerClock {
  private readonly sleepers = new Set<{ deadline: number; wake: () => void }>();
  private sleepWatchers: ((deadline: number) => void)[] = [];

  constructor(private time: number) {}

  now = () => this.time;

  sleepUntil = (deadline: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (deadline <= this.time || signal.aborted) return resolve();
      const sleeper = {
        deadline,
        wake: () => {
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      this.sleepers.add(sleeper);
      signal.addEventListener('abort', sleeper.wake, { once: true });
      for (const watch of this.sleepWatchers.splice(0)) watch(deadline);
    });

  /** The deadline of the scheduler's sleep: the current one, or the next to begin. */
  asleepUntil(): Promise<number> {
    const [sleeper] = this.sleepers;
    if (sleeper) return Promise.resolve(sleeper.deadline);
    return new Promise((resolve) => this.sleepWatchers.push(resolve));
  }

  set(iso: string): void {
    this.time = Date.parse(iso);
    for (const sleeper of [...this.sleepers]) if (sleeper.deadline <= this.time) sleeper.wake();
  }
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

describe('the local scheduler', () => {
  let dataDir: string;
  let stateFile: string;
  const started: LocalScheduler[] = [];
  const runs: string[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-scheduler-'));
    stateFile = join(dataDir, 'scheduler.json');
    runs.length = 0;
  });

  afterEach(async () => {
    vi.useRealTimers();
    for (const scheduler of started.splice(0)) await scheduler.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async (schedule: Schedule, clock?: SchedulerClock, timeScale = 1) => {
    const scheduler = await startScheduler({
      schedules: [
        {
          schedule,
          job: async () => {
            runs.push(iso(clock?.now() ?? Date.now()));
          },
        },
      ],
      timeScale,
      stateFile,
      log: () => {},
      clock,
    });
    started.push(scheduler);
    return scheduler;
  };

  const stop = async (scheduler: LocalScheduler) => {
    started.splice(started.indexOf(scheduler), 1);
    await scheduler.stop();
  };

  const job = { name: 'fixture', handler: 'scheduled/fixture', description: 'A test fixture' };

  it('runs a cron schedule at its times in its time zone, not shortened by the time scale', async () => {
    // Prepare
    const clock = new ManualClock(Date.parse('2025-03-27T12:00:00Z'));
    await start({ ...job, expression: 'cron(0 9 ? * 2-6 *)', timeZone: 'Europe/Berlin' }, clock, 0.001);
    const first = await clock.asleepUntil();

    // Act
    clock.set(iso(first));
    const second = await clock.asleepUntil();

    // Assess
    expect(iso(first)).toBe('2025-03-28T08:00:00.000Z');
    expect(runs).toEqual(['2025-03-28T08:00:00.000Z']);
    // Monday, after the clocks went forward: 09:00 in Berlin is 07:00 UTC.
    expect(iso(second)).toBe('2025-03-31T07:00:00.000Z');
  });

  it('shortens a rate schedule by the time scale', async () => {
    // Prepare
    const clock = new ManualClock(Date.parse('2025-03-27T12:00:00Z'));

    // Act
    await start({ ...job, expression: 'rate(5 minutes)' }, clock, 0.01);
    const first = await clock.asleepUntil();

    // Assess
    expect(iso(first)).toBe('2025-03-27T12:00:03.000Z');
  });

  it('runs once at start the runs that fell due while the process was down, then keeps to its times', async () => {
    // Prepare
    const clock = new ManualClock(Date.parse('2025-03-03T12:00:00Z'));
    const before = await start({ ...job, expression: 'cron(0 9 * * ? *)', timeZone: 'UTC' }, clock);
    await clock.asleepUntil();
    await stop(before);
    clock.set('2025-03-06T10:00:00Z');

    // Act
    await start({ ...job, expression: 'cron(0 9 * * ? *)', timeZone: 'UTC' }, clock);
    const next = await clock.asleepUntil();

    // Assess
    expect(runs).toEqual(['2025-03-06T10:00:00.000Z']);
    expect(iso(next)).toBe('2025-03-07T09:00:00.000Z');
  });

  it('does not run again after a restart a run that finished before it', async () => {
    // Prepare
    const clock = new ManualClock(Date.parse('2025-03-03T08:00:00Z'));
    const before = await start({ ...job, expression: 'cron(0 9 * * ? *)', timeZone: 'UTC' }, clock);
    clock.set(iso(await clock.asleepUntil()));
    await clock.asleepUntil();
    await stop(before);
    clock.set('2025-03-03T09:30:00Z');

    // Act
    await start({ ...job, expression: 'cron(0 9 * * ? *)', timeZone: 'UTC' }, clock);
    const next = await clock.asleepUntil();

    // Assess
    expect(runs).toEqual(['2025-03-03T09:00:00.000Z']);
    expect(iso(next)).toBe('2025-03-04T09:00:00.000Z');
  });

  it('starts afresh, running nothing at start, a schedule whose expression changed', async () => {
    // Prepare
    const clock = new ManualClock(Date.parse('2025-03-03T12:00:00Z'));
    const before = await start({ ...job, expression: 'cron(0 9 * * ? *)', timeZone: 'UTC' }, clock);
    await clock.asleepUntil();
    await stop(before);
    clock.set('2025-03-06T10:00:00Z');

    // Act
    await start({ ...job, expression: 'cron(0 9 * * ? *)', timeZone: 'Europe/Berlin' }, clock);
    const next = await clock.asleepUntil();

    // Assess
    expect(runs).toEqual([]);
    expect(iso(next)).toBe('2025-03-07T08:00:00.000Z');
  });

  it('waits out a 30-day rate, longer than one Node timer can hold, without running early', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    await start({ ...job, expression: 'rate(30 days)' });
    while (vi.getTimerCount() === 0) await new Promise((resolve) => setImmediate(resolve));

    // Act
    await vi.advanceTimersByTimeAsync(29 * DAY_MS);
    const early = [...runs];
    await vi.advanceTimersByTimeAsync(DAY_MS);

    // Assess
    expect(early).toEqual([]);
    expect(runs).toHaveLength(1);
  });
});
