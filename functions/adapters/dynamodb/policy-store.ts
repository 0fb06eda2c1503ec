import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  PolicyChange,
  PolicySnapshot,
  PolicyStore,
  PolicyVersion,
  SnapshotStore,
} from '../../app/ports';
import { ConflictError } from '../../domain/errors';
import { batchGet, isConditionalCheckFailure, isStorableKey, withoutKeys } from './client';
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
    if (!isStorableKey(keys.policyVersion(version))) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.policyVersion(version) }),
    );
    return Item ? withoutKeys<PolicyVersion>(Item) : undefined;
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
   * is live). The pointer is the authority: the change is appended to its own list in that same
   * conditional write, so no change goes unrecorded; the change item written after it is a copy
   * that puts the change among the items an audit checkpoint reads (gsi6), harmless to repeat.
   */
  async publish(version: PolicyVersion, change: PolicyChange, baselineVersion: string): Promise<void> {
    await this.store(version);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.livePolicies(),
          UpdateExpression:
            'SET #version = :to, changedAt = :at, changedBy = :by, changes = list_append(if_not_exists(changes, :none), :change)',
          ConditionExpression:
            change.from === baselineVersion
              ? 'attribute_not_exists(pk) OR #version = :from'
              : '#version = :from',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: {
            ':to': change.to,
            ':from': change.from,
            ':at': change.at,
            ':by': change.by,
            ':none': [],
            ':change': [change],
          },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) {
        throw new ConflictError(`The live policy set is no longer ${change.from}`);
      }
      throw error;
    }
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.policyChange(change.at, change.to), type: 'policies_changed', ...change },
      }),
    );
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
    if (!isStorableKey(keys.snapshot(hash))) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.snapshot(hash) }),
    );
    return Item ? withoutKeys<PolicySnapshot>(Item) : undefined;
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
