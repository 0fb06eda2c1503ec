import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type {
  PolicyChange,
  PolicySnapshot,
  PolicyStore,
  PolicyVersion,
  SnapshotStore,
} from '../../app/ports';
import { type AdminEvent, recordAdminAction } from '../../domain/audit/admin-events';
import { ConflictError } from '../../domain/errors';
import { batchGet, getByKey, isConditionalCheckFailure, isStorableKey, withoutKeys } from './client';
import { keys } from './table';

export class DynamoPolicyStore implements PolicyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async liveVersion(): Promise<string | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.livePolicies(), ConsistentRead: true }),
    );
    return Item ? String(Item.version) : undefined;
  }

  async get(version: string): Promise<PolicyVersion | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.policyVersion(version), { consistent: false });
    return item ? withoutKeys<PolicyVersion>(item) : undefined;
  }

  async store(version: PolicyVersion): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.policyVersion(version.version), ...version },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  /**
   * The version first (content-addressed: a version stored before keeps who stored it first), then
   * the pointer, on the condition that it still names `change.from` (or is absent while the baseline
   * is live) and that its history is as read. The pointer is the authority: the change is appended
   * to its hash-chained history in that same conditional write, so no change goes unrecorded, and
   * its last event puts it among the records an audit checkpoint anchors (gsi6).
   */
  async publish(version: PolicyVersion, change: PolicyChange, baselineVersion: string): Promise<void> {
    await this.store(version);
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.livePolicies(), ConsistentRead: true }),
    );
    const before: AdminEvent[] = Array.isArray(Item?.history) ? Item.history : [];
    if (Item ? Item.version !== change.from : change.from !== baselineVersion) {
      throw new ConflictError(`The live policy set is no longer ${change.from}`);
    }
    const history = recordAdminAction(before, {
      type: 'policies_changed',
      at: change.at,
      actor: change.by,
      data: { from: change.from, to: change.to },
    });
    // As read: no pointer yet, or this version with this much history (none, written before chaining).
    const asRead = !Item
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          ConditionExpression: `#version = :from AND ${
            Array.isArray(Item.history) ? 'size(#history) = :length' : 'attribute_not_exists(#history)'
          }`,
          ExpressionAttributeNames: { '#version': 'version', '#history': 'history' },
          ExpressionAttributeValues: {
            ':from': change.from,
            ...(Array.isArray(Item.history) ? { ':length': before.length } : {}),
          },
        };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.livePolicies(history),
            version: change.to,
            changedAt: change.at,
            changedBy: change.by,
            // The unchained list of changes a pointer written before chaining kept.
            ...(Item?.changes ? { changes: Item.changes } : {}),
            history,
          },
          ...asRead,
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        throw new ConflictError(`The live policy set is no longer ${change.from}`);
      }
      throw error;
    }
  }
}

export class DynamoSnapshotStore implements SnapshotStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(snapshot: PolicySnapshot): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.snapshot(snapshot.hash), ...snapshot },
          // The first decision on these inputs stays the one recorded.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  async get(hash: string): Promise<PolicySnapshot | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.snapshot(hash), { consistent: false });
    return item ? withoutKeys<PolicySnapshot>(item) : undefined;
  }

  async getMany(hashes: readonly string[]): Promise<Map<string, PolicySnapshot>> {
    const items = await batchGet(
      this.db,
      this.tableName,
      [...new Set(hashes)].map((hash) => keys.snapshot(hash)).filter(isStorableKey),
    );
    return new Map(items.map((item) => [String(item.hash), withoutKeys<PolicySnapshot>(item)]));
  }
}
