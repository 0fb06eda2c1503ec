import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoLinkStore, DynamoTaskStore } from '../../functions/adapters/dynamodb/workflow-records';
import type { LinkRecord, TaskRecord } from '../../functions/app/ports';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from '../../functions/local/dynamodb';

describe('inboxes on the links, on dynalite', () => {
  let dataDir: string;
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
  let client: DynamoDBClient;
  let tasks: DynamoTaskStore;
  let links: DynamoLinkStore;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-inbox-'));
    dynamo = await startLocalDynamo({ dataDir, store: 'memory', port: 0 });
    client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: localCredentials });
    const db = createDocumentClient(client);
    tasks = new DynamoTaskStore(db, LOCAL_TABLE_NAME);
    links = new DynamoLinkStore(db, LOCAL_TABLE_NAME);
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A fulfilment wait for `assignees`, stored, with a link put for each as notify puts them. */
  async function waitWithLinks(assignees: string[]): Promise<{ task: TaskRecord; sent: LinkRecord[] }> {
    const ticketId = ulid();
    const task: TaskRecord = {
      id: `${ticketId}.fulfilment`,
      ticketId,
      kind: 'fulfilment',
      stageIndex: null,
      token: 'token',
      assignees,
      deadline: '2026-12-01T00:00:00.000Z',
      createdAt: '2026-11-30T00:00:00.000Z',
      notifiedAt: null,
    };
    await tasks.put(task);
    const sent = assignees.map((identity) => ({
      hash: ulid(),
      purpose: 'fulfilment' as const,
      ticketId,
      taskId: task.id,
      identity,
      expiresAt: task.deadline,
      usedAt: null,
      createdAt: task.createdAt,
    }));
    for (const link of sent) await links.put(link);
    return { task, sent };
  }

  const inboxOf = async (identity: string) =>
    (await tasks.forAssignee(identity, 'fulfilment')).map((task) => task.id);

  it('lists a wait in the inbox of each person sent a link for it, of that kind only, until it retires; the links stay usable', async () => {
    // Prepare
    const { task, sent } = await waitWithLinks(['ian@example.com', 'bo@example.com']);

    // Act
    const before = [await inboxOf('ian@example.com'), await inboxOf('bo@example.com')];
    const asApprover = await tasks.forAssignee('ian@example.com', 'approval');
    await tasks.retire(task);
    const after = [await inboxOf('ian@example.com'), await inboxOf('bo@example.com')];

    // Assess
    expect(before).toEqual([[task.id], [task.id]]);
    expect(asApprover).toEqual([]);
    expect(after).toEqual([[], []]);
    expect(await links.get(sent[0]?.hash ?? '')).toMatchObject({ taskId: task.id, usedAt: null });
    await expect(links.markUsed(sent[0]?.hash ?? '', '2026-11-30T01:00:00.000Z')).resolves.toBeUndefined();
  });

  it('lists a wait once for a person sent two links for it (a notify step that ran again)', async () => {
    // Prepare
    const { task } = await waitWithLinks(['ian@example.com', 'ian@example.com']);

    // Act
    const inbox = await inboxOf('ian@example.com');

    // Assess
    expect(inbox.filter((id) => id === task.id)).toEqual([task.id]);
  });

  it('writes nothing when a task that already retired retires again', async () => {
    // Prepare
    const { task } = await waitWithLinks(['ian@example.com']);
    await tasks.retire(task);
    const updates = dynamo.counts.operations.UpdateItem ?? 0;

    // Act
    await tasks.retire(task);

    // Assess
    expect(dynamo.counts.operations.UpdateItem ?? 0).toBe(updates);
  });
});
