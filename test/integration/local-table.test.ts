import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/adapters/dynamodb/table';
import {
  LOCAL_TABLE_NAME,
  localCredentials,
  StaleLocalTableError,
  startLocalDynamo,
} from '../../functions/local/dynamodb';
import { withLocalTable } from '../support/table';

describe('the local table on disk', () => {
  it('is refused, naming the folder, when an earlier schema created it with other indexes', async () => {
    // Prepare: a table whose first index projects every attribute, as the schema once had it
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-stale-'));
    const earlier = createTableInput(LOCAL_TABLE_NAME);
    const [first, ...rest] = earlier.GlobalSecondaryIndexes;
    const server = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    const raw = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'us-east-1',
      credentials: localCredentials,
    });
    await raw.send(
      new CreateTableCommand({
        ...earlier,
        GlobalSecondaryIndexes: [
          { ...(first as (typeof rest)[number]), Projection: { ProjectionType: 'ALL' } },
          ...rest,
        ],
      }),
    );
    raw.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));

    try {
      // Act
      const start = startLocalDynamo({ dataDir, store: 'disk', port: 0 });

      // Assess
      await expect(start).rejects.toBeInstanceOf(StaleLocalTableError);
      await expect(start).rejects.toThrow(dataDir);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the write units the local store tallies', () => {
  /** A ticket-like item of about 2.5 KB, in gsi1 (its facts projected) and gsi5 (keys only). */
  const item = {
    pk: 'TICKET#units',
    sk: 'TICKET',
    gsi1pk: 'REQUESTER#alex.dev@example.com',
    gsi1sk: 'units',
    gsi5pk: 'INFLIGHT#alex.dev@example.com',
    gsi5sk: 'submitted#units',
    requester: 'alex.dev@example.com',
    body: 'x'.repeat(2500),
  };

  /** The units `write` added to the tally, on the table and on the indexes. */
  async function unitsOf(
    dynamo: Awaited<ReturnType<typeof startLocalDynamo>>,
    write: (db: DynamoDBDocumentClient) => Promise<unknown>,
  ) {
    const before = { ...dynamo.counts.writeUnits };
    await withLocalTable(dynamo.url, write);
    const { table, indexes } = dynamo.counts.writeUnits;
    return { table: table - before.table, indexes: indexes - before.indexes };
  }

  const put = (value: Record<string, unknown>, condition?: string) => (db: DynamoDBDocumentClient) =>
    db.send(new PutCommand({ TableName: LOCAL_TABLE_NAME, Item: value, ConditionExpression: condition }));

  it('bills as DynamoDB does: a KB of the item on the table, an index only for an entry that changes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-units-'));
    const dynamo = await startLocalDynamo({ dataDir, store: 'memory', port: 0 });
    try {
      // A new item: three KB on the table, one entry in each of its two indexes
      expect(await unitsOf(dynamo, put(item))).toEqual({ table: 3, indexes: 2 });
      // The same item again: the table again, no index entry changes
      expect(await unitsOf(dynamo, put(item))).toEqual({ table: 3, indexes: 0 });
      // A projected fact changes: gsi1's entry is rewritten, gsi5 projects no facts
      expect(await unitsOf(dynamo, put({ ...item, requester: 'bo.dev@example.com' }))).toEqual({
        table: 3,
        indexes: 1,
      });
      // gsi5's key moves (a status change): its entry is deleted and put, two writes
      const moved = { ...item, requester: 'bo.dev@example.com', gsi5sk: 'pending_approval#units' };
      expect(await unitsOf(dynamo, put(moved))).toEqual({ table: 3, indexes: 2 });
      // A condition that fails still bills the table, on the larger item; nothing reaches an index
      const refused = (db: DynamoDBDocumentClient) =>
        expect(put(moved, 'attribute_not_exists(pk)')(db)).rejects.toThrow(ConditionalCheckFailedException);
      expect(await unitsOf(dynamo, refused)).toEqual({ table: 3, indexes: 0 });
      // The item shrinks and leaves gsi1: the larger size on the table, one delete from gsi1
      const { gsi1pk: _pk, gsi1sk: _sk, body: _body, ...small } = moved;
      expect(await unitsOf(dynamo, put(small))).toEqual({ table: 3, indexes: 1 });
      // Deleted: a unit for the small item, one delete from gsi5
      expect(
        await unitsOf(dynamo, (db) =>
          db.send(new DeleteCommand({ TableName: LOCAL_TABLE_NAME, Key: { pk: item.pk, sk: item.sk } })),
        ),
      ).toEqual({ table: 1, indexes: 1 });
    } finally {
      await dynamo.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
