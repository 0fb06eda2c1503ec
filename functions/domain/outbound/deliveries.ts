import { z } from 'zod';
import { ConflictError } from '../errors';
import { integrationNameSchema } from '../webhooks';
import {
  type OutboundEvent,
  type OutboundEventType,
  outboundEventSchema,
  outboundEventTypes,
} from './events';

/**
 * The delivery of one event to one subscriber, and the rules of its attempts: one at once, then
 * retries with exponential backoff for 24 hours, then `failed`, kept for an admin to redrive.
 */

/**
 * A subscriber, from configuration: where its events go, which it wants, and the Secrets Manager
 * secret (a name or an ARN) whose value is the JSON list of its `whsec_` secrets, each of which
 * signs every delivery (so a secret rotates by adding the new one first, then removing the old).
 */
export const subscriberSchema = z.strictObject({
  name: integrationNameSchema,
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }),
  events: z.array(z.enum(outboundEventTypes)).min(1),
  secretId: z.string().min(1).max(2048).optional(),
});
export type Subscriber = z.infer<typeof subscriberSchema>;

/** The secret a subscriber's deliveries are signed with: its own `secretId`, else `subscriber-{name}`. */
export const subscriberSecretId = (subscriber: Pick<Subscriber, 'name' | 'secretId'>): string =>
  subscriber.secretId ?? `subscriber-${subscriber.name}`;

export const wants = (subscriber: Pick<Subscriber, 'events'>, type: OutboundEventType): boolean =>
  subscriber.events.includes(type);

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export const deliverySchema = z
  .object({
    id: z.string().meta({ description: '`{event id}.{subscriber}`' }),
    subscriber: z.string(),
    ticket: z.string(),
    event: outboundEventSchema,
    status: z.enum(deliveryStatuses),
    attempts: z.number().int().meta({ description: 'Attempts begun so far, redrives included' }),
    createdAt: z.string(),
    windowStart: z.string().meta({
      description: 'When its 24 hours of retries began: its creation, or its latest redrive',
    }),
    windowAttempts: z
      .number()
      .int()
      .meta({ description: 'Attempts begun since `windowStart`: what the backoff counts' }),
    nextAttemptAt: z.string().nullable().meta({
      description:
        'Pending: when it is next tried (or, while an attempt is under way, when that attempt is given up)',
    }),
    lastAttempt: z.object({ at: z.string(), ok: z.boolean(), result: z.string() }).nullable().meta({
      description: 'What the latest attempt met: `HTTP 204`, `HTTP 503`, `timed out`, `refused: ...`',
    }),
    deliveredAt: z.string().nullable(),
    failedAt: z.string().nullable(),
    redrives: z.array(z.object({ at: z.string(), by: z.string() })),
    /** Every change is one conditional write on the previous revision, so of two dispatchers one claims an attempt. */
    revision: z.number().int(),
  })
  .meta({ id: 'Delivery', description: 'One outbound event, for one subscriber, and how its delivery went' });
export type Delivery = z.infer<typeof deliverySchema>;

export const deliveryIdOf = (eventId: string, subscriber: string): string => `${eventId}.${subscriber}`;

/** How long retries go on, from the first attempt (or a redrive): then the delivery is failed. */
export const RETRY_WINDOW_MS = 24 * 3600 * 1000;
/** The wait after the first failed attempt, doubling after each, up to MAX_RETRY_DELAY_MS. */
export const FIRST_RETRY_DELAY_MS = 30 * 1000;
export const MAX_RETRY_DELAY_MS = 6 * 3600 * 1000;
/** Each wait is spread by up to a fifth either way, so deliveries that failed together do not retry together. */
const JITTER = 0.2;

/**
 * The wait after `attempts` failed attempts, before the time scale: 30 s, 1 min, 2 min, ... doubling
 * up to 6 hours. `random` in [0, 1) spreads it by ±20%.
 */
