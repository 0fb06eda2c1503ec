import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
  type Projection,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../adapters/dynamodb/table';

export const LOCAL_TABLE_NAME = 'tollgate';

/** What reached the store since it started, for `GET /dev/metrics`. */
export interface DynamoCounts {
  /** Requests per operation, named by the `x-amz-target` header (`DynamoDB_20120810.PutItem` → `PutItem`). */
  operations: Record<string, number>;
  /** The put and delete requests inside BatchWriteItem requests: each is billed as a write of its own. */
  batchWriteItems: number;
  /** The write request units DynamoDB would bill for these writes, on the table and on its indexes. */
  writeUnits: WriteUnits;
}

/**
 * Tallied by the store itself (a patch to dynalite, `patches/`), as the DynamoDB Developer Guide bills
 * on-demand writes: the table a unit per KB of the larger of the item before and after, a failed
 * conditional write included; an index a unit per KB of each entry it puts or deletes, two when a key
 * moves, none when the write leaves the entry unchanged.
 */
export interface WriteUnits {
  table: number;
  indexes: number;
}

/**
 * The embedded DynamoDB-compatible store (dynalite), on disk under the data folder or in memory,
 * with the table created from the one schema module.
 */
export async function startLocalDynamo(options: { dataDir: string; store: 'disk' | 'memory'; port: number }) {
  const path = join(options.dataDir, 'dynamodb');
  if (options.store === 'disk') mkdirSync(path, { recursive: true });
  const counts: DynamoCounts = { operations: {}, batchWriteItems: 0, writeUnits: { table: 0, indexes: 0 } };
  const server: Server = dynalite({
    ...(options.store === 'disk' ? { path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    writeUnits: counts.writeUnits,
  });
  server.on('request', (request: IncomingMessage) => countRequest(request, counts));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      // The SDK keeps connections alive: close idle ones now, and let a request still in flight
      // finish before its connection closes (dynalite fails requests it has not finished once
      // its database is closed), instead of waiting 5 s for the keep-alive timeout.
      server.keepAliveTimeout = 1;
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  const client = new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials: localCredentials });
  try {
    await ensureTable(client, options.dataDir);
  } catch (error) {
    await close();
    throw error;
  } finally {
    client.destroy();
  }
  return { url, counts, close };
}

function countRequest(request: IncomingMessage, counts: DynamoCounts): void {
  const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1];
  if (!operation) return;
  counts.operations[operation] = (counts.operations[operation] ?? 0) + 1;
  if (operation !== 'BatchWriteItem') return;
  // dynalite reads the body with 'data' listeners too, so listening here takes nothing from it.
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        RequestItems?: Record<string, unknown[]>;
      };
      for (const writes of Object.values(body.RequestItems ?? {})) counts.batchWriteItems += writes.length;
    } catch {
      // A malformed body is dynalite's to refuse; it wrote nothing to count.
    }
  });
}

export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export class StaleLocalTableError extends Error {
  constructor(dataDir: string, found: string[], wanted: string[]) {
    super(
      `The table in the data folder ${dataDir} has other indexes than functions/adapters/dynamodb/table.ts defines ` +
        `(it has ${found.join('; ') || 'none'}; the schema wants ${wanted.join('; ')}), and the local store cannot ` +
        'change the indexes of a table. Move that folder aside to start afresh, or set TOLLGATE_DATA_DIR.',
    );
    this.name = 'StaleLocalTableError';
  }
}

/**
 * Creates the table from the schema, or checks that the one found on disk was created from this
 * schema: a table from an earlier schema would answer queries on its indexes wrongly or not at all.
 */
async function ensureTable(client: DynamoDBClient, dataDir: string): Promise<void> {
  const wanted = createTableInput(LOCAL_TABLE_NAME);
  let found: TableDescription | undefined;
  try {
    found = (await client.send(new DescribeTableCommand({ TableName: LOCAL_TABLE_NAME }))).Table;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand(wanted));
    return;
  }
  const have = describeIndexes(found?.GlobalSecondaryIndexes ?? []);
  const want = describeIndexes(wanted.GlobalSecondaryIndexes);
  if (JSON.stringify(have) !== JSON.stringify(want)) throw new StaleLocalTableError(dataDir, have, want);
}

/** Each index's name, keys and projection, in one comparable line, sorted by name. */
function describeIndexes(
  indexes: { IndexName?: string; KeySchema?: KeySchemaElement[]; Projection?: Projection }[],
): string[] {
  return indexes
    .map(({ IndexName, KeySchema = [], Projection }) =>
      [
        IndexName,
        KeySchema.map((key) => `${key.AttributeName} ${key.KeyType}`).join(', '),
        Projection?.ProjectionType,
        ...[...(Projection?.NonKeyAttributes ?? [])].sort(),
      ].join(' '),
    )
    .sort();
}
