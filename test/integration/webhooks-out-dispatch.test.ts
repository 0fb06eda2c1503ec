import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HmacCursorCodec } from '../../functions/adapters/cursor-codec';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoDeliveryStore } from '../../functions/adapters/dynamodb/delivery-store';
import { keys } from '../../functions/adapters/dynamodb/table';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import { SubscriberSender } from '../../functions/adapters/webhook-sender';
import {
  ATTEMPT_LEASE_MS,
  type DispatchDeps,
  dispatchTicketEvents,
  listDeliveries,
  runDispatcher,
} from '../../functions/app/outbound';
import type { Identity } from '../../functions/domain/directory';
import { claimAttempt, deliveriesOf, type Subscriber } from '../../functions/domain/outbound/deliveries';
import { createdEvents } from '../../functions/domain/outbound/events';
import { applyChange, type Ticket } from '../../functions/domain/ticket';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from '../../functions/local/dynamodb';
import { newWebhookSecret } from '../../functions/local/secretsmanager';
import { submittedTicket } from '../support/ticket-factory';
import { startSubscriber } from '../support/webhooks';

/**
 * The dispatcher's use cases on the real store (dynalite) and the real sender (HTTP, signed), with
 * a clock of the test's own, so hours and leases pass when the test says. The secrets port answers
 * one secret: reading Secrets Manager is the adapter's business, tested with the local endpoint.
 */
