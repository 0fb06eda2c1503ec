import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DeliveryStore } from '../../app/ports';
import type { Delivery, DeliveryStatus } from '../../domain/outbound/deliveries';
import type { OutboundEvent } from '../../domain/outbound/events';
import { batchGet, getByKey, isConditionalCheckFailure, queryAll, tableKeyOf, withoutKeys } from './client';
import { keyAttributesOf, keys, partitionQuery } from './table';

/** A delivered delivery is kept this long (the table's TTL), as the record of what was sent. */
const DELIVERED_KEPT_SECONDS = 30 * 24 * 3600;

export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<Delivery | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.deliveryId(id), { consistent: true });
    return item ? stored(item) : undefined;
  }

  async existing(ids: string[]): Promise<Set<string>> {
    const found = await batchGet(
      this.db,
      this.tableName,
      ids.map((id) => keys.deliveryId(id)),
      { attributes: ['id'], consistent: true },
    );
    return new Set(found.map((item) => String(item.id)));
  }

  async create(delivery: Delivery): Promise<boolean> {
    return this.conditionalPut(delivery, 'attribute_not_exists(pk)', {});
  }

  async replace(read: Delivery, next: Delivery): Promise<boolean> {
    return this.conditionalPut(next, '#revision = :revision', { ':revision': read.revision });
  }

  /** Every due key sorts before now followed by `~`, which sorts after `#` and every digit. */
  async due(now: Date, limit: number): Promise<Delivery[]> {
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        ...partitionQuery('deliveryDue', '', { op: '<', value: `${now.toISOString()}~` }),
        Limit: limit,
      }),
    );
    const found = await batchGet(this.db, this.tableName, (Items ?? []).map(tableKeyOf), {
      consistent: true,
    });
    return found.map(stored);
  }

  /**
   * The partition read backwards from the cursor; its entries name deliveries read as they are now,
   * so one that changed status since the index was read is left out of this status's page.
   */
  async list(
    status: DeliveryStatus,
    page: { after?: string; limit: number },
  ): Promise<{ items: Delivery[]; last: string | null }> {
    const { sortKey } = keyAttributesOf('deliveries');
    const { Items } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        ...partitionQuery('deliveries', status, page.after ? { op: '<', value: page.after } : undefined),
        ScanIndexForward: false,
        Limit: page.limit + 1,
      }),
    );
    const entries = (Items ?? []).slice(0, page.limit);
    const found = await batchGet(this.db, this.tableName, entries.map(tableKeyOf));
    const more = (Items ?? []).length > page.limit;
    return {
      items: found.map(stored).filter((delivery) => delivery.status === status),
      last: more ? String(entries.at(-1)?.[sortKey]) : null,
    };
  }

  async sweepHour(): Promise<string | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.outboundSweep(), ConsistentRead: true }),
    );
    return typeof Item?.hour === 'string' ? Item.hour : null;
  }

  /** Moved on only from where it was read: of two runs at once, one moves it, and it never goes back. */
  async moveSweepHour(read: string | null, next: string): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.outboundSweep(), hour: next },
          ConditionExpression: read === null ? 'attribute_not_exists(pk)' : '#hour = :read',
          ...(read === null
            ? {}
            : {
                ExpressionAttributeNames: { '#hour': 'hour' },
                ExpressionAttributeValues: { ':read': read },
              }),
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  /** gsi6 keeps grants and admin records beside tickets (`GRANT#...`); tickets are the plain ids. */
  async outboxesChangedIn(hour: string): Promise<{ id: string; outbox: OutboundEvent[] }[]> {
    const { sortKey } = keyAttributesOf('changed');
    const entries = await queryAll(this.db, {
      TableName: this.tableName,
      ...partitionQuery('changed', hour),
    });
    const ticketIds = entries
      .map((entry) => String(entry[sortKey]))
      .filter((id) => !id.includes('#') && id !== 'POLICIES');
    const found = await batchGet(
      this.db,
      this.tableName,
      ticketIds.map((id) => keys.ticketId(id)),
      { attributes: ['id', 'outbox'] },
    );
    return found.map((item) => ({ id: String(item.id), outbox: (item.outbox ?? []) as OutboundEvent[] }));
  }

  private async conditionalPut(
    delivery: Delivery,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    const expires =
      delivery.status === 'delivered' && delivery.deliveredAt
        ? { ttl: Math.floor(Date.parse(delivery.deliveredAt) / 1000) + DELIVERED_KEPT_SECONDS }
        : {};
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.delivery(delivery), ...delivery, ...expires },
          ConditionExpression: condition,
          ...(condition.includes('#revision')
            ? { ExpressionAttributeNames: { '#revision': 'revision' } }
            : {}),
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }
}

function stored(item: Record<string, unknown>): Delivery {
  const { ttl: _expires, ...delivery } = withoutKeys<Delivery & { ttl?: number }>(item);
  return delivery;
}
