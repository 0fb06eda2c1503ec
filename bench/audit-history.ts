import { performance } from 'node:perf_hooks';
import { monotonicFactory } from 'ulid';
import { batchPut } from '../functions/adapters/dynamodb/client';
import { keys } from '../functions/adapters/dynamodb/table';
import { DynamoGrantStore } from '../functions/adapters/dynamodb/workflow-records';
import { type Grant, grantFrom } from '../functions/domain/grants';
import { isOpen, type Status } from '../functions/domain/lifecycle';
import type { Ticket } from '../functions/domain/ticket';
import { appendEvent, findBrokenLink, type TimelineEvent } from '../functions/domain/timeline';
import { LOCAL_TABLE_NAME } from '../functions/local/dynamodb';
import { inParallel } from './grants';
import { round } from './measure';
import type { Progress } from './progress';
import { HISTORY, type ScriptedHistory, withStores } from './recorded-history';

/**
 * Tickets go in BatchWriteItem requests (25 items, DynamoDB's most), a few in flight: a 100,000-ticket history
 * takes some 30% less time than one PutItem per ticket, on a busy two-core machine.
 */
const BATCH = 25;
const WRITES_IN_FLIGHT = 4;
/**
 * Grants whose revocation or expiry notice falls due before this long after seeding are left out: the history
 * never played their revocation, so the system's own sweep would start thousands of them during the measurement.
 */
const SCHEDULES_CLEAR_MS = 6 * 3_600_000;

export interface AuditHistory {
  /** Tickets written, and how many of them are copies of scripted ones under fresh ids. */
  tickets: number;
  copies: number;
  /** Tickets scripted, and those of them left out for still waiting (see seedAuditHistory). */
  scripted: number;
  inFlightLeftOut: number;
  /** Grant items written, and those left out for falling due during the run. */
  grants: number;
  grantsLeftOut: number;
  snapshots: number;
  statuses: Partial<Record<Status, number>>;
  writeSeconds: number;
}

/**
 * Writes `count` access tickets to the local system's store from a scripted history (recorded-history.ts), with
 * the store's own adapters and keys: the policy snapshots, each ticket (as the ticket store writes it, but in
 * batches), and the grant item its fulfilment left.
 * The scripted tickets still waiting (a few percent, the most recent) are left out: they have no execution, so
 * the reconcile schedule would close them as failed in the middle of a measurement. Beyond the scripted ones the
 * tickets are copies under fresh ULIDs made at the same instant, so they fall in the same period; a ticket's
 * chain does not hold its id, but a grant's id does (`G{ticket id}`), so a copy's timeline is chained again, and
 * every copy is checked with findBrokenLink before it is written.
 */
export async function seedAuditHistory(
  dynamodbUrl: string,
  history: ScriptedHistory,
  count: number,
  progress: Progress,
  part: string,
): Promise<AuditHistory> {
  const settled = history.tickets.filter((ticket) => !isOpen(ticket.status));
  // Those the written tickets name: a copy names its original's.
  const named = new Set(settled.slice(0, count).map((ticket) => ticket.decision?.inputs));
  const snapshots = history.snapshots.filter((snapshot) => named.has(snapshot.hash));
  const nextId = monotonicFactory();
  const clearUntil = Date.now() + SCHEDULES_CLEAR_MS;
  const statuses: Partial<Record<Status, number>> = {};
  let grants = 0;
  let grantsLeftOut = 0;
  let written = 0;

  const writeStart = performance.now();
  await withStores(dynamodbUrl, async ({ db, snapshotStore }) => {
    const grantStore = new DynamoGrantStore(db, LOCAL_TABLE_NAME);
    // Snapshots first, as intake writes a ticket's snapshot before the ticket that names it.
    await inParallel(snapshots, HISTORY.writesInFlight, (snapshot) => snapshotStore.put(snapshot));
    const batches = Array.from({ length: Math.ceil(count / BATCH) }, (_, batch) => batch);
    await inParallel(batches, WRITES_IN_FLIGHT, async (batch) => {
      const tickets = Array.from({ length: Math.min(BATCH, count - batch * BATCH) }, (_, offset) => {
        const index = batch * BATCH + offset;
        const original = settled[index % settled.length] as Ticket;
        return index < settled.length ? original : reissued(original, nextId(Date.parse(original.createdAt)));
      });
      await batchPut(
        db,
        LOCAL_TABLE_NAME,
        tickets.map((ticket) => ({ ...keys.ticket(ticket), ...ticket })),
      );
      for (const ticket of tickets) {
        statuses[ticket.status] = (statuses[ticket.status] ?? 0) + 1;
        const grant = grantFrom(ticket);
        if (grant && !fallsDueBefore(grant, clearUntil)) {
          await grantStore.put(grant);
          grants++;
        } else if (grant) grantsLeftOut++;
      }
      written += tickets.length;
      progress.update(part, written, count, 'tickets and their grants written');
    });
  });
  return {
    tickets: count,
    copies: Math.max(0, count - settled.length),
    scripted: history.tickets.length,
    inFlightLeftOut: history.tickets.length - settled.length,
    grants,
    grantsLeftOut,
    snapshots: snapshots.length,
    statuses,
    writeSeconds: round((performance.now() - writeStart) / 1000),
  };
}

/**
 * The ticket under another id. Only a granted ticket's chain names its id (its grant's): that chain is sealed
 * again; any other is kept as it was, and findBrokenLink checks that it still holds.
 */
function reissued(ticket: Ticket, id: string): Ticket {
  const copy = JSON.parse(JSON.stringify(ticket).replaceAll(ticket.id, id)) as Ticket;
  const timeline = JSON.stringify(ticket.timeline).includes(ticket.id)
    ? copy.timeline.reduce<TimelineEvent[]>(
        (chain, { seq, prev, hash, ...event }) => appendEvent(chain, event),
        [],
      )
    : copy.timeline;
  const broken = findBrokenLink(timeline);
  if (broken !== null)
    throw new Error(`The copy ${id} of ticket ${ticket.id} breaks its chain at event ${broken}`);
  return { ...copy, timeline };
}

function fallsDueBefore(grant: Grant, instant: number): boolean {
  return [grant.revocationDueAt, grant.noticeDueAt].some((due) => due !== null && Date.parse(due) < instant);
}