describe('the outbound dispatcher on dynalite', () => {
  const secret = newWebhookSecret();
  let dataDir: string;
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
  let client: DynamoDBClient;
  let subscriber: Awaited<ReturnType<typeof startSubscriber>>;
  let tickets: DynamoTicketStore;
  let deliveries: DynamoDeliveryStore;
  let now: Date;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-outbound-'));
    dynamo = await startLocalDynamo({ dataDir, store: 'memory', port: 0 });
    client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: localCredentials });
    tickets = new DynamoTicketStore(createDocumentClient(client), LOCAL_TABLE_NAME);
    deliveries = new DynamoDeliveryStore(createDocumentClient(client), LOCAL_TABLE_NAME);
    subscriber = await startSubscriber(() => secret);
  });

  afterAll(async () => {
    await subscriber?.close();
    client?.destroy();
    await dynamo?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    // Each test starts the sweep afresh, at the hour of its own first run.
    await createDocumentClient(client).send(
      new DeleteCommand({ TableName: LOCAL_TABLE_NAME, Key: keys.outboundSweep() }),
    );
    subscriber.up();
    subscriber.attempts.length = 0;
    subscriber.received.length = 0;
  });

  const subscribed = (): Subscriber => ({
    name: 'siem',
    url: subscriber.url,
    events: ['ticket.created', 'ticket.closed'],
  });
  const deps = (overrides: Partial<DispatchDeps> = {}): DispatchDeps => ({
    clock: { now: () => now },
    tickets,
    deliveries,
    sender: new SubscriberSender({ secretsOf: async () => [secret] }, { allowInternalTargets: true }),
    random: () => 0.5,
    log: () => {},
    settings: { subscribers: [subscribed()], timeScale: 1 },
    ...overrides,
  });

  /** A ticket stored with its ticket.created, at `at`, and no request to deliver it: a writer stopped right after its write. */
  async function storedWithoutDispatch(at: Date): Promise<Ticket> {
    const ticket = submittedTicket({ createdAt: at.toISOString(), updatedAt: at.toISOString() });
    const withEvent = { ...ticket, outbox: createdEvents(ticket) };
    await tickets.create(withEvent);
    return withEvent;
  }

  /** `count` tickets' ticket.created, each with its delivery due now. */
  async function dueDeliveries(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const ticket = await storedWithoutDispatch(now);
      const [created] = ticket.outbox ?? [];
      if (!created) throw new Error('the ticket carries no ticket.created');
      for (const delivery of deliveriesOf(created, ticket.id, [subscribed()], now)) {
        expect(await deliveries.create(delivery)).toBe(true);
        ids.push(delivery.id);
      }
    }
    return ids;
  }

  it('sends each attempt once when two dispatchers run at once', async () => {
    // Prepare
    now = new Date('2026-04-01T10:00:00.000Z');
    const ids = await dueDeliveries(30);

    // Act
    const [first, second] = await Promise.all([runDispatcher(deps()), runDispatcher(deps())]);

    // Assess
    expect(first.attempted + second.attempted).toBe(30);
    const sent = subscriber.attempts.map((attempt) => attempt.id).sort();
    expect(sent).toEqual(ids.map((id) => id.replace(/\.siem$/, '')).sort());
    const stored = await Promise.all(ids.map((id) => deliveries.get(id)));
    expect(stored.every((delivery) => delivery?.status === 'delivered' && delivery.attempts === 1)).toBe(
      true,
    );
    expect(subscriber.received.every((event) => event.verified)).toBe(true);
  });

  it('counts one failed attempt per delivery when two dispatchers meet a subscriber that is down, and retries after the backoff', async () => {
    // Prepare
    now = new Date('2026-04-02T10:00:00.000Z');
    subscriber.down();
    const ids = await dueDeliveries(10);

    // Act
    await Promise.all([runDispatcher(deps()), runDispatcher(deps())]);
    const soon = await runDispatcher(deps());
    now = new Date(now.getTime() + 36_000);
    subscriber.up();
    const later = await runDispatcher(deps());

    // Assess
    expect(subscriber.attempts.filter((attempt) => !attempt.up)).toHaveLength(10);
    expect(soon.attempted).toBe(0);
    expect(later).toMatchObject({ attempted: 10, delivered: 10 });
    const stored = await Promise.all(ids.map((id) => deliveries.get(id)));
    expect(stored.map((delivery) => delivery?.attempts)).toEqual(ids.map(() => 2));
  });

  it('tries again an attempt whose dispatcher stopped before recording it, once its lease is over', async () => {
    // Prepare: an attempt claimed, its dispatcher gone
    now = new Date('2026-04-03T10:00:00.000Z');
    const [id] = await dueDeliveries(1);
    const read = await deliveries.get(id ?? '');
    if (!read) throw new Error('no delivery');
    expect(await deliveries.replace(read, claimAttempt(read, now, ATTEMPT_LEASE_MS))).toBe(true);

    // Act
    const during = await runDispatcher(deps());
    now = new Date(now.getTime() + ATTEMPT_LEASE_MS);
    const after = await runDispatcher(deps());

    // Assess
    expect(during.attempted).toBe(0);
    expect(after).toMatchObject({ attempted: 1, delivered: 1 });
    expect(await deliveries.get(id ?? '')).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('delivers what a write committed but never handed over, once the hour of its change is swept', async () => {
    // Prepare: the sweep starts in this hour; a ticket is stored, its events never handed to a dispatcher
    now = new Date('2026-04-04T10:00:00.000Z');
    await runDispatcher(deps());
    now = new Date('2026-04-04T10:20:00.000Z');
    const ticket = await storedWithoutDispatch(now);

    // Act
    const sameHour = await runDispatcher(deps());
    now = new Date('2026-04-04T11:04:00.000Z');
    const tooSoon = await runDispatcher(deps());
    now = new Date('2026-04-04T11:06:00.000Z');
    const swept = await runDispatcher(deps());
    const again = await runDispatcher(deps());

    // Assess
    expect(sameHour.derived).toBe(0);
    expect(tooSoon.derived).toBe(0);
    expect(swept).toMatchObject({ derived: 1, attempted: 1, delivered: 1 });
    expect(again).toMatchObject({ derived: 0, attempted: 0 });
    expect(subscriber.received.map((event) => [event.id, event.body.type])).toEqual([
      [`${ticket.id}.1.0`, 'ticket.created'],
    ]);
  });

  it('lists one status newest first, page by page, each cursor good for its own status only', async () => {
    // Prepare: five failed deliveries, a second apart
    const cursors = new HmacCursorCodec('a signing secret of at least thirty-two characters');
    const admin = { id: 'ivan@x.com', roles: ['admin'] } as unknown as Identity;
    const failed: string[] = [];
    for (let i = 0; i < 5; i++) {
      now = new Date(Date.parse('2026-04-06T10:00:00.000Z') + i * 1000);
      const [id] = await dueDeliveries(1);
      const read = await deliveries.get(id ?? '');
      if (!read) throw new Error('no delivery');
      expect(
        await deliveries.replace(read, { ...read, status: 'failed', nextAttemptAt: null, revision: 1 }),
      ).toBe(true);
      failed.unshift(id ?? '');
    }

    // Act
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await listDeliveries({ deliveries, cursors }, admin, {
        status: 'failed',
        limit: 2,
        cursor,
      });
      pages.push(page.items.map((delivery) => delivery.id));
      cursor = page.next ?? undefined;
    } while (cursor);
    const first = await listDeliveries({ deliveries, cursors }, admin, { status: 'failed', limit: 2 });
    const crossed = listDeliveries({ deliveries, cursors }, admin, {
      status: 'pending',
      limit: 2,
      cursor: first.next ?? '',
    });

    // Assess
    expect(pages.flat().filter((id) => failed.includes(id))).toEqual(failed);
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    await expect(crossed).rejects.toThrow('The cursor does not belong to this query');
  });

  it('finds in the later hour an event whose ticket changed again before its hour was swept', async () => {
    // Prepare: the ticket is created (not handed over) in one hour and closed in the next
    now = new Date('2026-04-05T10:00:00.000Z');
    await runDispatcher(deps());
    const ticket = await storedWithoutDispatch(new Date('2026-04-05T10:30:00.000Z'));
    now = new Date('2026-04-05T11:02:00.000Z');
    const closed = applyChange(ticket, {
      type: 'cancelled',
      at: now.toISOString(),
      actor: ticket.requester,
      to: 'closed',
      closure: 'cancelled',
    });
    await tickets.save(closed, ticket.version);

    // Act: the close is handed over; the hour before is swept, then this one
    await dispatchTicketEvents(deps(), { ticket: ticket.id, events: [`${ticket.id}.2.0`] });
    now = new Date('2026-04-05T11:06:00.000Z');
    const firstHour = await runDispatcher(deps());
    now = new Date('2026-04-05T12:06:00.000Z');
    const secondHour = await runDispatcher(deps());

    // Assess
    expect(firstHour.derived).toBe(0);
    expect(secondHour.derived).toBe(1);
    expect(subscriber.received.map((event) => event.body.type).sort()).toEqual([
      'ticket.closed',
      'ticket.created',
    ]);
  });
});
