import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryAnchoredHeads } from '../../../functions/adapters/audit/anchored-heads';
import { SqliteAnchoredHeads } from '../../../functions/adapters/audit/sqlite-anchored-heads';
import { verifyAuditTrail } from '../../../functions/app/audit-verify';
import type { AnchoredHeads } from '../../../functions/app/ports';
import {
  type ChainHead,
  type Checkpoint,
  chainId,
  checkpointBytes,
  nextCheckpoint,
  partsOf,
  type SignedCheckpoint,
} from '../../../functions/domain/audit/checkpoint';
import { abridged, type VerificationReport } from '../../../functions/domain/audit/verification';
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

/**
 * Verifies the table's chains (by chain id, two to a page) against the checkpoints (each head in a
 * part of its own), as `npm run audit:verify` does, with the checkpointed heads kept where `open` keeps them.
 */
function verifyWith(
  open: () => Promise<AnchoredHeads>,
  table: Table,
  checkpoints: SignedCheckpoint[],
  key = publicKeyPem,
): Promise<VerificationReport> {
  const chains = [...table].map(([chain, events]) => ({ chain, events: [...events] }));
  return verifyAuditTrail({
    clock: { now: () => new Date('2026-12-05T00:00:00.000Z') },
    publicKey: { pem: async () => key },
    checkpoints: {
      latest: async () => checkpoints.at(-1),
      put: async () => false,
      async *all() {
        for (const signed of checkpoints) yield* partsOf(signed, 1);
      },
    },
    trail: {
      async *pages() {
        for (let start = 0; start < chains.length; start += 2) {
          yield { chains: chains.slice(start, start + 2), read: 2 };
        }
      },
      approximateItems: async () => undefined,
    },
    openAnchoredHeads: open,
  });
}

/** Where a verification keeps the checkpointed heads: the scheduled run's Map, the CLI's SQLite file. */
const stores: [string, () => Promise<AnchoredHeads>][] = [
  ['in memory', async () => new MemoryAnchoredHeads()],
  ['in SQLite', () => SqliteAnchoredHeads.open()],
];

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

