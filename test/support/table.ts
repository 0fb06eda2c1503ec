import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_TABLE_NAME, localCredentials } from '../../functions/local/dynamodb';

/** Runs `work` with a document client on the local table at `endpoint`, then lets the client go. */
export async function withLocalTable<T>(
  endpoint: string,
  work: (db: DynamoDBDocumentClient) => Promise<T>,
): Promise<T> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: localCredentials });
  try {
    return await work(DynamoDBDocumentClient.from(client));
  } finally {
    client.destroy();
  }
}

/** The items of one partition of the local table (those whose sort key starts with `sortPrefix`, if given). */
export function partitionItems(
  endpoint: string,
  partitionKey: string,
  sortPrefix?: string,
): Promise<Record<string, unknown>[]> {
  return withLocalTable(endpoint, async (db) => {
    const { Items } = await db.send(
      new QueryCommand({
        TableName: LOCAL_TABLE_NAME,
        KeyConditionExpression: sortPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': partitionKey, ...(sortPrefix ? { ':prefix': sortPrefix } : {}) },
      }),
    );
    return Items ?? [];
  });
}

/** How many items of the local table have the sort key `sortKey` (every snapshot's is `SNAPSHOT`), read by a paged Scan. */
export function countItemsWithSortKey(endpoint: string, sortKey: string): Promise<number> {
  return withLocalTable(endpoint, async (db) => {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: LOCAL_TABLE_NAME,
          FilterExpression: 'sk = :sk',
          ExpressionAttributeValues: { ':sk': sortKey },
          Select: 'COUNT',
          ExclusiveStartKey: start,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  });
}
