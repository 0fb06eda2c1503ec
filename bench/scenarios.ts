import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { keys, table } from '../functions/adapters/dynamodb/table';
import type { JsonClient, JsonResponse } from './http-client';

/** What every scenario may use: the running system's API and its store. */
export interface BenchContext {
  api: JsonClient;
  dynamodb: DynamoDBClient;
  tableName: string;
  /** One bearer token per seeded identity; client `n` files as `tokens[n % tokens.length]`. */
  tokens: string[];
}

/** One timed call. `client` is the concurrent client making it, `index` counts calls from 0 (warm-up included). */
export type Operation = (client: number, index: number) => Promise<void>;

/**
 * A measured scenario: `setup` prepares whatever the scenario needs (untimed) and returns the
 * operation that is timed. The whole ticket lifecycle, counted in tickets rather than calls, is
 * measured by lifecycle.ts instead.
 */
export interface Scenario {
  name: string;
  clients: number;
  setup(context: BenchContext): Promise<Operation>;
}

/** A figure of one scenario divided by the same figure of another, with the target it must stay within. */
export interface Comparison {
  numerator: string;
  denominator: string;
  statistic: 'p50' | 'p99';
  target?: number;
}

const accessRequest = {
  type: 'access',
  system: 'github',
  entitlement: 'github-read',
  justification: 'Reading the repositories to review pull requests',
};

/** `POST /requests` with a valid access request, as the API's clients send it. */
function intake(clients: number): Scenario {
  return {
    name: `intake ×${clients}`,
    clients,
    setup: async (context) => async (client) => {
      await fileRequest(context, client);
    },
  };
}

/**
 * A bare PutItem of an item the size and shape of a stored ticket (a real one, copied), on the same
 * store: the floor that intake's own work is measured against.
 */
function putItem(clients: number): Scenario {
  return { name: `PutItem ×${clients}`, clients, setup: putItemOperation };
}

/** A PutItem of a fresh copy of a stored ticket: each call writes a new item, as each intake does. */
export async function putItemOperation(context: BenchContext): Promise<Operation> {
  const ticket = await storedTicket(context);
  const run = randomUUID();
  return async (_client, index) => {
    await context.dynamodb.send(
      new PutItemCommand({ TableName: context.tableName, Item: benchCopy(ticket, `${run}#${index}`) }),
    );
  };
}

/**
 * The store alone first, then intake with no pause between: intake is measured as its callers see it,
 * with the workflows it starts running beside it (locally they share the machine), never after
 * waiting for them to finish.
 */
export const scenarios: Scenario[] = [putItem(1), putItem(8), intake(1), intake(8)];

/** Issue 5's targets: intake p99 at 1 client within 5x of PutItem's; intake p50 at 8 within 3x. */
export const comparisons: Comparison[] = [
  { numerator: 'intake ×1', denominator: 'PutItem ×1', statistic: 'p50' },
  { numerator: 'intake ×1', denominator: 'PutItem ×1', statistic: 'p99', target: 5 },
  { numerator: 'intake ×8', denominator: 'PutItem ×8', statistic: 'p50', target: 3 },
  { numerator: 'intake ×8', denominator: 'PutItem ×8', statistic: 'p99' },
];

async function fileRequest(context: BenchContext, client: number): Promise<JsonResponse> {
  const token = context.tokens[client % context.tokens.length];
  const response = await context.api.post('/requests', accessRequest, { authorization: `Bearer ${token}` });
  if (response.status !== 201) {
    throw new Error(`POST /requests answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response;
}

/** Files one request and reads its item back raw, keys and all, exactly as intake stored it. */
async function storedTicket(context: BenchContext): Promise<Record<string, AttributeValue>> {
  const { body } = await fileRequest(context, 0);
  const id = (body as { id: string }).id;
  const key = keys.ticketId(id);
  const { Item } = await context.dynamodb.send(
    new GetItemCommand({ TableName: context.tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
  );
  if (!Item) throw new Error(`Ticket ${id} is not in the store`);
  return Item;
}

/**
 * The ticket under its own keys. The index keys it carries are kept (DynamoDB maintains those
 * indexes on every put, as it does for a ticket) but moved to a BENCH partition so copies never
 * show up in real listings.
 */
function benchCopy(ticket: Record<string, AttributeValue>, unique: string): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { ...ticket, [table.partitionKey]: { S: `BENCH#${unique}` } };
  for (const index of table.indexes) {
    if (!(index.partitionKey in ticket)) continue;
    item[index.partitionKey] = { S: 'BENCH' };
    item[index.sortKey] = { S: unique };
  }
  return item;
}
