import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoDirectory } from '../../functions/adapters/dynamodb/directory-store';
import { LOCAL_TABLE_NAME, localCredentials } from '../../functions/local/dynamodb';
import { accessBody, supportBody } from '../support/bodies';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { waitForTicket } from '../support/tickets';

/**
 * Every ticket has someone who can act on it, or is refused at once with the reason: routing on the
 * demo directory and catalog, through the API, as a requester sees it.
 */

interface TicketBody {
  [key: string]: unknown;
  id: string;
  status: string;
  closure: string | null;
  decision: { outcome: string; stages: string[]; reason: string | null };
  approvals: { stage: string; candidates: string[]; path: string[] }[];
  timeline: { type: string; reason: string | null }[];
}

let tollgate: TestRuntime;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  // The queue test changes the catalog mid-run: every read must see it.
  process.env.DIRECTORY_CACHE_SECONDS = '0';
  tollgate = await startTestRuntime();
  dynamo = new DynamoDBClient({
    endpoint: tollgate.runtime.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: localCredentials,
  });
});

afterAll(async () => {
  dynamo?.destroy();
  await tollgate?.close();
});

async function file(requester: string, body: Record<string, unknown>) {
  const client = await tollgate.as(requester);
  const created = await client.post<TicketBody>('/requests', body);
  return { client, created };
}

describe('a request nobody may fulfil', () => {
  it('is filed (201) and closes as auto_rejected with no_eligible_fulfiller when its sole fulfiller asks for it', async () => {
    // Act: Ian is the wiki's only fulfiller, and nobody fulfils a grant to themselves.
    const { client, created } = await file(
      people.ian,
      accessBody({ system: 'wiki', entitlement: 'wiki-read' }),
    );

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.decision).toMatchObject({
      outcome: 'auto_rejected',
      reason: 'no_eligible_fulfiller',
    });
    const closed = await waitForTicket<TicketBody>(client, created.body.id, (t) => t.status === 'closed');
    expect(closed.closure).toBe('auto_rejected');
    expect(closed.timeline.at(-1)?.reason).toBe('no_eligible_fulfiller');
  });

  it('is refused the same way when the sole fulfiller of aws-prod asks for its access', async () => {
    // Act
    const { created } = await file(
      people.ivan,
      accessBody({ system: 'aws-prod', entitlement: 'aws-prod-read' }),
    );

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.decision.reason).toBe('no_eligible_fulfiller');
  });
});

describe('a system’s sole fulfiller', () => {
  it('is passed over as the sole approver: Ian’s aws-prod request goes past Ivan to Dana', async () => {
    // Act: Ivan is Ian's manager and the only one who fulfils aws-prod.
    const { client, created } = await file(
      people.ian,
      accessBody({ system: 'aws-prod', entitlement: 'aws-prod-read' }),
    );

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.approvals[0]).toMatchObject({
      candidates: [people.dana],
      path: [people.ivan, people.dana],
    });
    const waiting = await waitForTicket<TicketBody>(client, created.body.id, (t) => t.status !== 'submitted');
    expect(waiting.status).toBe('pending_approval');
  });
});

describe('a support request', () => {
  it('is a 400 on category when no queue serves its category', async () => {
    // Prepare: network operations stop serving the network category.
    const directory = new DynamoDirectory(createDocumentClient(dynamo), LOCAL_TABLE_NAME);
    await directory.put({
      queues: [
        { id: 'network-ops', name: 'Network operations', categories: ['hardware'], members: [people.ivan] },
      ],
    });

    // Act
    const { created } = await file(people.alex, supportBody({ category: 'network' }));

    // Assess
    expect(created.status).toBe(400);
    expect(Object.keys((created.body as unknown as { error: { fields: object } }).error.fields)).toEqual([
      'category',
    ]);
  });
});
