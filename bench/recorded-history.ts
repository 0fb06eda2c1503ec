import { performance } from 'node:perf_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CompiledPolicySet } from '../functions/adapters/cedar/engine';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { DynamoSnapshotStore } from '../functions/adapters/dynamodb/policy-store';
import { DynamoTicketStore } from '../functions/adapters/dynamodb/ticket-store';
import type { PolicySnapshot } from '../functions/app/ports';
import type { Status } from '../functions/domain/lifecycle';
import type { Outcome } from '../functions/domain/policy/simulation';
import type { Ticket } from '../functions/domain/ticket';
import { LOCAL_TABLE_NAME } from '../functions/local/dynamodb';
import { HistoryScript } from '../functions/local/history-script';
import { inParallel } from './grants';
import { localDynamoClient } from './local-system';
import { round } from './measure';
import type { Progress } from './progress';

/** Access tickets spread over the last `days` (inside a simulation's default 90-day period), and the writes in flight while recording them. */
export const HISTORY = { tickets: 10_000, days: 60, writesInFlight: 16 };

export interface RecordedHistory {
  tickets: number;
  /** Distinct policy inputs among them: tickets asking the same thing in the same circumstances share one. */
  snapshots: number;
  /** The policy set version that decided them: the live one of a fresh local system. */
  version: string;
  /**
   * Tickets by the outcome recorded at intake (policy's, or auto_rejected where routing found nobody eligible to
   * approve or fulfil), and by where they stand now.
   */
  outcomes: Record<Outcome, number>;
  statuses: Partial<Record<Status, number>>;
  /** Seconds to script them in this process, and to write them to the store. */
  scriptSeconds: number;
  writeSeconds: number;
}

/** Tickets as scripted, in the order they were filed, with the policy inputs that decided them. */
export interface ScriptedHistory {
  tickets: Ticket[];
  /** Distinct policy inputs, each as its first decision recorded it (the one the store keeps). */
  snapshots: PolicySnapshot[];
  scriptSeconds: number;
}

/**
 * Scripts `count` access tickets as if the local system had taken them over the last `HISTORY.days`, without
 * going through intake one by one (that would take many minutes): each with the project's own domain code, as
 * intake and the workflow would have written it. The demo directory and catalog and the baseline policies
 * decide every ticket; people answer after minutes or hours, approve most, deny some, let some time out, and the
 * most recent still wait. Progress goes to the bench part `part`.
 */
export async function scriptHistory(
  baseline: CompiledPolicySet,
  count: number,
  progress: Progress,
  part: string,
): Promise<ScriptedHistory> {
  const scriptStart = performance.now();
  const script = await HistoryScript.create(baseline, Date.now());
  const tickets: Ticket[] = [];
  const snapshots = new Map<string, PolicySnapshot>();
  for (const createdAt of script.submissionTimes(count, HISTORY.days)) {
    const { ticket, snapshot } = await script.ticketAt(createdAt);
    tickets.push(ticket);
    // The first decision on these inputs is the one the store keeps.
    if (!snapshots.has(snapshot.hash)) snapshots.set(snapshot.hash, snapshot);
    progress.update(part, tickets.length, count, 'tickets scripted');
  }
  return {
    tickets,
    snapshots: [...snapshots.values()],
    scriptSeconds: (performance.now() - scriptStart) / 1000,
  };
}

/**
 * Records `HISTORY.tickets` scripted tickets (scriptHistory) on the local system, written with the store's own
 * adapters. What the simulation does not read is left out: no grants, links, tasks, inbox or viewer items.
 */
export async function recordHistory(
  dynamodbUrl: string,
  baseline: CompiledPolicySet,
  progress: Progress,
): Promise<RecordedHistory> {
  const { tickets, snapshots, scriptSeconds } = await scriptHistory(
    baseline,
    HISTORY.tickets,
    progress,
    'simulation',
  );
  const writeStart = performance.now();
  const total = snapshots.length + tickets.length;
  let written = 0;
  await withStores(dynamodbUrl, async ({ snapshotStore, ticketStore }) => {
    const wrote = () => progress.update('simulation', ++written, total, 'snapshots and tickets written');
    // Snapshots first, as intake writes a ticket's snapshot before the ticket that names it.
    await inParallel(snapshots, HISTORY.writesInFlight, async (snapshot) => {
      await snapshotStore.put(snapshot);
      wrote();
    });
    await inParallel(tickets, HISTORY.writesInFlight, async (ticket) => {
      await ticketStore.create(ticket);
      wrote();
    });
  });
  const writeSeconds = (performance.now() - writeStart) / 1000;
  progress.finish(
    `simulation: ${tickets.length} tickets with ${snapshots.length} distinct policy inputs recorded ` +
      `(scripted in ${round(scriptSeconds)} s, written in ${round(writeSeconds)} s)`,
  );
  return {
    tickets: tickets.length,
    snapshots: snapshots.length,
    version: baseline.version,
    // Every access ticket carries the decision that routed it.
    outcomes: countBy(tickets, (ticket) => (ticket.decision as NonNullable<Ticket['decision']>).outcome, {
      auto_approved: 0,
      approval_required: 0,
      auto_rejected: 0,
    }),
    statuses: countBy(tickets, (ticket) => ticket.status, {}),
    scriptSeconds: round(scriptSeconds),
    writeSeconds: round(writeSeconds),
  };
}

export interface HistoryStores {
  db: DynamoDBDocumentClient;
  snapshotStore: DynamoSnapshotStore;
  ticketStore: DynamoTicketStore;
}

/** The store's own adapters on the local system's DynamoDB, with `HISTORY.writesInFlight` connections kept alive. */
export async function withStores<T>(
  dynamodbUrl: string,
  work: (stores: HistoryStores) => Promise<T>,
): Promise<T> {
  const client = localDynamoClient(dynamodbUrl, HISTORY.writesInFlight);
  try {
    const db = createDocumentClient(client);
    return await work({
      db,
      snapshotStore: new DynamoSnapshotStore(db, LOCAL_TABLE_NAME),
      ticketStore: new DynamoTicketStore(db, LOCAL_TABLE_NAME),
    });
  } finally {
    client.destroy();
  }
}

function countBy<T, K extends string>(
  items: readonly T[],
  key: (item: T) => K,
  initial: Partial<Record<K, number>>,
): Record<K, number> {
  const counts = { ...initial } as Record<K, number>;
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
