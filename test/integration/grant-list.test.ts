import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoGrantStore } from '../../functions/adapters/dynamodb/workflow-records';
import type { Grant } from '../../functions/domain/grants';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from '../../functions/local/dynamodb';

let dataDir: string;
let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
let client: DynamoDBClient;
let grants: DynamoGrantStore;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-grant-list-'));
  dynamo = await startLocalDynamo({ dataDir, store: 'memory', port: 0 });
  client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: localCredentials });
  grants = new DynamoGrantStore(createDocumentClient(client), LOCAL_TABLE_NAME);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const grant = (ticket: string, holder: string, system: string, entitlement: string): Grant => ({
  id: `G${ticket}`,
  holder,
  system,
  entitlement,
  ticket,
  from: '2026-11-02T09:00:00.000Z',
  until: null,
  status: 'active',
  endReason: null,
  overdue: false,
  events: [],
  revocationDueAt: null,
  noticeDueAt: null,
});

describe("a holder's grants, listed through the index", () => {
  it('narrows to one entitlement of one system when asked, newest first, and pages through them', async () => {
    // Prepare: Alex holds github-write twice, github-read once and wiki-read once; Bo github-write once.
    for (const each of [
      grant('01A', 'alex@x.com', 'github', 'github-write'),
      grant('01B', 'alex@x.com', 'github', 'github-read'),
      grant('01C', 'alex@x.com', 'wiki', 'wiki-read'),
      grant('01D', 'alex@x.com', 'github', 'github-write'),
      grant('01E', 'bo@x.com', 'github', 'github-write'),
    ]) {
      await grants.put(each);
    }

    // Act
    const first = await grants.list(
      { holder: 'alex@x.com', system: 'github', entitlement: 'github-write' },
      { limit: 1 },
    );
    const second = await grants.list(
      { holder: 'alex@x.com', system: 'github', entitlement: 'github-write' },
      { after: first.last ?? undefined, limit: 1 },
    );
    const onGithub = await grants.list({ holder: 'alex@x.com', system: 'github' }, { limit: 10 });

    // Assess
    expect(first.items.map((each) => each.id)).toEqual(['G01D']);
    expect(second).toEqual({ items: [expect.objectContaining({ id: 'G01A' })], last: null });
    expect(onGithub.items.map((each) => each.id)).toEqual(['G01D', 'G01B', 'G01A']);
  });
});
