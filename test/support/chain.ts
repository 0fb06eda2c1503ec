import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS = '0'.repeat(64);

const EVENT_KEYS = ['actor', 'at', 'data', 'from', 'hash', 'prev', 'reason', 'seq', 'to', 'type'];

interface Event {
  seq: number;
  prev: string;
  hash: string;
  [key: string]: unknown;
}

/**
 * Re-checks a ticket's timeline the way an auditor would, without the project's own code: each
 * event has exactly the spec's fields, `hash` is the SHA-256 of the RFC 8785 canonical JSON of the
 * event without `hash`, `prev` is the previous event's hash (64 zeros first), and seq counts from 1.
 * Answers the problems found; an empty list means the chain holds.
 */
export function chainProblems(timeline: readonly Event[]): string[] {
  const problems: string[] = [];
  let prev = GENESIS;
  timeline.forEach((event, index) => {
    const keys = Object.keys(event).sort();
    if (keys.join() !== EVENT_KEYS.join()) problems.push(`event ${index}: fields ${keys.join(', ')}`);
    if (event.seq !== index + 1) problems.push(`event ${index}: seq ${event.seq}`);
    if (event.prev !== prev) problems.push(`event ${index}: prev ${event.prev} is not ${prev}`);
    const { hash, ...unsealed } = event;
    const expected = createHash('sha256')
      .update(canonicalize(unsealed) ?? '')
      .digest('hex');
    if (hash !== expected) problems.push(`event ${index}: hash ${hash} is not ${expected}`);
    prev = hash;
  });
  return problems;
}
