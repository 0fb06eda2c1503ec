import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SecurityEvent, SecurityEvents } from '../../app/ports';
import { keys } from './table';

/** How long refusals are kept: long enough for any review of an incident, not for ever. */
const KEEP_SECONDS = 400 * 24 * 3600;

export class DynamoSecurityEvents implements SecurityEvents {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(event: SecurityEvent): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.securityEvent(event),
          ...event,
          ttl: Math.floor(Date.parse(event.at) / 1000) + KEEP_SECONDS,
        },
      }),
    );
  }
}
