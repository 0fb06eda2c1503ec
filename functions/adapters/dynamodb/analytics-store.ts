import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AnalyticsSource, AnalyticsStore, StoredReport } from '../../app/ports';
import type { DayRollup } from '../../domain/analytics/rollup';
import type { Ticket } from '../../domain/ticket';
import { batchGet, withoutKeys } from './client';
import { keyAttributesOf, keys, partitionQuery } from './table';

/** Index entries a page reads: BatchGetItem's most, so each page is one Query and one BatchGetItem. */
const PAGE = 100;

/** A day's resolved tickets and feedback (table.ts, "a period's resolved tickets, a day at a time"). */
export class DynamoAnalyticsSource implements AnalyticsSource {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  resolvedOn(day: string): AsyncIterable<Ticket[]> {
    return this.ticketsIn('resolved', day);
  }

  feedbackOn(day: string): AsyncIterable<Ticket[]> {
    return this.ticketsIn('feedback', day);
  }

  private async *ticketsIn(partition: 'resolved' | 'feedback', day: string): AsyncIterable<Ticket[]> {
    const { sortKey } = keyAttributesOf(partition);
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          ...partitionQuery(partition, day),
          Limit: PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      const ids = (page.Items ?? []).map((entry) => String(entry[sortKey]));
      startKey = page.LastEvaluatedKey;
      if (ids.length === 0) continue;
      const items = await batchGet(
        this.db,
        this.tableName,
        ids.map((id) => keys.ticketId(id)),
        { consistent: true },
      );
      yield items.map((item) => withoutKeys<Ticket>(item));
    } while (startKey);
  }
}

/**
 * Rollups and reports, each item holding its JSON as one string: read and written whole, never
 * queried inside, and free of DynamoDB's rules on map keys (a department may be any text).
 */
export class DynamoAnalyticsStore implements AnalyticsStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putRollup(rollup: DayRollup): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.rollup(rollup.day), json: JSON.stringify(rollup) },
      }),
    );
  }

  async *rollups(from: string, to: string): AsyncIterable<DayRollup> {
    for await (const item of this.rollupItems(from, to)) yield JSON.parse(String(item.json)) as DayRollup;
  }

  async rolledUpDays(from: string, to: string): Promise<Set<string>> {
    const { sortKey } = keyAttributesOf('rollups');
    const days = new Set<string>();
    // The sort key, which the query names #sk, is the day.
    for await (const item of this.rollupItems(from, to, '#sk')) days.add(String(item[sortKey]));
    return days;
  }

  /** The items of the days' rollups, whole or projected to `projection`, page after page. */
  private async *rollupItems(from: string, to: string, projection?: string) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          ...partitionQuery('rollups', '', { op: 'between', low: from, high: to }),
          ...(projection ? { ProjectionExpression: projection } : {}),
          ExclusiveStartKey: startKey,
        }),
      );
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async putReport(stored: StoredReport): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.report(stored.id), json: JSON.stringify(stored) },
      }),
    );
  }

  async reports(page: { before?: string; limit: number }) {
    const found = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        ...partitionQuery('reports', '', page.before ? { op: '<', value: page.before } : undefined),
        ScanIndexForward: false,
        Limit: page.limit,
      }),
    );
    const items = (found.Items ?? []).map((item) => JSON.parse(String(item.json)) as StoredReport);
    return { items, last: found.LastEvaluatedKey ? (items.at(-1)?.id ?? null) : null };
  }
}
