import { findBrokenLink, type TimelineEvent } from '../timeline';
import {
  type ChainHead,
  type ChainKind,
  type Checkpoint,
  CheckpointDigest,
  type CheckpointFields,
  GENESIS_HASH,
  parseChainId,
  type SignedCheckpoint,
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
 * Reads the checkpoints oldest first, one at a time and each a part at a time (`CheckpointPart`):
 * each must follow the one before (the next seq, naming its hash as `previous`) and carry a
 * signature that holds with the public key. `end` answers whether it does: a checkpoint whose
 * signature fails is no evidence, so its heads are not to be taken, and the chains it alone
 * anchored read as not checkpointed. Memory is one checkpoint's fields, never its heads: the first
 * checkpoint names every chain, so whoever reads keeps the heads where it likes (AnchoredHeads).
 *
 * The newest checkpoint has no successor to vouch for it: removing it goes unseen here, which is
 * what Object Lock on the bucket is for.
 */
export class CheckpointReading {
  readonly problems: CheckpointProblem[] = [];
  count = 0;
  private last: { seq: number; at: string; hash: string } | undefined;
  private reading: { fields: CheckpointFields; digest: CheckpointDigest } | undefined;

  constructor(private readonly publicKeyPem: string) {}

  /** The next checkpoint begins: where it stands in the sequence is checked at once. */
  begin(fields: CheckpointFields): void {
    if (this.reading) throw new Error(`Checkpoint ${this.reading.fields.seq} was not ended`);
    const expected = (this.last?.seq ?? 0) + 1;
    if (fields.seq > expected) {
      this.problems.push({
        seq: fields.seq,
        detail:
          fields.seq === expected + 1
            ? `checkpoint ${expected} is missing`
            : `checkpoints ${expected} to ${fields.seq - 1} are missing`,
      });
    } else if (fields.seq < expected) {
      this.problems.push({
        seq: fields.seq,
        detail: `comes after checkpoint ${expected - 1}: repeated or out of order`,
      });
    } else if (fields.previous !== (this.last?.hash ?? GENESIS_HASH)) {
      this.problems.push({
        seq: fields.seq,
        detail:
          expected === 1
            ? 'the first checkpoint names a previous one'
            : `names another previous hash than checkpoint ${expected - 1}'s: that one was altered`,
      });
    }
    this.reading = { fields, digest: new CheckpointDigest(fields) };
  }

  /** Its next heads, in their order. */
  heads(batch: readonly ChainHead[]): void {
    this.current().digest.heads(batch);
  }

  /** It ends with its signature: whether that holds, so that its heads count. */
  end(signature: string): boolean {
    const { fields, digest } = this.current();
    const { hash, signatureHolds } = digest.finish(signature, this.publicKeyPem);
    if (!signatureHolds) {
      this.problems.push({
        seq: fields.seq,
        detail: 'its signature does not hold with the public key: altered, or signed by another key',
      });
    }
    this.last = { seq: fields.seq, at: fields.at, hash };
    this.reading = undefined;
    this.count++;
    return signatureHolds;
  }

  /** A whole checkpoint at once: whether its signature holds. */
  add(signed: SignedCheckpoint): boolean {
    this.begin(omitHeads(signed.checkpoint));
    this.heads(signed.checkpoint.heads);
    return this.end(signed.signature);
  }

  /** The newest checkpoint read, if any. */
  get latest(): Pick<Checkpoint, 'seq' | 'at'> | null {
    return this.last ? { seq: this.last.seq, at: this.last.at } : null;
  }

  private current(): NonNullable<CheckpointReading['reading']> {
    if (!this.reading) throw new Error('No checkpoint begun');
    return this.reading;
  }
}

function omitHeads({ heads: _, ...fields }: Checkpoint): CheckpointFields {
  return fields;
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
 * Judges the chains the table holds, one at a time as they are read, each against its latest
 * checkpointed head; then the heads no chain of the table took are the chains the checkpoints saw
 * and the table no longer holds: deleted. Memory is the counts and the findings, never the chains
 * nor the heads.
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

  /** Judges one chain as the table holds it, against its latest checkpointed head (if any). */
  see(
    chain: string,
    events: readonly TimelineEvent<string>[],
    anchored: ChainHead | undefined,
  ): ChainJudgement {
    const judgement = judgeChain(events, anchored);
    this.tally(chain, judgement);
    return judgement;
  }

  /** Once every chain was seen: a checkpointed one not among them is deleted. */
  gone(anchored: ChainHead): void {
    this.tally(anchored.chain, judgeChain(undefined, anchored));
  }

  finish(checkpoints: CheckpointReading, checkedAt: string): VerificationReport {
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
