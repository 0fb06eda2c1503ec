import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ChainHeads, ChangedChain } from '../../app/ports';
import { type ChainHead, chainId } from '../../domain/audit/checkpoint';
import type { TimelineEvent } from '../../domain/timeline';
import { batchGet, tableKeyOf } from './client';
import { type Keys, keys, partitionQuery, partitions } from './table';

/** BatchGetItem requests in flight at once: a first checkpoint over 100,000 tickets reads them all. */
const PARALLEL_READS = 4;
const BATCH = 100;
const HOUR_MS = 3_600_000;

/**
 * Chain heads read through gsi6 (CHANGED#{hour}): the keys of each hour's page, then the items
 * (only their events) by BatchGetItem, a few requests at a time; nothing but a page is held.
 */
export class DynamoChainHeads implements ChainHeads {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async *changedSince(from: string | null, until: Date): AsyncIterable<ChangedChain> {
    for await (const page of from === null ? this.everyChain() : this.hours(from, until)) {
      yield* await this.headsOf(page);
    }
  }

  async adminLog(): Promise<ChainHead | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.adminLogHead(), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return { chain: chainId('admin', 'log'), seq: Number(Item.seq), hash: String(Item.hash) };
  }

  /** Each hour's partition, from `from`'s hour to `until`'s, a page of keys at a time. */
  private async *hours(from: string, until: Date): AsyncIterable<Record<string, unknown>[]> {
    const last = until.toISOString().slice(0, 13);
    for (let at = Date.parse(`${from.slice(0, 13)}:00:00Z`); ; at += HOUR_MS) {
      const hour = new Date(at).toISOString().slice(0, 13);
      if (hour > last) return;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            ...partitionQuery('changed', hour),
            ExclusiveStartKey: startKey,
          }),
        );
        yield page.Items ?? [];
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  }

  /** The whole of gsi6, where every ticket and grant is once: for the first checkpoint. */
  private async *everyChain(): AsyncIterable<Record<string, unknown>[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          IndexName: partitions.changed.index,
          ExclusiveStartKey: startKey,
        }),
      );
      yield page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  private async headsOf(entries: Record<string, unknown>[]): Promise<ChangedChain[]> {
    // Policy changes are in gsi6 too; their chain is the admin log, read by its head.
    const chained = entries.map(tableKeyOf).filter((key) => chainOf(key) !== undefined);
    const heads: ChangedChain[] = [];
    for (let start = 0; start < chained.length; start += BATCH * PARALLEL_READS) {
      const reads = [];
      for (
        let batch = start;
        batch < Math.min(chained.length, start + BATCH * PARALLEL_READS);
        batch += BATCH
      ) {
        reads.push(
          batchGet(this.db, this.tableName, chained.slice(batch, batch + BATCH), {
            attributes: ['timeline', 'events'],
          }),
        );
      }
      for (const item of (await Promise.all(reads)).flat()) {
        const chain = chainOf(tableKeyOf(item));
        const events = (item.timeline ?? item.events) as TimelineEvent<string>[] | undefined;
        const last = events?.at(-1);
        if (!chain || !last) continue;
        heads.push({ head: { chain, seq: last.seq, hash: last.hash }, lastEventAt: last.at });
      }
    }
    return heads;
  }
}

/** The chain a table item carries, by its key: a ticket's timeline or a grant's events. */
function chainOf(key: Keys): string | undefined {
  const [prefix, ...id] = key.pk.split('#');
  if (prefix === 'TICKET' && key.sk === 'TICKET') return chainId('ticket', id.join('#'));
  if (prefix === 'GRANT' && key.sk === 'GRANT') return chainId('grant', id.join('#'));
  return undefined;
}
