import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Job, JobStore } from '../../app/ports';
import { getByKey, isConditionalCheckFailure, withoutKeys } from './client';
import { keys } from './table';

/** Jobs, one item each (JOB#{id}); each step's work lands in one conditional update. */
export class DynamoJobStore implements JobStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(job: Job): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.job(job.id), ...job },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(id: string): Promise<Job | undefined> {
    const item = await getByKey(this.db, this.tableName, keys.job(id), { consistent: true });
    return item ? withoutKeys<Job>(item) : undefined;
  }

  async advance(
    id: string,
    readSteps: number,
    step: Pick<Job, 'status' | 'progress' | 'cursor' | 'result' | 'updatedAt'>,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(id),
          UpdateExpression:
            'SET #status = :status, progress = :progress, #cursor = :cursor, #result = :result, updatedAt = :at, steps = :next',
          // A step of a job that failed meanwhile (a retry racing the failure) is dropped too.
          ConditionExpression: 'steps = :read AND #status IN (:queued, :running)',
          ExpressionAttributeNames: { '#status': 'status', '#cursor': 'cursor', '#result': 'result' },
          ExpressionAttributeValues: {
            ':status': step.status,
            ':progress': step.progress,
            ':cursor': step.cursor,
            ':result': step.result,
            ':at': step.updatedAt,
            ':read': readSteps,
            ':next': readSteps + 1,
            ':queued': 'queued',
            ':running': 'running',
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  async fail(id: string, error: { name: string; message: string }, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(id),
          UpdateExpression: 'SET #status = :failed, #error = :error, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND #status IN (:queued, :running)',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':error': error,
            ':at': at,
            ':queued': 'queued',
            ':running': 'running',
          },
        }),
      );
      return true;
    } catch (caught) {
      if (isConditionalCheckFailure(caught)) return false;
      throw caught;
    }
  }
}
