import type { ChainHead, Checkpoint } from './checkpoint';

/**
 * Which chains the next checkpoint anchors. The table finds changed chains by the hour of their
 * last change, so what it answers is a superset; this narrows it to the chains whose head the
 * trail has not anchored yet, without reading any checkpoint but the latest.
 *
 * A chain whose last event is older than the latest checkpoint's `since` was anchored by that
 * checkpoint or an earlier one. One changed after it but written late (its event time taken
 * before the latest checkpoint was made, its write landing after) is still read: the window
 * reaches back a whole checkpoint, so a chain is dropped only when the latest checkpoint names
 * that very head.
 */

/**
 * The time to read changes from (the table reads from its hour on): the latest checkpoint's
 * `since`; after the first checkpoint, which has none, an hour before it was made, the same
 * reach back for a late write. Null: no checkpoint yet, so every chain.
 */
export function changesReadFrom(latest: Checkpoint | undefined): string | null {
  if (!latest) return null;
  return latest.since ?? new Date(Date.parse(latest.at) - HOUR_MS).toISOString();
}

const HOUR_MS = 3_600_000;

/** Whether a chain's head, whose last event happened `lastEventAt`, is still to be anchored after `latest`. */
export function stillToAnchor(
  latest: Checkpoint | undefined,
  head: ChainHead,
  lastEventAt: string,
  anchoredByLatest: ReadonlyMap<string, string>,
): boolean {
  if (!latest) return true;
  if (latest.since !== null && lastEventAt < latest.since) return false;
  return anchoredByLatest.get(head.chain) !== head.hash;
}

/** The latest checkpoint's heads by chain, to compare a head with in `stillToAnchor`. */
export const anchoredBy = (checkpoint: Checkpoint | undefined): Map<string, string> =>
  new Map((checkpoint?.heads ?? []).map((head) => [head.chain, head.hash]));
