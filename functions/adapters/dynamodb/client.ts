import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Keys, keyAttributes } from './table';

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

/**
 * The item under `key`, or undefined when there is none, or when the key could not be stored at all
 * (an id from a request that is too long or malformed is not found, rather than refused by DynamoDB).
 */
export async function getByKey(
  db: DynamoDBDocumentClient,
  tableName: string,
  key: Keys,
  options: { consistent: boolean },
): Promise<Record<string, unknown> | undefined> {
  if (!isStorableKey(key)) return undefined;
  const { Item } = await db.send(
    new GetCommand({
      TableName: tableName,
      Key: key,
      ...(options.consistent ? { ConsistentRead: true } : {}),
    }),
  );
  return Item;
}

/** Strips the key attributes so what leaves the adapter is the domain object alone. */
export function withoutKeys<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !keyAttributes.has(name))) as T;
}

/** The table key of an item read from an index, whose projection always carries it. */
export const tableKeyOf = (item: Record<string, unknown>): Keys => ({
  pk: String(item.pk),
  sk: String(item.sk),
});

/** Every item a Query matches, page after page. */
export async function queryAll(
  db: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/**
 * Reads items by key, 100 a request (BatchGetItem's most), resending whatever DynamoDB leaves
 * unprocessed under load; answers them in the order of `keys`, leaving out any not stored.
 * `attributes` reads only those (besides the keys); `consistent` reads what was written last.
 */
export async function batchGet(
  db: DynamoDBDocumentClient,
  tableName: string,
  keys: Keys[],
  options: { attributes?: readonly string[]; consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const id = (key: Record<string, unknown>) => `${key.pk}\n${key.sk}`;
  // BatchGetItem refuses a request that names one key twice.
  const unique = [...new Map(keys.map((key) => [id(key), { pk: key.pk, sk: key.sk }])).values()];
  const found = new Map<string, Record<string, unknown>>();
  const projected = options.attributes ? ['pk', 'sk', ...options.attributes] : null;
  const reading = {
    ...(projected
      ? {
          ProjectionExpression: projected.map((_, index) => `#a${index}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(projected.map((name, index) => [`#a${index}`, name])),
        }
      : {}),
    ...(options.consistent ? { ConsistentRead: true } : {}),
  };
  for (let start = 0; start < unique.length; start += 100) {
    let pending: Record<string, unknown>[] | undefined = unique.slice(start, start + 100);
    while (pending && pending.length > 0) {
      const result: BatchGetCommandOutput = await db.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ...reading } } }),
      );
      for (const item of result.Responses?.[tableName] ?? []) found.set(id(item), item);
      pending = result.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return keys
    .map((key) => found.get(id(key)))
    .filter((item): item is Record<string, unknown> => item !== undefined);
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
