import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One document client per process. The endpoint comes from the SDK's own settings
 * (AWS_ENDPOINT_URL_DYNAMODB), which is how the local runtime points the same code at its store.
 */
export function createDocumentClient(client = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** DynamoDB refuses a partition key over 2048 bytes (a ValidationException): no stored item has one. */
const MAX_PARTITION_KEY_BYTES = 2048;

/**
 * Whether a key built from a caller's id can name a stored item at all. An id from a URL can be
 * as long as the URL; looking it up would fail the request, while the answer is simply "not found".
 */
export const isStorableKey = (key: { pk: string }): boolean =>
  Buffer.byteLength(key.pk, 'utf8') <= MAX_PARTITION_KEY_BYTES;

/** Strips the key attributes so what leaves the adapter is the domain object alone. */
export function withoutKeys<T>(item: Record<string, unknown>): T {
  const { pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, ...rest } = item;
  return rest as T;
}

/** Puts items 25 at a time, resending whatever DynamoDB leaves unprocessed under load. */
export async function batchPut(
  db: DynamoDBDocumentClient,
  tableName: string,
  items: Record<string, unknown>[],
): Promise<void> {
  for (let start = 0; start < items.length; start += 25) {
    let requests: Record<string, unknown>[] | undefined = items
      .slice(start, start + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (requests && requests.length > 0) {
      const result = await db.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = result.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
    }
  }
}
