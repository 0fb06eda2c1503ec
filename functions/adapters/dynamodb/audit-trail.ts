import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StoredChain, TrailReader, VerificationResults } from '../../app/ports';
import { chainId } from '../../domain/audit/checkpoint';
import type { VerificationReport } from '../../domain/audit/verification';
import type { TimelineEvent } from '../../domain/timeline';
import { withoutKeys } from './client';
import { keys } from './table';

const TICKET = keys.ticketId('');
const GRANT = keys.grantId('');
/** The admin log's partition: its HEAD item, and its events under EVENT#{seq}. */
const ADMIN_LOG_PARTITION = keys.adminLogHead().pk;

/**
 * Reads every chain straight from the table: a Scan of the ticket and grant items, projected to
 * their keys and events (a page is at most 1 MB, so memory stays flat however large the table),
 * then the admin log. Keys are read from `pk`, not from an `id` attribute, since the key is what
 * names the item.
 */
export class DynamoTrailReader implements TrailReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { pageSize?: number } = {},
  ) {}

  async *pages(): AsyncIterable<{ chains: StoredChain[]; read: number }> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.tableName,
          ProjectionExpression: '#pk, #sk, #timeline, #events',
          FilterExpression: '#sk IN (:ticket, :grant)',
          ExpressionAttributeNames: {
            '#pk': 'pk',
            '#sk': 'sk',
            '#timeline': 'timeline',
            '#events': 'events',
          },
          ExpressionAttributeValues: { ':ticket': TICKET.sk, ':grant': GRANT.sk },
          ExclusiveStartKey: startKey,
          ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
        }),
      );
      yield { chains: (page.Items ?? []).map(chainOfItem), read: page.ScannedCount ?? 0 };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const adminLog = await this.adminLog();
    if (adminLog.length > 0)
      yield { chains: [{ chain: chainId('admin', 'log'), events: adminLog }], read: adminLog.length };
  }

  /**
   * The admin log (pk ADMINLOG, sk EVENT#{seq}, each item an event), oldest first. It is one chain,
   * judged whole, so it is held whole: its length is the number of admin actions, not of tickets.
   */
  private async adminLog(): Promise<TimelineEvent<string>[]> {
    const events: TimelineEvent<string>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :event)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': ADMIN_LOG_PARTITION, ':event': 'EVENT#' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) events.push(withoutKeys<TimelineEvent<string>>(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return events;
  }

  async approximateItems(): Promise<number | undefined> {
    try {
      const { Table } = await (this.db as unknown as DynamoDBClient).send(
        new DescribeTableCommand({ TableName: this.tableName }),
      );
      return Table?.ItemCount;
    } catch {
      // Only the progress bar's total: a role without DescribeTable verifies all the same.
      return undefined;
    }
  }
}

function chainOfItem(item: Record<string, unknown>): StoredChain {
  const pk = String(item.pk);
  const isTicket = item.sk === TICKET.sk;
  const id = pk.slice((isTicket ? TICKET : GRANT).pk.length);
  const events = isTicket ? item.timeline : item.events;
  // An attribute that is not a list is history someone replaced: judged as a chain with no events.
  return { chain: chainId(isTicket ? 'ticket' : 'grant', id), events: Array.isArray(events) ? events : [] };
}

/** The scheduled verification's results: the latest, and a copy under when it ran. */
export class DynamoVerificationResults implements VerificationResults {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(report: VerificationReport): Promise<void> {
    for (const key of [keys.verification(report.checkedAt), keys.latestVerification()]) {
      await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...key, ...report } }));
    }
  }

  async latest(): Promise<VerificationReport | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.latestVerification() }),
    );
    return Item ? withoutKeys<VerificationReport>(Item) : undefined;
  }
}
