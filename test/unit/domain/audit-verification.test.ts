import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type ChainHead,
  type Checkpoint,
  chainId,
  checkpointBytes,
  nextCheckpoint,
  type SignedCheckpoint,
} from '../../../functions/domain/audit/checkpoint';
import {
  abridged,
  CheckpointReading,
  TrailVerification,
  type VerificationReport,
} from '../../../functions/domain/audit/verification';
import { appendEvent, type TimelineEvent } from '../../../functions/domain/timeline';

const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = keyPair();
const publicKeyPem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();

function chainOf(length: number, actor = 'alice@example.com'): TimelineEvent<string>[] {
  let events: TimelineEvent<string>[] = [];
  for (let index = 0; index < length; index++) {
    events = appendEvent<string>(events, {
      type: index === 0 ? 'submitted' : 'commented',
      at: `2026-12-01T10:00:0${index}.000Z`,
      actor,
      reason: null,
      from: null,
      to: null,
      data: { index },
    });
  }
  return events;
}

const headOf = (chain: string, events: readonly TimelineEvent<string>[]): ChainHead => {
  const last = events.at(-1) as TimelineEvent<string>;
  return { chain, seq: last.seq, hash: last.hash };
};

const signWith = (checkpoint: Checkpoint, key: KeyObject = signer.privateKey): SignedCheckpoint => ({
  checkpoint,
  signature: sign('sha256', checkpointBytes(checkpoint), { key, dsaEncoding: 'der' }).toString('base64'),
});

/** Signed checkpoints, each over the heads given, chained as the writer chains them. */
function checkpointsOver(...headsEach: ChainHead[][]): SignedCheckpoint[] {
  const made: Checkpoint[] = [];
  headsEach.forEach((heads, index) => {
    made.push(nextCheckpoint(made.at(-1), heads, `2026-12-0${index + 1}T00:00:00.000Z`, 'local:test'));
  });
  return made.map((checkpoint) => signWith(checkpoint));
}

/** Verifies the table's chains (by chain id) against the checkpoints, as the use case does. */
function verify(table: Table, checkpoints: SignedCheckpoint[], key = publicKeyPem): VerificationReport {
  const reading = new CheckpointReading(key);
  for (const signed of checkpoints) reading.add(signed);
  const verification = new TrailVerification(reading.heads);
  for (const [chain, events] of table) verification.see(chain, events);
  return verification.finish(reading, '2026-12-05T00:00:00.000Z');
}

const ticketA = chainId('ticket', '01JTICKETA');
const ticketB = chainId('ticket', '01JTICKETB');
const grantG = chainId('grant', 'G1');

/** The chains the table holds, by chain id. */
type Table = Map<string, readonly TimelineEvent<string>[]>;

function eventsOf(table: Table, chain: string): readonly TimelineEvent<string>[] {
  const events = table.get(chain);
  if (!events) throw new Error(`No chain ${chain} in the test's table`);
  return events;
}

/** Two tickets and a grant, all checkpointed as they stand. */
function intactHistory() {
  const table: Table = new Map([
    [ticketA, chainOf(3)],
    [ticketB, chainOf(2)],
    [grantG, chainOf(2, 'tollgate')],
  ]);
  const checkpoints = checkpointsOver(
    [headOf(ticketA, eventsOf(table, ticketA).slice(0, 2)), headOf(grantG, eventsOf(table, grantG))],
    [headOf(ticketA, eventsOf(table, ticketA)), headOf(ticketB, eventsOf(table, ticketB))],
  );
  return { table, checkpoints };
}

function withEvent(
  events: readonly TimelineEvent<string>[],
  seq: number,
  change: Partial<TimelineEvent<string>>,
): TimelineEvent<string>[] {
  return events.map((event) => (event.seq === seq ? { ...event, ...change } : event));
}

