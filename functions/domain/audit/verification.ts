import { findBrokenLink, type TimelineEvent } from '../timeline';
import {
  type ChainHead,
  type ChainKind,
  type Checkpoint,
  checkpointHash,
  GENESIS_HASH,
  parseChainId,
  type SignedCheckpoint,
  signatureHolds,
} from './checkpoint';

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

/** A checkpoint that does not hold: its seq, and what is wrong with it. */
export interface CheckpointProblem {
  seq: number;
  detail: string;
}

/**
 * Reads the checkpoints oldest first, one at a time: each must follow the one before (the next seq,
 * naming its hash as `previous`) and carry a signature that holds with the public key. Keeps the
 * latest head each chain was checkpointed at. A checkpoint whose signature fails is no evidence, so
 * its heads are not taken: the chains it alone anchored read as not checkpointed.
 *
 * The newest checkpoint has no successor to vouch for it: removing it goes unseen here, which is
 * what Object Lock on the bucket is for.
 */
export class CheckpointReading {
  /** Each chain's latest checkpointed head, by chain id. */
  readonly heads = new Map<string, ChainHead>();
  readonly problems: CheckpointProblem[] = [];
  count = 0;
  private last: Checkpoint | undefined;

  constructor(private readonly publicKeyPem: string) {}

  add(signed: SignedCheckpoint): void {
    const { checkpoint } = signed;
    const expected = (this.last?.seq ?? 0) + 1;
    if (checkpoint.seq > expected) {
      this.problems.push({
        seq: checkpoint.seq,
        detail:
          checkpoint.seq === expected + 1
            ? `checkpoint ${expected} is missing`
            : `checkpoints ${expected} to ${checkpoint.seq - 1} are missing`,
      });
    } else if (checkpoint.seq < expected) {
      this.problems.push({
        seq: checkpoint.seq,
        detail: `comes after checkpoint ${expected - 1}: repeated or out of order`,
      });
    } else if (checkpoint.previous !== (this.last ? checkpointHash(this.last) : GENESIS_HASH)) {
      this.problems.push({
        seq: checkpoint.seq,
        detail:
          expected === 1
            ? 'the first checkpoint names a previous one'
            : `names another previous hash than checkpoint ${expected - 1}'s: that one was altered`,
      });
    }
    if (signatureHolds(signed, this.publicKeyPem)) {
      for (const head of checkpoint.heads) this.heads.set(head.chain, head);
    } else {
      this.problems.push({
        seq: checkpoint.seq,
        detail: 'its signature does not hold with the public key: altered, or signed by another key',
      });
    }
    this.last = checkpoint;
    this.count++;
  }

  /** The newest checkpoint read, if any. */
  get latest(): Pick<Checkpoint, 'seq' | 'at'> | null {
    return this.last ? { seq: this.last.seq, at: this.last.at } : null;
  }
}

/** A chain that is not intact, for the report. */
export interface Finding {
  chain: string;
  kind: ChainKind;
  /** The ticket's or grant's id; an admin record's `identity/{id}`, `system/{id}` or `policies`. */
  id: string;
  status: Exclude<ChainStatus, 'intact'>;
  detail: string;
}

export type StatusCounts = Record<ChainStatus, number>;

export interface VerificationReport {
  checkedAt: string;
  /** No chain tampered with, and every checkpoint sound. */
  ok: boolean;
  checkpoints: {
    count: number;
    latest: { seq: number; at: string } | null;
    sound: boolean;
    problems: CheckpointProblem[];
  };
  /** Chains judged, by status: all of them, and per kind. */
  counts: StatusCounts & { total: number };
  byKind: Record<ChainKind, StatusCounts>;
  /** Every chain not intact: the tampered ones first, then the newer ones. */
  findings: Finding[];
  /** How many findings a shortened copy leaves out (`abridged`); 0 in a whole report. */
  findingsLeftOut: number;
}

/**
 * The report with at most `max` findings, the tampered ones kept first: what fits in one stored
 * item (DynamoDB's 400 KB); the counts still count every chain.
 */
export function abridged(report: VerificationReport, max: number): VerificationReport {
  if (report.findings.length <= max) return report;
  return {
    ...report,
    findings: report.findings.slice(0, max),
    findingsLeftOut: report.findingsLeftOut + report.findings.length - max,
  };
}

const noCounts = (): StatusCounts => ({ intact: 0, newer: 0, edited: 0, truncated: 0, deleted: 0 });

/**
 * Judges the chains the table holds, one at a time as they are read, against the checkpointed
 * heads; each judged chain leaves `anchored`, so the heads left at the end are the chains the
 * checkpoints saw and the table no longer holds: deleted. Memory is the heads not yet seen and the
 * findings, never the chains.
 */
export class TrailVerification {
  private readonly counts: StatusCounts = noCounts();
  private readonly byKind: Record<ChainKind, StatusCounts> = {
    ticket: noCounts(),
    grant: noCounts(),
    admin: noCounts(),
  };
  private readonly tamperedFindings: Finding[] = [];
  private readonly newerFindings: Finding[] = [];

  constructor(private readonly anchored: Map<string, ChainHead>) {}

  /** Judges one chain as the table holds it. */
  see(chain: string, events: readonly TimelineEvent<string>[]): ChainJudgement {
    const judgement = judgeChain(events, this.anchored.get(chain));
    this.anchored.delete(chain);
    this.tally(chain, judgement);
    return judgement;
  }

  /** Once every chain was seen: the checkpointed ones not among them are deleted. */
  finish(checkpoints: CheckpointReading, checkedAt: string): VerificationReport {
    for (const [chain, head] of this.anchored) this.tally(chain, judgeChain(undefined, head));
    this.anchored.clear();
    const total = chainStatuses.reduce((sum, status) => sum + this.counts[status], 0);
    const sound = checkpoints.problems.length === 0;
    return {
      checkedAt,
      ok: sound && this.tamperedFindings.length === 0,
      checkpoints: {
        count: checkpoints.count,
        latest: checkpoints.latest,
        sound,
        problems: checkpoints.problems,
      },
      counts: { ...this.counts, total },
      byKind: this.byKind,
      findings: [...this.tamperedFindings, ...this.newerFindings],
      findingsLeftOut: 0,
    };
  }

  private tally(chain: string, judgement: ChainJudgement): void {
    const { kind, id } = parseChainId(chain);
    this.counts[judgement.status]++;
    this.byKind[kind][judgement.status]++;
    if (judgement.status === 'intact') return;
    const finding = { chain, kind, id, status: judgement.status, detail: judgement.detail };
    (tampered(judgement.status) ? this.tamperedFindings : this.newerFindings).push(finding);
  }
}