export function retryDelayMs(attempts: number, random: number): number {
  const base = Math.min(FIRST_RETRY_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  return Math.round(base * (1 - JITTER + 2 * JITTER * random));
}

/** A new delivery, due now, that nobody has tried yet. */
export function newDelivery(event: OutboundEvent, subscriber: string, ticketId: string, now: Date): Delivery {
  const at = now.toISOString();
  return {
    id: deliveryIdOf(event.id, subscriber),
    subscriber,
    ticket: ticketId,
    event,
    status: 'pending',
    attempts: 0,
    createdAt: at,
    windowStart: at,
    windowAttempts: 0,
    nextAttemptAt: at,
    lastAttempt: null,
    deliveredAt: null,
    failedAt: null,
    redrives: [],
    revision: 0,
  };
}

export const isDue = (delivery: Pick<Delivery, 'status' | 'nextAttemptAt'>, now: Date): boolean =>
  delivery.status === 'pending' &&
  delivery.nextAttemptAt !== null &&
  Date.parse(delivery.nextAttemptAt) <= now.getTime();

/**
 * The next attempt taken by one dispatcher: counted, and out of the others' way until `leaseMs`
 * from now, when it is due again if its result was never recorded (the dispatcher stopped).
 */
export function claimAttempt(delivery: Delivery, now: Date, leaseMs: number): Delivery {
  return {
    ...delivery,
    attempts: delivery.attempts + 1,
    windowAttempts: delivery.windowAttempts + 1,
    nextAttemptAt: new Date(now.getTime() + leaseMs).toISOString(),
    revision: delivery.revision + 1,
  };
}

export interface AttemptResult {
  ok: boolean;
  /** What the subscriber answered, or why nothing was sent: never a secret. */
  result: string;
}

/**
 * The claimed attempt's result: delivered; or, within the 24 hours, due again after the backoff
 * (scaled by `timeScale`, never past the end of the window, so the last attempt is at 24 hours);
 * or, at the end of the window, failed.
 */
export function recordAttempt(
  claimed: Delivery,
  attempt: AttemptResult,
  now: Date,
  options: { random: number; timeScale: number },
): Delivery {
  const at = now.toISOString();
  const recorded = {
    ...claimed,
    lastAttempt: { at, ok: attempt.ok, result: attempt.result },
    revision: claimed.revision + 1,
  };
  if (attempt.ok) return { ...recorded, status: 'delivered', nextAttemptAt: null, deliveredAt: at };
  const windowEnd = Date.parse(claimed.windowStart) + RETRY_WINDOW_MS * options.timeScale;
  if (now.getTime() >= windowEnd) return { ...recorded, status: 'failed', nextAttemptAt: null, failedAt: at };
  const next = now.getTime() + retryDelayMs(claimed.windowAttempts, options.random) * options.timeScale;
  return { ...recorded, nextAttemptAt: new Date(Math.min(next, windowEnd)).toISOString() };
}

/** A failed delivery sent again: pending at once, with 24 hours of retries of its own. */
export function redrive(delivery: Delivery, by: string, now: Date): Delivery {
  if (delivery.status !== 'failed') {
    throw new ConflictError(
      `The delivery ${delivery.id} is ${delivery.status}: only a failed delivery is redriven`,
    );
  }
  const at = now.toISOString();
  return {
    ...delivery,
    status: 'pending',
    windowStart: at,
    windowAttempts: 0,
    nextAttemptAt: at,
    failedAt: null,
    redrives: [...delivery.redrives, { at, by }],
    revision: delivery.revision + 1,
  };
}

/** The subscribers that want an event, each with the delivery it gets. */
export function deliveriesOf(
  event: OutboundEvent,
  ticketId: string,
  subscribers: readonly Pick<Subscriber, 'name' | 'events'>[],
  now: Date,
): Delivery[] {
  return subscribers
    .filter((subscriber) => wants(subscriber, event.type))
    .map((subscriber) => newDelivery(event, subscriber.name, ticketId, now));
}
