import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Status } from './lifecycle';

/** An event of a hash-chained record: a ticket's timeline (`S`, its statuses) or a grant's events. */
export interface TimelineEvent<S extends string = Status> {
  seq: number;
  type: string;
  at: string;
  actor: string;
  reason: string | null;
  from: S | null;
  to: S | null;
  data: Record<string, unknown>;
  prev: string;
  hash: string;
}

export type NewEvent<S extends string = Status> = Omit<TimelineEvent<S>, 'seq' | 'prev' | 'hash'>;

export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 of the event's RFC 8785 canonical JSON without its own `hash`, so anyone can re-check it. */
export function hashEvent(event: Omit<TimelineEvent<string>, 'hash'>): string {
  const canonical = canonicalize(event);
  if (canonical === undefined) throw new TypeError('Timeline event is not serialisable');
  return createHash('sha256').update(canonical).digest('hex');
}

export function appendEvent<S extends string = Status>(
  timeline: readonly TimelineEvent<S>[],
  event: NewEvent<S>,
): TimelineEvent<S>[] {
  const last = timeline.at(-1);
  const unsealed = { ...event, seq: (last?.seq ?? 0) + 1, prev: last?.hash ?? GENESIS_HASH };
  return [...timeline, { ...unsealed, hash: hashEvent(unsealed) }];
}

/** The first broken link of the chain (its seq), or null when every hash and back-link holds. */
export function findBrokenLink(timeline: readonly TimelineEvent<string>[]): number | null {
  let prev = GENESIS_HASH;
  for (const [index, event] of timeline.entries()) {
    const { hash, ...unsealed } = event;
    if (event.seq !== index + 1 || event.prev !== prev || hashEvent(unsealed) !== hash) return event.seq;
    prev = hash;
  }
  return null;
}