describe('audit trail verification', () => {
  it('verifies an intact history as ok, every chain intact', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();

    // Act
    const report = verify(table, checkpoints);

    // Assess
    expect(report).toMatchObject({
      ok: true,
      checkpoints: { count: 2, latest: { seq: 2 }, sound: true, problems: [] },
      counts: { intact: 3, newer: 0, edited: 0, truncated: 0, deleted: 0, total: 3 },
      byKind: { ticket: { intact: 2 }, grant: { intact: 1 } },
      findings: [],
    });
  });

  it('reports a ticket with an edited event as edited at that event', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(ticketA, withEvent(eventsOf(table, ticketA), 2, { actor: 'mallory@example.com' }));

    // Act
    const report = verify(table, checkpoints);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ chain: ticketA, kind: 'ticket', id: '01JTICKETA', status: 'edited' }),
    ]);
    expect(report.findings[0]?.detail).toMatch(/^event 2:/);
  });

  it('reports a ticket whose last events were removed as truncated', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(ticketA, eventsOf(table, ticketA).slice(0, 2));

    // Act
    const report = verify(table, checkpoints);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ chain: ticketA, status: 'truncated' })]);
  });

  it('reports a ticket with an event removed from its middle as edited', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(
      ticketA,
      eventsOf(table, ticketA).filter((event) => event.seq !== 2),
    );

    // Act
    const report = verify(table, checkpoints);

    // Assess
    expect(report.findings).toEqual([expect.objectContaining({ chain: ticketA, status: 'edited' })]);
    expect(report.counts.edited).toBe(1);
  });

  it('reports a checkpointed ticket gone from the table as deleted', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.delete(ticketB);

    // Act
    const report = verify(table, checkpoints);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ chain: ticketB, id: '01JTICKETB', status: 'deleted' }),
    ]);
    expect(report.counts).toMatchObject({ intact: 2, deleted: 1, total: 3 });
  });

  it('reports a grant with an edited event as edited', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(grantG, withEvent(eventsOf(table, grantG), 1, { at: '2026-11-01T00:00:00.000Z' }));

    // Act
    const report = verify(table, checkpoints);

    // Assess
    expect(report.findings).toEqual([
      expect.objectContaining({ chain: grantG, kind: 'grant', id: 'G1', status: 'edited' }),
    ]);
    expect(report.byKind.grant.edited).toBe(1);
  });

  it('reports a chain rewritten whole, every hash recomputed, as edited at its checkpointed head', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(ticketB, chainOf(2, 'mallory@example.com'));

    // Act
    const report = verify(table, checkpoints);

    // Assess
    expect(report.findings).toEqual([expect.objectContaining({ chain: ticketB, status: 'edited' })]);
  });

  it('reports a chain with events after its checkpoint as newer, not tampered', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(
      ticketB,
      appendEvent<string>(eventsOf(table, ticketB).slice(0, 2), {
        type: 'commented',
        at: '2026-12-04T00:00:00.000Z',
        actor: 'bob@example.com',
        reason: null,
        from: null,
        to: null,
        data: {},
      }),
    );
    const fresh = chainId('ticket', '01JTICKETC');
    table.set(fresh, chainOf(1));

    // Act
    const report = verify(table, checkpoints);

    // Assess
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({ intact: 2, newer: 2, total: 4 });
    expect(report.findings.map((finding) => [finding.chain, finding.status])).toEqual([
      [ticketB, 'newer'],
      [fresh, 'newer'],
    ]);
  });

  it('reports a checkpoint altered after signing: its signature fails and the next names another hash', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    const [first, second] = checkpoints as [SignedCheckpoint, SignedCheckpoint];
    const altered = { ...first, checkpoint: { ...first.checkpoint, at: '2026-11-30T00:00:00.000Z' } };

    // Act
    const report = verify(table, [altered, second]);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checkpoints.sound).toBe(false);
    expect(report.checkpoints.problems).toEqual([
      { seq: 1, detail: expect.stringContaining('signature does not hold') },
      { seq: 2, detail: expect.stringContaining("checkpoint 1's: that one was altered") },
    ]);
  });

  it('reports a checkpoint signed by another key', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    const [first, second] = checkpoints as [SignedCheckpoint, SignedCheckpoint];
    const forged = signWith(second.checkpoint, keyPair().privateKey);

    // Act
    const report = verify(table, [first, forged]);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checkpoints.problems).toEqual([
      { seq: 2, detail: expect.stringContaining('signature does not hold') },
    ]);
  });

  it('reports every checkpoint when verified with another public key', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    const otherKey = keyPair().publicKey.export({ type: 'spki', format: 'pem' }).toString();

    // Act
    const report = verify(table, checkpoints, otherKey);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checkpoints.problems.map((problem) => problem.seq)).toEqual([1, 2]);
  });

  it('reports a checkpoint missing from the middle of the checkpoints', () => {
    // Prepare
    const { table } = intactHistory();
    const checkpoints = checkpointsOver(
      [headOf(ticketA, eventsOf(table, ticketA))],
      [headOf(ticketB, eventsOf(table, ticketB))],
      [headOf(grantG, eventsOf(table, grantG))],
    );

    // Act
    const report = verify(table, [checkpoints[0], checkpoints[2]] as SignedCheckpoint[]);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checkpoints.problems).toEqual([{ seq: 3, detail: 'checkpoint 2 is missing' }]);
  });

  it('reports the first checkpoint missing', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();

    // Act
    const report = verify(table, checkpoints.slice(1));

    // Assess
    expect(report.checkpoints.problems).toEqual([{ seq: 2, detail: 'checkpoint 1 is missing' }]);
  });

  it('verifies a table with no checkpoints yet as ok, every chain newer', () => {
    // Prepare
    const { table } = intactHistory();

    // Act
    const report = verify(table, []);

    // Assess
    expect(report).toMatchObject({
      ok: true,
      checkpoints: { count: 0, latest: null, sound: true },
      counts: { newer: 3, total: 3 },
    });
  });

  it('keeps the tampered findings first, and counts those left out, when a stored copy is shortened', () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(chainId('ticket', '01JTICKETC'), chainOf(1));
    table.set(chainId('ticket', '01JTICKETD'), chainOf(1));
    table.delete(grantG);
    const report = verify(table, checkpoints);

    // Act
    const stored = abridged(report, 2);

    // Assess
    expect(stored.findings.map((finding) => finding.status)).toEqual(['deleted', 'newer']);
    expect(stored.findingsLeftOut).toBe(1);
    expect(stored.counts).toEqual(report.counts);
  });
});
