import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryCursor, HistoryPage, Period, TicketHistory } from '../../app/ports';
import type { Status } from '../../domain/lifecycle';
import type { Ticket } from '../../domain/ticket';
import { batchGet, withoutKeys } from './client';
import { idsSubmitted, keyAttributesOf, keys, partitionQuery, startAfter } from './table';

/**
 * The statuses in the order history reads them: the reverse of the lifecycle, which only moves
 * forward. A ticket that changes status while a reading goes on moves into a partition read
 * already, so no reading meets it twice; the tickets it misses so are the period's count less
 * those it read (domain/policy/simulation.ts `finishTally`).
 */
export const READING_ORDER: readonly Status[] = [
  'closed',
  'revoking',
  'active',
  'fulfilling',
  'pending_approval',
  'submitted',
];

/** What a reading of history needs of a ticket: never the timeline, which is most of its size. */
const READ_ATTRIBUTES = ['id', 'type', 'status', 'decision', 'approvals', 'duration', 'createdAt'] as const;

/** Count queries one reading may send before it gives up (each counts up to 1 MB of index entries). */
const MAX_COUNT_QUERIES = 200;

/**
 * Tickets submitted in a period (table.ts, "tickets submitted in a period"): the status partitions
 * of gsi3, each over the range of ids the period's ULIDs fall in, oldest first.
 */
export class DynamoTicketHistory implements TicketHistory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async count(period: Period): Promise<number | null> {
    let total = 0;
    let queries = 0;
    for (const status of READING_ORDER) {
      let startKey: Record<string, unknown> | undefined;
      do {
        if (queries++ >= MAX_COUNT_QUERIES) return null;
        const page = await this.db.send(
          new QueryCommand({
            ...this.rangeQuery(status, period),
            Select: 'COUNT',
            ExclusiveStartKey: startKey,
          }),
        );
        total += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return total;
  }

  page(period: Period, cursor: HistoryCursor | null, limit: number): Promise<HistoryPage> {
    return this.read(period, cursor, limit, READ_ATTRIBUTES);
  }

  wholePage(
    period: Period,
    cursor: HistoryCursor | null,
    limit: number,
  ): Promise<HistoryPage<Ticket | undefined>> {
    return this.read(period, cursor, limit);
  }

  /** One page, each ticket read with these attributes only, or whole. */
  private async read<T>(
    period: Period,
    cursor: HistoryCursor | null,
    limit: number,
    attributes?: readonly string[],
  ): Promise<HistoryPage<T | undefined>> {
    let at: HistoryCursor = cursor ?? { partition: 0, after: null };
    // Empty partitions are passed over in the same call, so each page holds tickets until the end.
    while (at.partition < READING_ORDER.length) {
      const status = READING_ORDER[at.partition] as Status;
      const found = await this.db.send(
        new QueryCommand({
          ...this.rangeQuery(status, period),
          Limit: limit,
          ...(at.after
            ? { ExclusiveStartKey: startAfter('status', status, at.after, keys.ticketId(at.after)) }
            : {}),
        }),
      );
      const { sortKey } = keyAttributesOf('status');
      const ids = (found.Items ?? []).map((entry) => String(entry[sortKey]));
      const last = ids.at(-1);
      const next: HistoryCursor | null =
        found.LastEvaluatedKey && last
          ? { partition: at.partition, after: last }
          : at.partition + 1 < READING_ORDER.length
            ? { partition: at.partition + 1, after: null }
            : null;
      if (ids.length > 0) return { entries: await this.entries<T>(ids, status, attributes), next };
      if (!next) break;
      at = next;
    }
    return { entries: [], next: null };
  }

  /** The tickets as they are now (a consistent read: an index may lag behind its table). */
  private async entries<T>(
    ids: string[],
    listedAs: Status,
    attributes: readonly string[] | undefined,
  ): Promise<HistoryPage<T | undefined>['entries']> {
    const items = await batchGet(
      this.db,
      this.tableName,
      ids.map((id) => keys.ticketId(id)),
      { ...(attributes ? { attributes } : {}), consistent: true },
    );
    const tickets = new Map(items.map((item) => [String(item.id), withoutKeys<T>(item)]));
    return ids.map((id) => ({ id, listedAs, ticket: tickets.get(id) }));
  }

  private rangeQuery(status: Status, period: Period) {
    const { low, high } = idsSubmitted(period);
    return {
      TableName: this.tableName,
      ...partitionQuery('status', status, { op: 'between', low, high }),
    };
  }
}
