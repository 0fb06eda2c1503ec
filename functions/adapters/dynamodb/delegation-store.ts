import { type DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DelegationStore } from '../../app/ports';
import type { Delegation } from '../../domain/delegations';
import { NotFoundError } from '../../domain/errors';
import { batchGet, getByKey, isConditionalCheckFailure, queryAll, tableKeyOf, withoutKeys } from './client';
import { delegationSort, keys, partitionQuery } from './table';

/**
 * A delegation is one item, listed under its owner (gsi1) and its delegate (gsi2) by when it ends.
 * `deletedAt` and `deletedBy` are absent until it is deleted, so the deletion's condition lets
 * them be set exactly once.
 */
export class DynamoDelegationStore implements DelegationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(delegation: Delegation): Promise<{ delegation: Delegation; created: boolean }> {
    const { deletedAt, deletedBy, ...live } = delegation;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.delegation(delegation), ...live },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { delegation, created: true };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
    const stored = await this.get(delegation.id);
    if (!stored) throw new Error(`Delegation ${delegation.id} was stored and is gone`);
    return { delegation: stored, created: false };
  }

  async get(id: string): Promise<Delegation | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.delegationId(id), { consistent: true });
    return item ? fromItem(item) : undefined;
  }

  async markDeleted(id: string, at: string, by: string): Promise<Delegation> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.delegationId(id),
          UpdateExpression: 'SET deletedAt = :at, deletedBy = :by',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)',
          ExpressionAttributeValues: { ':at': at, ':by': by },
          ReturnValues: 'ALL_NEW',
        }),
      );
      if (Attributes) return fromItem(Attributes);
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
    const stored = await this.get(id);
    if (!stored) throw new NotFoundError(`No delegation ${id}`);
    return stored;
  }

  async givenEndingAfter(owner: string, at: Date): Promise<Delegation[]> {
    const entries = await queryAll(this.db, {
      TableName: this.tableName,
      ...partitionQuery('delegator', owner, { op: '>', value: at.toISOString() }),
    });
    return (
      await batchGet(
        this.db,
        this.tableName,
        entries.map((entry) => tableKeyOf(entry)),
      )
    ).map(fromItem);
  }

  /**
   * Each partition gives its `limit + 1` latest-ending entries before the position; the first
   * `limit` of their union are the page. A person never delegates to themselves, so no delegation
   * is in both.
   */
  async list(
    identity: string,
    page: { after?: string; limit: number },
  ): Promise<{ items: Delegation[]; last: string | null }> {
    const entries = await Promise.all(
      (['delegator', 'delegate'] as const).map(async (partition) => {
        const result = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            ...partitionQuery(partition, identity, page.after ? { op: '<', value: page.after } : undefined),
            ScanIndexForward: false,
            Limit: page.limit + 1,
          }),
        );
        return result.Items ?? [];
      }),
    );
    const delegations = (
      await batchGet(
        this.db,
        this.tableName,
        entries.flat().map((entry) => tableKeyOf(entry)),
      )
    ).map(fromItem);
    const latestFirst = delegations.sort((a, b) => (delegationSort(a) < delegationSort(b) ? 1 : -1));
    const items = latestFirst.slice(0, page.limit);
    const last = items.at(-1);
    return { items, last: latestFirst.length > page.limit && last ? delegationSort(last) : null };
  }
}

function fromItem(item: Record<string, unknown>): Delegation {
  const delegation = withoutKeys<Delegation>(item);
  return { ...delegation, deletedAt: delegation.deletedAt ?? null, deletedBy: delegation.deletedBy ?? null };
}
