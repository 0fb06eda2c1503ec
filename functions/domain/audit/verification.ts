import { findBrokenLink, type TimelineEvent } from '../timeline';
import type { ChainHead } from './checkpoint';

/**
 * What verification finds of one chain, against the last checkpoint that anchored it:
 * - intact: every hash and link holds, and the chain ends at its checkpointed head;
 * - newer: intact, with events after its checkpointed head, or not checkpointed yet;
 * - edited: an event's hash or back-link is broken, or the checkpointed event is not the one there;
 * - truncated: events the checkpoint saw are gone from its end;
 * - deleted: the checkpoint saw the chain and the table no longer holds it.
 */
export type ChainStatus = 'intact' | 'newer' | 'edited' | 'truncated' | 'deleted';

export const chainStatuses: readonly ChainStatus[] = ['intact', 'newer', 'edited', 'truncated', 'deleted'];

/** The statuses that mean someone changed history: verification fails when any chain has one. */
export const tampered = (status: ChainStatus) =>
  status === 'edited' || status === 'truncated' || status === 'deleted';

export interface ChainJudgement {
  status: ChainStatus;
  /** A sentence for the report: which event, and how. */
  detail: string;
}

/** Judges a chain as the table holds it (undefined: not there) against its checkpointed head. */
export function judgeChain(
  events: readonly TimelineEvent<string>[] | undefined,
  anchored: ChainHead | undefined,
): ChainJudgement {
  if (events === undefined) {
    return anchored
      ? { status: 'deleted', detail: `checkpointed with ${anchored.seq} events; no longer in the table` }
      : { status: 'deleted', detail: 'not in the table' };
  }
  const broken = findBrokenLink(events);
  if (broken !== null) return { status: 'edited', detail: `event ${broken}: its hash or link is broken` };
  if (!anchored) return { status: 'newer', detail: 'not checkpointed yet' };
  if (events.length < anchored.seq) {
    return {
      status: 'truncated',
      detail: `checkpointed with ${anchored.seq} events; ${events.length} remain`,
    };
  }
  if (events[anchored.seq - 1]?.hash !== anchored.hash) {
    return {
      status: 'edited',
      detail: `event ${anchored.seq}: not the event checkpointed (the chain was rewritten)`,
    };
  }
  if (events.length > anchored.seq) {
    return { status: 'newer', detail: `${events.length - anchored.seq} events after the last checkpoint` };
  }
  return { status: 'intact', detail: '' };
}
