import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiFirstGate } from '../../../functions/local/api-first';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('workflow steps yield to API requests', () => {
  // The clock is faked, so what the yield allows is decided by the gate, not by how busy the machine is.
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a step as soon as the API is idle', async () => {
    // Prepare
    const gate = new ApiFirstGate(1_000);
    const order: string[] = [];
    const request = gate.api(async () => {
      await later(30);
      order.push('api');
    });
    // Act
    const answered = request();
    const stepped = gate.step(async () => {
      order.push('step');
    });
    await vi.advanceTimersByTimeAsync(30);
    await Promise.all([answered, stepped]);
    // Assess
    expect(order).toEqual(['api', 'step']);
  });

  it('never waits longer than its yield for a busy API', async () => {
    // Prepare
    const gate = new ApiFirstGate(20);
    const busy = gate.api(() => later(500))();
    let ran = false;
    // Act
    const stepped = gate.step(async () => {
      ran = true;
    });
    await vi.advanceTimersByTimeAsync(19);
    const ranBeforeYield = ran;
    await vi.advanceTimersByTimeAsync(1);
    // Assess
    expect(ranBeforeYield).toBe(false);
    expect(ran).toBe(true);
    await stepped;
    await vi.advanceTimersByTimeAsync(500);
    await busy;
  });

  it('runs one step at a time, in order, even when one fails', async () => {
    // Prepare
    const gate = new ApiFirstGate();
    const order: number[] = [];
    // Act
    const first = gate.step(async () => {
      await later(20);
      order.push(1);
      throw new Error('step failed');
    });
    const second = gate.step(async () => {
      order.push(2);
    });
    const failed = expect(first).rejects.toThrow('step failed');
    await vi.advanceTimersByTimeAsync(20);
    // Assess
    await failed;
    await second;
    expect(order).toEqual([1, 2]);
  });
});
