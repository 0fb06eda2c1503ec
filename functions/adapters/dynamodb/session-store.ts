import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Session, SessionStore } from '../../app/sessions';
import { withoutKeys } from './client';
import { keys } from './table';

/** Sessions carry a TTL so DynamoDB removes them some time after they end; reads check the end themselves. */
export class DynamoSessionStore implements SessionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(idHash: string, session: Session): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.session(idHash), ...session, ttl: Math.ceil(Date.parse(session.expiresAt) / 1000) },
      }),
    );
  }

  async get(idHash: string): Promise<Session | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.session(idHash), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { ttl, ...session } = withoutKeys<Session & { ttl: number }>(Item);
    return session;
  }

  async delete(idHash: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: keys.session(idHash) }));
  }
}
