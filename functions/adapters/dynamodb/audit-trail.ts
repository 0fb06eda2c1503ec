import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredChain, TrailReader, VerificationResults } from '../../app/ports';
import type { VerificationReport } from '../../domain/audit/verification';
import { chainAttributes, chainOf } from './audit-chains';
import { withoutKeys } from './client';
import { keys } from './table';

/** The keys, which name the chain, and the attributes that carry it. */
const projected = ['pk', 'sk', ...chainAttributes];

/**
 * Reads every chain straight from the table: a Scan projected to the keys and the attributes that
 * carry chains (a page is at most 1 MB, so memory stays flat however large the table), each item's
 * chain named by chainOf from its key, not from an `id` attribute, since the key names the item:
 * tickets' timelines, grants' events, and the admin history of directory entries, catalog systems
 * and the live policy set.
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
          ProjectionExpression: projected.map((_, index) => `#a${index}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(projected.map((name, index) => [`#a${index}`, name])),
          ExclusiveStartKey: startKey,
          ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
        }),
      );
      const chains = (page.Items ?? []).map(chainOf).filter((chain) => chain !== null);
      yield { chains, read: page.ScannedCount ?? 0 };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
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
