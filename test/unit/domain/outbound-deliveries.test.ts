import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../functions/domain/errors';
import {
  claimAttempt,
  type Delivery,
  deliveriesOf,
  isDue,
  MAX_RETRY_DELAY_MS,
  newDelivery,
  RETRY_WINDOW_MS,
  recordAttempt,
  redrive,
  retryDelayMs,
} from '../../../functions/domain/outbound/deliveries';
import { createdEvents } from '../../../functions/domain/outbound/events';
import { ticket } from './tickets';

const [created] = createdEvents(ticket());
if (!created) throw new Error('intake made no ticket.created');
const start = new Date('2026-03-01T00:00:00.000Z');
const LEASE_MS = 60_000;
const down = { ok: false, result: 'could not connect (ECONNREFUSED)' };

/**
 * Attempts `delivery` whenever it is due, each failing (or answered by `answer`), until it is no
 * longer pending or `until` passes; answers every attempt's time and the delivery as it was left.
 */
function retryUntilSettled(
  delivery: Delivery,
  options: {
    random: number;
    timeScale: number;
    answer?: (attempt: number) => { ok: boolean; result: string };
  },
): { attempts: Date[]; delivery: Delivery } {
  const attempts: Date[] = [];
  let current = delivery;
  while (current.status === 'pending' && current.nextAttemptAt) {
    const now = new Date(current.nextAttemptAt);
    const claimed = claimAttempt(current, now, LEASE_MS);
    attempts.push(now);
    current = recordAttempt(claimed, options.answer?.(attempts.length) ?? down, now, options);
  }
  return { attempts, delivery: current };
}

describe('a delivery', () => {
  it('goes to each subscriber that wants the event, one delivery each, due at once', () => {
    // Act
    const deliveries = deliveriesOf(
      created,
      ticket().id,
      [
        { name: 'chat', events: ['ticket.created', 'ticket.closed'] },
        { name: 'siem', events: ['grant.activated'] },
        { name: 'crm', events: ['ticket.created'] },
      ],
      start,
    );

    // Assess
    expect(deliveries.map((delivery) => delivery.id)).toEqual([`${created.id}.chat`, `${created.id}.crm`]);
    expect(deliveries.every((delivery) => delivery.status === 'pending' && isDue(delivery, start))).toBe(
      true,
    );
  });

  it('waits 30 s after its first failure, doubling each time up to 6 hours, each wait spread by up to a fifth', () => {
    // Act
    const waits = [1, 2, 3, 10, 11, 20].map((attempts) => retryDelayMs(attempts, 0.5));

    // Assess
    expect(waits).toEqual([30_000, 60_000, 120_000, 30_000 * 512, MAX_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS]);
    expect(retryDelayMs(1, 0)).toBe(24_000);
    expect(retryDelayMs(1, 0.999999)).toBe(36_000);
  });

  it('is retried with backoff for 24 hours, its last attempt at the 24-hour mark, then failed', () => {
    // Act
    const { attempts, delivery } = retryUntilSettled(newDelivery(created, 'chat', ticket().id, start), {
      random: 0.5,
      timeScale: 1,
    });

    // Assess
    const offsets = attempts.map((at) => at.getTime() - start.getTime());
    expect(offsets.slice(0, 4)).toEqual([0, 30_000, 90_000, 210_000]);
    expect(offsets.at(-1)).toBe(RETRY_WINDOW_MS);
    expect(offsets.filter((offset) => offset > RETRY_WINDOW_MS)).toEqual([]);
    expect(attempts).toHaveLength(14);
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 14,
      nextAttemptAt: null,
      failedAt: new Date(start.getTime() + RETRY_WINDOW_MS).toISOString(),
      lastAttempt: { ok: false, result: down.result },
    });
  });

  it('is retried within 24 scaled hours when time is scaled, as deadlines are', () => {
    // Act
    const { attempts, delivery } = retryUntilSettled(newDelivery(created, 'chat', ticket().id, start), {
      random: 0,
      timeScale: 0.001,
    });

    // Assess
    expect(delivery.status).toBe('failed');
    expect(attempts.at(-1)?.getTime()).toBe(start.getTime() + RETRY_WINDOW_MS * 0.001);
  });

  it('is delivered by the first attempt the subscriber takes, and tried no more', () => {
    // Act
    const { attempts, delivery } = retryUntilSettled(newDelivery(created, 'chat', ticket().id, start), {
      random: 0.5,
      timeScale: 1,
      answer: (attempt) => (attempt < 3 ? down : { ok: true, result: 'HTTP 204' }),
    });

    // Assess
    expect(attempts).toHaveLength(3);
    expect(delivery).toMatchObject({
      status: 'delivered',
      attempts: 3,
      nextAttemptAt: null,
      deliveredAt: attempts[2]?.toISOString(),
    });
  });

  it('is out of every other dispatcher’s way while an attempt is under way, and due again if it never ends', () => {
    // Prepare
    const delivery = newDelivery(created, 'chat', ticket().id, start);

    // Act
    const claimed = claimAttempt(delivery, start, LEASE_MS);

    // Assess
    expect(claimed.revision).toBe(delivery.revision + 1);
    expect(isDue(claimed, new Date(start.getTime() + LEASE_MS - 1))).toBe(false);
    expect(isDue(claimed, new Date(start.getTime() + LEASE_MS))).toBe(true);
  });

  it('once failed, is redriven into 24 hours of retries of its own, once', () => {
    // Prepare
    const { delivery: failed } = retryUntilSettled(newDelivery(created, 'chat', ticket().id, start), {
      random: 0.5,
      timeScale: 1,
    });
    const redriveAt = new Date(start.getTime() + 2 * RETRY_WINDOW_MS);

    // Act
    const redriven = redrive(failed, 'ivan@x.com', redriveAt);

    // Assess
    expect(redriven).toMatchObject({
      status: 'pending',
      windowStart: redriveAt.toISOString(),
      nextAttemptAt: redriveAt.toISOString(),
      failedAt: null,
      redrives: [{ at: redriveAt.toISOString(), by: 'ivan@x.com' }],
      attempts: failed.attempts,
    });
    const { attempts, delivery } = retryUntilSettled(redriven, { random: 0.5, timeScale: 1 });
    expect(attempts.at(-1)?.getTime()).toBe(redriveAt.getTime() + RETRY_WINDOW_MS);
    expect(delivery.attempts).toBe(28);
    expect(() => redrive(redriven, 'ivan@x.com', redriveAt)).toThrow(ConflictError);
  });
});
