import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  GrantRecord,
  GrantStore,
  LinkRecord,
  LinkStore,
  TaskKind,
  TaskRecord,
  TaskStore,
} from '../../app/ports';
import { ConflictError } from '../../domain/errors';
import { batchPut, isConditionalCheckFailure, isStorableKey, withoutKeys } from './client';
import { keys, partitionQuery } from './table';

/** Items derived from tickets: each write is a put of a whole record, so a repeat is harmless. */

export class DynamoTaskStore implements TaskStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(task: TaskRecord): Promise<void> {
    const items = [
      { ...keys.task(task.id), ...task },
      ...task.assignees.map((assignee) => ({
        ...keys.assignment(assignee, task.kind, task.id),
        taskId: task.id,
      })),
    ];
    await batchPut(this.db, this.tableName, items);
  }

  async holdToken(task: TaskRecord, token: string): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.task(task.id), ...task, token } }),
    );
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    if (!isStorableKey(keys.task(id))) return undefined;
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.task(id), ConsistentRead: true }),
    );
    return Item ? withoutKeys<TaskRecord>(Item) : undefined;
  }

  async forAssignee(identityId: string, kind: TaskKind): Promise<TaskRecord[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        ...partitionQuery('assignee', identityId, { op: 'begins_with', value: `${kind}#` }),
      }),
    );
    const tasks = await Promise.all(Items.map((item) => this.get(String(item.taskId))));
    return tasks.filter((task): task is TaskRecord => task !== undefined);
  }

  async retire(task: TaskRecord): Promise<void> {
    await Promise.all(
      task.assignees.map((assignee) =>
        this.db.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: keys.assignment(assignee, task.kind, task.id),
          }),
        ),
      ),
    );
  }
}

export class DynamoLinkStore implements LinkStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(link: LinkRecord): Promise<void> {
    // usedAt is left absent, not null, so markUsed's condition lets it be set exactly once.
    const { usedAt, ...unused } = link;
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.link(link.hash), ...unused } }),
    );
  }

  async get(hash: string): Promise<LinkRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.link(hash), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const link = withoutKeys<LinkRecord>(Item);
    return { ...link, usedAt: link.usedAt ?? null };
  }

  async markUsed(hash: string, at: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.link(hash),
          UpdateExpression: 'SET usedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) throw new ConflictError('This link was already used.');
      throw error;
    }
  }

  async release(hash: string, usedAt: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.link(hash),
          UpdateExpression: 'REMOVE usedAt',
          ConditionExpression: 'usedAt = :at',
          ExpressionAttributeValues: { ':at': usedAt },
        }),
      );
    } catch (error) {
      // Someone else's use in the meantime stays: only our own claim is given back.
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }
}

export class DynamoGrantStore implements GrantStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(grant: GrantRecord): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.grant(grant), ...grant } }),
    );
  }
}
