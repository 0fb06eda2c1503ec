import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { keys } from '../../functions/adapters/dynamodb/table';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { ConcurrentUpdateError, TicketExistsError } from '../../functions/app/errors';
import { updateTicket } from '../../functions/app/ticket-updates';
import { applyChange, type Ticket, ticketNumber } from '../../functions/domain/ticket';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from '../../functions/local/dynamodb';
import { chainProblems, GENESIS } from '../support/chain';
import { submittedTicket } from '../support/ticket-factory';

/** One event on the ticket, by one writer: what each concurrent writer adds. */
const note = (ticket: Ticket, writer: string): Ticket =>
  applyChange(ticket, { type: 'commented', at: new Date().toISOString(), actor: writer, data: { writer } });

describe('the ticket store on dynalite', () => {
  let dataDir: string;
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
  let client: DynamoDBClient;
  let store: DynamoTicketStore;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-store-'));
    dynamo = await startLocalDynamo({ dataDir, store: 'memory', port: 0 });
    client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: localCredentials });
    store = new DynamoTicketStore(createDocumentClient(client), LOCAL_TABLE_NAME);
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const stored = async (id: string): Promise<Ticket> => {
    const ticket = await store.get(id);
    if (!ticket) throw new Error(`ticket ${id} is not stored`);
    return ticket;
  };

  it('lets exactly one of 20 parallel saves from the same read version win; the others get ConcurrentUpdateError', async () => {
    // Prepare
    const original = submittedTicket();
    await store.create(original);
    const read = await stored(original.id);

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => store.save(note(read, `writer-${index}`), read.version)),
    );

    // Assess
    const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ConcurrentUpdateError);
    }
    const after = await stored(original.id);
    expect(after.version).toBe(read.version + 1);
    expect(after.timeline).toHaveLength(read.timeline.length + 1);
    expect(after.timeline.at(-1)?.actor).toBe(`writer-${winners[0]}`);
    expect(chainProblems(after.timeline)).toEqual([]);
  });

  it('loses no update when 10 writers retry read-modify-save in parallel', async () => {
    // Prepare
    const original = submittedTicket();
    await store.create(original);
    const writers = Array.from({ length: 10 }, (_, index) => `writer-${index}`);

    // Act: each lost race is another writer's win, so as many attempts as writers always suffice.
    const results = await Promise.allSettled(
      writers.map((writer) =>
        updateTicket(store, original.id, (ticket) => note(ticket, writer), writers.length),
      ),
    );

    // Assess
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const after = await stored(original.id);
    expect(after.version).toBe(original.version + writers.length);
    const actors = after.timeline.slice(1).map((event) => event.actor);
    expect([...actors].sort()).toEqual([...writers].sort());
    expect(after.timeline.map((event) => event.seq)).toEqual(after.timeline.map((_, index) => index + 1));
    expect(chainProblems(after.timeline)).toEqual([]);
  });

  it('keeps the hash chain valid across saves, from 64 zeros on', async () => {
    // Prepare
    const original = submittedTicket();
    await store.create(original);

    // Act
    let ticket = await stored(original.id);
    for (const [index, to] of (['pending_approval', 'fulfilling', 'active'] as const).entries()) {
      const next = applyChange(ticket, {
        type: `step-${index}`,
        at: new Date().toISOString(),
        actor: 'tollgate',
        reason: `moving to ${to}`,
        to,
        data: { step: index, nested: { list: [3, 1, 2], unicode: 'é€😀' } },
      });
      await store.save(next, ticket.version);
      ticket = await stored(original.id);
    }

    // Assess
    expect(ticket.status).toBe('active');
    expect(ticket.timeline).toHaveLength(4);
    expect(ticket.timeline[0]?.prev).toBe(GENESIS);
    expect(chainProblems(ticket.timeline)).toEqual([]);
  });

  it('refuses a save from a stale version and keeps what was stored', async () => {
    // Prepare
    const original = submittedTicket();
    await store.create(original);
    const stale = await stored(original.id);
    await store.save(note(stale, 'first'), stale.version);
    const current = await stored(original.id);

    // Act
    const attempt = store.save(note(stale, 'late'), stale.version);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect(await stored(original.id)).toEqual(current);
  });

  it('refuses to save a ticket that was never created', async () => {
    // Prepare
    const ghost = submittedTicket();

    // Act
    const attempt = store.save(note(ghost, 'writer'), ghost.version);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect(await store.get(ghost.id)).toBeUndefined();
  });

  it('refuses to create a ticket whose id is taken, keeping the first', async () => {
    // Prepare
    const first = submittedTicket();
    await store.create(first);

    // Act
    const attempt = store.create({
      ...submittedTicket(),
      id: first.id,
      justification: 'A second ticket, same id',
    });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TicketExistsError);
    expect(await stored(first.id)).toEqual(first);
  });

  it('finds a ticket by the number it carries', async () => {
    // Prepare
    const ticket = submittedTicket();
    await store.create(ticket);

    // Act
    const found = await store.getByNumber(ticketNumber.parse(ticket.number) as number);

    // Assess
    expect(found).toEqual(ticket);
  });

  it('finds nothing by the number of a ticket that was never stored', async () => {
    // Prepare: the number's item is written before its ticket, and the ticket write never came.
    const allocated = await store.allocateNumber();
    await createDocumentClient(client).send(
      new PutCommand({
        TableName: LOCAL_TABLE_NAME,
        Item: { ...keys.ticketNumber(allocated), ticketId: submittedTicket().id },
      }),
    );

    // Act
    const found = await store.getByNumber(allocated);

    // Assess
    expect(found).toBeUndefined();
  });

  it('keeps the first number of a ticket stored twice at once, the second finding nothing', async () => {
    // Prepare: two attempts at one ticket, each with the number it allocated.
    const first = submittedTicket();
    await store.create(first);
    const second = await store.allocateNumber();

    // Act
    const attempt = store.create({ ...first, number: ticketNumber.format(second) });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TicketExistsError);
    expect(await store.getByNumber(second)).toBeUndefined();
    expect(await store.getByNumber(ticketNumber.parse(first.number) as number)).toEqual(first);
  });

  it('allocates each number once to allocations made at the same time', async () => {
    // Act
    const numbers = await Promise.all(Array.from({ length: 20 }, () => store.allocateNumber()));

    // Assess
    expect(new Set(numbers).size).toBe(20);
    expect(Math.max(...numbers) - Math.min(...numbers)).toBe(19);
  });

  it('lists a saved ticket under its new status only', async () => {
    // Prepare
    const original = submittedTicket({
      requester: 'status-check@example.com',
      beneficiary: 'status-check@example.com',
    });
    await store.create(original);

    // Act
    await store.save(
      applyChange(original, {
        type: 'routed',
        at: new Date().toISOString(),
        actor: 'tollgate',
        to: 'pending_approval',
      }),
      original.version,
    );
    const [pending, submitted] = await Promise.all([
      store.list({ partitions: [{ by: 'status', value: 'pending_approval' }], limit: 100 }),
      store.list({ partitions: [{ by: 'status', value: 'submitted' }], limit: 100 }),
    ]);

    // Assess
    expect(pending.items.map((item) => item.id)).toContain(original.id);
    expect(submitted.items.map((item) => item.id)).not.toContain(original.id);
  });
});
