import { describe, expect, it } from 'vitest';
import { ApiFirstGate } from '../../../functions/local/api-first';

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('workflow steps yield to API requests', () => {
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
    await gate.step(async () => {
      order.push('step');
    });
    await answered;
    // Assess
    expect(order).toEqual(['api', 'step']);
  });

  it('never waits longer than its yield for a busy API', async () => {
    // Prepare
    const gate = new ApiFirstGate(20);
    const busy = gate.api(() => later(500))();
    const started = Date.now();
    // Act
    await gate.step(async () => undefined);
    // Assess
    expect(Date.now() - started).toBeLessThan(400);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
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
    // Assess
    await expect(first).rejects.toThrow('step failed');
    await second;
    expect(order).toEqual([1, 2]);
  });
});
