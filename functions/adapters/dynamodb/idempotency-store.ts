import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { IdempotencyRecord, IdempotencyStore } from '../../app/ports';
import { isConditionalCheckFailure, withoutKeys } from './client';
import { keys } from './table';

/**
 * Records live 24 hours. Expiry is checked here on read and write rather than left to DynamoDB TTL,
 * which deletes late in AWS and never in the local store.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async reserve(record: IdempotencyRecord, now: Date): Promise<IdempotencyRecord> {
    const key = keys.idempotency(record.caller, record.key);
    const { response, ...reservation } = record;
    for (;;) {
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, ...reservation, ttl: Math.ceil(Date.parse(record.expiresAt) / 1000) },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
            ExpressionAttributeValues: { ':now': now.toISOString() },
          }),
        );
        return record;
      } catch (error) {
        if (!isConditionalCheckFailure(error)) throw error;
      }
      // Gone between the two calls only if it expired and was removed: try to reserve again.
      const stored = await this.find(record.caller, record.key, now);
      if (stored) return stored;
    }
  }

  async find(caller: string, key: string, now: Date): Promise<IdempotencyRecord | null> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.idempotency(caller, key), ConsistentRead: true }),
    );
    if (!Item || String(Item.expiresAt) < now.toISOString()) return null;
    const { ttl, ...stored } = withoutKeys<IdempotencyRecord & { ttl: number }>(Item);
    return { ...stored, response: stored.response ?? null };
  }

  async complete(caller: string, key: string, response: unknown): Promise<unknown> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.idempotency(caller, key),
          UpdateExpression: 'SET #response = if_not_exists(#response, :response)',
          // Without it an update would create a record of a released key holding only a response.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#response': 'response' },
          ExpressionAttributeValues: { ':response': response },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes?.response ?? response;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      return response;
    }
  }

  async release(caller: string, key: string, ticketId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.idempotency(caller, key),
          ConditionExpression: 'ticketId = :ticketId AND attribute_not_exists(#response)',
          ExpressionAttributeNames: { '#response': 'response' },
          ExpressionAttributeValues: { ':ticketId': ticketId },
        }),
      );
    } catch (error) {
      // Another reservation holds the key by now, or this one was completed: either is kept.
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }
}
