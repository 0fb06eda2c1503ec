import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoGrantStore } from '../../functions/adapters/dynamodb/workflow-records';
import type { Grant } from '../../functions/domain/grants';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from '../../functions/local/dynamodb';
import { standingGrant } from '../support/ticket-factory';

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

const grantEvent: Grant['events'][number] = {
  seq: 1,
  type: 'revocation_requested',
  at: '2026-11-05T09:00:00.000Z',
  actor: 'alex@x.com',
  reason: null,
  from: 'active',
  to: 'revoking',
  data: {},
  prev: '0'.repeat(64),
  hash: '1'.repeat(64),
};

const grant = (ticket: string, holder: string, system: string, entitlement: string): Grant =>
  standingGrant(ticket, { holder, system, entitlement, from: '2026-11-02T09:00:00.000Z' });

describe("a holder's grants, listed through the index", () => {
  it("finds when a holder's last grant of one entitlement ended before an instant, reading one key", async () => {
    // Prepare: Alex's github-write grants ended on the 10th and the 20th, github-read on the 25th; Bo's
    // github-write on the 22nd; Alex holds github-write again, not ended.
    const ended = (ticket: string, holder: string, entitlement: string, at: string): Grant => ({
      ...grant(ticket, holder, 'github', entitlement),
      status: 'ended',
      events: [{ ...grantEvent, type: 'grant_ended', from: 'revoking', to: 'ended', at }],
    });
    await grants.put(ended('01A', 'alex@x.com', 'github-write', '2026-11-10T09:00:00.000Z'));
    await grants.put(ended('01B', 'alex@x.com', 'github-write', '2026-11-20T09:00:00.000Z'));
    await grants.put(ended('01C', 'alex@x.com', 'github-read', '2026-11-25T09:00:00.000Z'));
    await grants.put(ended('01D', 'bo@x.com', 'github-write', '2026-11-22T09:00:00.000Z'));
    await grants.put(grant('01E', 'alex@x.com', 'github', 'github-write'));

    // Act
    const lastEnded = (before: string) =>
      grants.lastEndedBefore('alex@x.com', 'github', 'github-write', before);
    const answers = await Promise.all(
      [
        '2026-11-30T00:00:00.000Z',
        '2026-11-20T09:00:00.000Z',
        '2026-11-15T00:00:00.000Z',
        '2026-11-01T00:00:00.000Z',
      ].map(lastEnded),
    );

    // Assess
    expect(answers).toEqual([
      '2026-11-20T09:00:00.000Z',
      '2026-11-20T09:00:00.000Z',
      '2026-11-10T09:00:00.000Z',
      null,
    ]);
  });

  it("lists a system's active standing grants only, and drops one once it begins to end", async () => {
    // Prepare: on the VPN, two standing grants and a time-bound one
    const standing = grant('02A', 'alex@x.com', 'vpn', 'vpn-user');
    await grants.put(standing);
    await grants.put(grant('02B', 'bo@x.com', 'vpn', 'vpn-user'));
    await grants.put({
      ...grant('02C', 'bo@x.com', 'vpn', 'vpn-admin'),
      until: '2026-11-03T09:00:00.000Z',
    });
    const before = await grants.activeStandingGrants('vpn');

    // Act: Alex's begins to end (one more event than stored)
    await grants.put({ ...standing, status: 'revoking', events: [grantEvent] });
    const after = await grants.activeStandingGrants('vpn');

    // Assess
    expect(before.map((each) => each.id).sort()).toEqual(['G02A', 'G02B']);
    expect(after.map((each) => each.id)).toEqual(['G02B']);
  });

  it('reads, when asked, only the standing grants whose ticket was filed before a time', async () => {
    // Prepare: on the wiki, standing grants of tickets filed a millisecond apart around noon, and a day later
    const noon = Date.parse('2026-08-01T12:00:00.000Z');
    const filedAt = [noon - 1, noon, noon + 1, noon + 86_400_000];
    const tickets = filedAt.map((at) => ulid(at));
    for (const ticket of tickets) await grants.put(grant(ticket, 'alex@x.com', 'wiki', 'wiki-edit'));

    // Act
    const [all, beforeNoon, beforeNextDay] = await Promise.all([
      grants.activeStandingGrants('wiki'),
      grants.activeStandingGrants('wiki', new Date(noon)),
      grants.activeStandingGrants('wiki', new Date(noon + 2)),
    ]);

    // Assess
    const ids = (found: Grant[]) => found.map((each) => each.ticket).sort();
    expect(ids(all)).toEqual([...tickets].sort());
    expect(ids(beforeNoon)).toEqual([tickets[0]]);
    expect(ids(beforeNextDay)).toEqual(tickets.slice(0, 3).sort());
  });
});
