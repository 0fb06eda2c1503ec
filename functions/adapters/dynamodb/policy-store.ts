import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  PolicyChange,
  PolicySnapshot,
  PolicyStore,
  PolicyVersion,
  SnapshotStore,
} from '../../app/ports';
import { ConflictError } from '../../domain/errors';
import { isConditionalCheckFailure, isStorableKey, withoutKeys } from './client';
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

  /**
   * The version first (content-addressed: a version stored before keeps who stored it first), then
   * the pointer and the audit event in one transaction, on the condition that the pointer still
   * names `change.from` (or is absent while the baseline is live).
   */
  async publish(version: PolicyVersion, change: PolicyChange, baselineVersion: string): Promise<void> {
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
    const fromBaseline = change.from === baselineVersion;
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...keys.livePolicies(),
                  version: change.to,
                  changedAt: change.at,
                  changedBy: change.by,
                },
                ConditionExpression: fromBaseline
                  ? 'attribute_not_exists(pk) OR #version = :from'
                  : '#version = :from',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':from': change.from },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.policyChange(change.at, change.to), type: 'policies_changed', ...change },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'TransactionCanceledException') {
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
    if (!isStorableKey(keys.snapshot(hash))) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.snapshot(hash) }),
    );
    return Item ? withoutKeys<PolicySnapshot>(Item) : undefined;
  }
}
