import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sleepUntil } from '../../functions/local/timers';

const DAY_MS = 24 * 3600 * 1000;

describe('sleepUntil for the local Step Functions deadlines', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits out a 30-day deadline that one Node timer cannot hold', async () => {
    // Prepare
    let woke = false;
    void sleepUntil(Date.now() + 30 * DAY_MS, new AbortController().signal).then(() => {
      woke = true;
    });

    // Act
    await vi.advanceTimersByTimeAsync(29 * DAY_MS);
    const wokeEarly = woke;
    await vi.advanceTimersByTimeAsync(DAY_MS);

    // Assess
    expect(wokeEarly).toBe(false);
    expect(woke).toBe(true);
  });

  it('wakes at once when its signal aborts', async () => {
    // Prepare
    const controller = new AbortController();
    const sleeping = sleepUntil(Date.now() + DAY_MS, controller.signal);

    // Act
    controller.abort();

    // Assess
    await expect(sleeping).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });
});