describe.each(stores)('audit trail verification, the heads kept %s', (_, open) => {
  const verify = (table: Table, checkpoints: SignedCheckpoint[], key?: string) =>
    verifyWith(open, table, checkpoints, key);

  it('verifies an intact history as ok, every chain intact', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();

    // Act
    const report = await verify(table, checkpoints);

    // Assess
    expect(report).toMatchObject({
      ok: true,
      checkpoints: { count: 2, latest: { seq: 2 }, sound: true, problems: [] },
      counts: { intact: 3, newer: 0, edited: 0, truncated: 0, deleted: 0, total: 3 },
      byKind: { ticket: { intact: 2 }, grant: { intact: 1 } },
      findings: [],
    });
  });

  it('reports a ticket with an edited event as edited at that event', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(ticketA, withEvent(eventsOf(table, ticketA), 2, { actor: 'mallory@example.com' }));

    // Act
    const report = await verify(table, checkpoints);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ chain: ticketA, kind: 'ticket', id: '01JTICKETA', status: 'edited' }),
    ]);
    expect(report.findings[0]?.detail).toMatch(/^event 2:/);
  });

  it('reports a ticket whose last events were removed as truncated', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(ticketA, eventsOf(table, ticketA).slice(0, 2));

    // Act
    const report = await verify(table, checkpoints);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ chain: ticketA, status: 'truncated' })]);
  });

  it('reports a ticket with an event removed from its middle as edited', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(
      ticketA,
      eventsOf(table, ticketA).filter((event) => event.seq !== 2),
    );

    // Act
    const report = await verify(table, checkpoints);

    // Assess
    expect(report.findings).toEqual([expect.objectContaining({ chain: ticketA, status: 'edited' })]);
    expect(report.counts.edited).toBe(1);
  });

  it('reports a checkpointed ticket gone from the table as deleted', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.delete(ticketB);

    // Act
    const report = await verify(table, checkpoints);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([
      expect.objectContaining({ chain: ticketB, id: '01JTICKETB', status: 'deleted' }),
    ]);
    expect(report.counts).toMatchObject({ intact: 2, deleted: 1, total: 3 });
  });

  it('reports a grant with an edited event as edited', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(grantG, withEvent(eventsOf(table, grantG), 1, { at: '2026-11-01T00:00:00.000Z' }));

    // Act
    const report = await verify(table, checkpoints);

    // Assess
    expect(report.findings).toEqual([
      expect.objectContaining({ chain: grantG, kind: 'grant', id: 'G1', status: 'edited' }),
    ]);
    expect(report.byKind.grant.edited).toBe(1);
  });

  it('reports a chain rewritten whole, every hash recomputed, as edited at its checkpointed head', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(ticketB, chainOf(2, 'mallory@example.com'));

    // Act
    const report = await verify(table, checkpoints);

    // Assess
    expect(report.findings).toEqual([expect.objectContaining({ chain: ticketB, status: 'edited' })]);
  });

  it('reports a chain with events after its checkpoint as newer, not tampered', async () => {
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
    const report = await verify(table, checkpoints);

    // Assess
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({ intact: 2, newer: 2, total: 4 });
    expect(report.findings.map((finding) => [finding.chain, finding.status])).toEqual([
      [ticketB, 'newer'],
      [fresh, 'newer'],
    ]);
  });

  it('reports a checkpoint altered after signing: its signature fails and the next names another hash', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    const [first, second] = checkpoints as [SignedCheckpoint, SignedCheckpoint];
    const altered = { ...first, checkpoint: { ...first.checkpoint, at: '2026-11-30T00:00:00.000Z' } };

    // Act
    const report = await verify(table, [altered, second]);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checkpoints.sound).toBe(false);
    expect(report.checkpoints.problems).toEqual([
      { seq: 1, detail: expect.stringContaining('signature does not hold') },
      { seq: 2, detail: expect.stringContaining("checkpoint 1's: that one was altered") },
    ]);
  });

  it('reports a checkpoint signed by another key', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    const [first, second] = checkpoints as [SignedCheckpoint, SignedCheckpoint];
    const forged = signWith(second.checkpoint, keyPair().privateKey);

    // Act
    const report = await verify(table, [first, forged]);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checkpoints.problems).toEqual([
      { seq: 2, detail: expect.stringContaining('signature does not hold') },
    ]);
  });

  it('reports every checkpoint when verified with another public key', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    const otherKey = keyPair().publicKey.export({ type: 'spki', format: 'pem' }).toString();

    // Act
    const report = await verify(table, checkpoints, otherKey);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checkpoints.problems.map((problem) => problem.seq)).toEqual([1, 2]);
  });

  it('reports a checkpoint missing from the middle of the checkpoints', async () => {
    // Prepare
    const { table } = intactHistory();
    const checkpoints = checkpointsOver(
      [headOf(ticketA, eventsOf(table, ticketA))],
      [headOf(ticketB, eventsOf(table, ticketB))],
      [headOf(grantG, eventsOf(table, grantG))],
    );

    // Act
    const report = await verify(table, [checkpoints[0], checkpoints[2]] as SignedCheckpoint[]);

    // Assess
    expect(report.ok).toBe(false);
    expect(report.checkpoints.problems).toEqual([{ seq: 3, detail: 'checkpoint 2 is missing' }]);
  });

  it('reports the first checkpoint missing', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();

    // Act
    const report = await verify(table, checkpoints.slice(1));

    // Assess
    expect(report.checkpoints.problems).toEqual([{ seq: 2, detail: 'checkpoint 1 is missing' }]);
  });

  it('verifies a table with no checkpoints yet as ok, every chain newer', async () => {
    // Prepare
    const { table } = intactHistory();

    // Act
    const report = await verify(table, []);

    // Assess
    expect(report).toMatchObject({
      ok: true,
      checkpoints: { count: 0, latest: null, sound: true },
      counts: { newer: 3, total: 3 },
    });
  });

  it('judges a chain against the last checkpoint whose signature holds, not a forged one after it', async () => {
    // Prepare
    const { table } = intactHistory();
    const events = eventsOf(table, ticketA);
    const [first, second] = checkpointsOver(
      [headOf(ticketA, events.slice(0, 2))],
      [headOf(ticketA, events), headOf(ticketB, eventsOf(table, ticketB))],
    ) as [SignedCheckpoint, SignedCheckpoint];
    const forged = signWith(second.checkpoint, keyPair().privateKey);

    // Act
    const report = await verify(table, [first, forged]);

    // Assess
    expect(report.findings).toEqual([
      expect.objectContaining({
        chain: ticketA,
        status: 'newer',
        detail: '1 events after the last checkpoint',
      }),
      expect.objectContaining({ chain: ticketB, status: 'newer', detail: 'not checkpointed yet' }),
      expect.objectContaining({ chain: grantG, status: 'newer', detail: 'not checkpointed yet' }),
    ]);
  });

  it('reports deleted chains in the order they were first checkpointed', async () => {
    // Prepare
    const { table } = intactHistory();
    const checkpoints = checkpointsOver(
      [headOf(ticketB, eventsOf(table, ticketB)), headOf(grantG, eventsOf(table, grantG))],
      [headOf(ticketA, eventsOf(table, ticketA))],
      [headOf(grantG, eventsOf(table, grantG))],
    );

    // Act
    const report = await verify(new Map(), checkpoints);

    // Assess
    expect(report.findings.map((finding) => [finding.chain, finding.status])).toEqual([
      [grantG, 'deleted'],
      [ticketB, 'deleted'],
      [ticketA, 'deleted'],
    ]);
  });

  it('keeps the tampered findings first, and counts those left out, when a stored copy is shortened', async () => {
    // Prepare
    const { table, checkpoints } = intactHistory();
    table.set(chainId('ticket', '01JTICKETC'), chainOf(1));
    table.set(chainId('ticket', '01JTICKETD'), chainOf(1));
    table.delete(grantG);
    const report = await verify(table, checkpoints);

    // Act
    const stored = abridged(report, 2);

    // Assess
    expect(stored.findings.map((finding) => finding.status)).toEqual(['deleted', 'newer']);
    expect(stored.findingsLeftOut).toBe(1);
    expect(stored.counts).toEqual(report.counts);
  });
});
