import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/adapters/dynamodb/table';
import {
  LOCAL_TABLE_NAME,
  localCredentials,
  StaleLocalTableError,
  startLocalDynamo,
} from '../../functions/local/dynamodb';

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
