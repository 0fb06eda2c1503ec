import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../support/seed';
import { partitionItems } from '../support/table';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { localWebhookSecrets, sendWebhook } from '../support/webhooks';
import { type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * Integrations post signed events (Standard Webhooks), signed here with the standardwebhooks library
 * as a real sender signs them, against the whole local system.
 */

let server: TollgateProcess;
let client: TollgateClient;
let secrets: Record<string, string[]>;

beforeAll(async () => {
  server = await startTollgate({ env: { DIRECTORY_CACHE_SECONDS: '0' } });
  client = new TollgateClient(server.url);
  secrets = localWebhookSecrets(server.dataDir);
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

const hr = (type: string, data: Record<string, unknown>, options = {}) =>
  sendWebhook(server.url, 'hr', secrets.hr?.[0] ?? '', { type, data }, options);
const servicedesk = (data: Record<string, unknown>, options = {}) =>
  sendWebhook(
    server.url,
    'servicedesk',
    secrets.servicedesk?.[0] ?? '',
    { type: 'ticket.create', data },
    options,
  );

let made = 0;
const unique = (name: string) => `${name}.${++made}@webhooks.example.com`;

/** A person HR reports as joining. */
async function joined(fields: Record<string, unknown> = {}): Promise<string> {
  const id = unique(String(fields.name ?? 'person'));
  const answer = await hr('identity.created', {
    identity: id,
    kind: 'human',
    name: id,
    department: 'Engineering',
    ...fields,
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return id;
}

const githubWrite = {
  type: 'access',
  system: 'github',
  entitlement: 'github-write',
  justification: 'Push the release branch for 4.2',
};

describe('an HR event', () => {
  it('adds a person with no roles, whatever the event says, and names the webhook in the answer', async () => {
    // Prepare
    const id = unique('newcomer');

    // Act
    const answer = await hr(
      'identity.created',
      { identity: id, kind: 'human', name: 'New Comer', department: 'Sales' },
      { id: 'msg_newcomer' },
    );

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ webhook: 'msg_newcomer', identity: id, created: true });
    const entry = await client.call(people.ivan, 'GET', `/directory/${encodeURIComponent(id)}`);
    expect(entry.body).toMatchObject({ id, department: 'Sales', status: 'active', roles: [] });
  });

  it('changes the fields it names and keeps the roles an admin gave', async () => {
    // Prepare
    const id = await joined();
    await client.call(people.ivan, 'PUT', `/directory/${encodeURIComponent(id)}`, {
      id,
      kind: 'human',
      name: id,
      department: 'Engineering',
      status: 'active',
      roles: ['auditor'],
    });

    // Act
    const answer = await hr('identity.updated', { identity: id, department: 'Finance', title: 'Analyst' });

    // Assess
    expect(answer.status).toBe(200);
    const entry = await client.call(people.ivan, 'GET', `/directory/${encodeURIComponent(id)}`);
    expect(entry.body).toMatchObject({ department: 'Finance', title: 'Analyst', roles: ['auditor'] });
  });

  it('refuses roles with 400 naming the field, and writes nothing', async () => {
    // Prepare
    const id = await joined();

    // Act
    const answer = await hr('identity.updated', { identity: id, roles: ['admin'] }, { id: 'msg_roles' });

    // Assess
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('roles');
    const entry = await client.call(people.ivan, 'GET', `/directory/${encodeURIComponent(id)}`);
    expect(entry.body).toMatchObject({ roles: [] });
    const endpoints = await client.endpoints();
    expect(await partitionItems(endpoints.dynamodb, 'IDEMPOTENCY#webhook:hr#msg_roles')).toEqual([]);
  });
});

describe('identity.departed', () => {
  it("moves the departed manager's open stage to their manager and revokes their grants, each naming the webhook", async () => {
    // Prepare
    const boss = await joined({ name: 'boss' });
    const manager = await joined({ name: 'manager', managerId: boss });
    const report = await joined({ name: 'report', managerId: manager });
    const granted = await client.grantThrough(manager, boss, people.ian, githubWrite);
    const { body: pending } = await client.call<{ id: string }>(report, 'POST', '/requests', githubWrite);
    await client.linkFor(manager, pending.id, 'Approval needed');

    // Act
    const answer = await hr('identity.departed', { identity: manager }, { id: 'msg_departure' });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body, JSON.stringify(answer.body)).toMatchObject({
      webhook: 'msg_departure',
      stagesMoved: [{ ticket: pending.id, stage: 'manager', from: [manager], to: [boss] }],
      grantsRevoked: [granted.grant.id],
    });
    const moved = await client.ticketWhen(report, pending.id, (ticket) =>
      ticket.timeline.some((event) => event.type === 'stage_moved'),
    );
    expect(moved.timeline.find((event) => event.type === 'stage_moved')?.actor).toBe(
      'webhook:hr/msg_departure',
    );
    const entry = await client.call(people.ivan, 'GET', `/directory/${encodeURIComponent(manager)}`);
    expect(entry.body).toMatchObject({ status: 'departed' });
  });
});

describe('ticket.create', () => {
  it('files a request for the requester through intake, answering its id, and the timeline names the webhook', async () => {
    // Prepare
    const requester = people.alex;

    // Act
    const answer = await servicedesk({ requester, ...githubWrite }, { id: 'msg_file_1' });

    // Assess
    expect(answer.status).toBe(201);
    const ticketId = (answer.body.ticket as { id: string }).id;
    const ticket = await client.ticket(requester, ticketId);
    expect(ticket.requester).toBe(requester);
    expect(ticket.timeline.find((event) => event.type === 'received_by_webhook')).toMatchObject({
      actor: 'webhook:servicedesk/msg_file_1',
      data: { webhook: 'msg_file_1', integration: 'servicedesk' },
    });
  });

  it('refuses what intake refuses, with 400 naming the field', async () => {
    // Prepare
    const body = { requester: people.alex, ...githubWrite, entitlement: 'no-such-thing' };

    // Act
    const answer = await servicedesk(body);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('invalid_request');
  });

  it('answers a replay with the original response and files one ticket', async () => {
    // Prepare
    const at = new Date();
    const first = await servicedesk({ requester: people.bo, ...githubWrite }, { id: 'msg_replayed', at });

    // Act
    const again = await servicedesk({ requester: people.bo, ...githubWrite }, { id: 'msg_replayed', at });

    // Assess
    expect(again.body).toEqual(first.body);
    expect(again.status).toBe(201);
    const own = await client.call<{ items: Ticket[] }>(people.bo, 'GET', '/requests?limit=100');
    expect(
      own.body.items.filter((ticket) => ticket.id === (first.body.ticket as { id: string }).id),
    ).toHaveLength(1);
  });

  it('answers copies arriving together with one ticket', async () => {
    // Prepare
    const requester = await joined({ name: 'concurrent' });
    const at = new Date();
    const send = () => servicedesk({ requester, ...githubWrite }, { id: 'msg_concurrent', at });

    // Act
    const answers = await Promise.all([send(), send(), send(), send()]);

    // Assess
    const ids = new Set(answers.map((answer) => (answer.body.ticket as { id: string } | undefined)?.id));
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    expect(ids.size).toBe(1);
    const own = await client.call<{ items: Ticket[] }>(requester, 'GET', '/requests?limit=100');
    expect(own.body.items).toHaveLength(1);
  });
});

describe('a webhook refused', () => {
  const valid = () => ({ identity: unique('refused'), kind: 'human', name: 'R', department: 'Sales' });
  type Case = (id: string, data: Record<string, unknown>) => ReturnType<typeof hr>;
  const other = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

  it.each<[string, number, Case]>([
    [
      'a signature by another secret',
      401,
      (id, data) => sendWebhook(server.url, 'hr', other, { type: 'identity.created', data }, { id }),
    ],
    [
      'a timestamp 6 minutes old',
      401,
      (id, data) => hr('identity.created', data, { id, at: new Date(Date.now() - 6 * 60_000) }),
    ],
    [
      'a timestamp 6 minutes ahead',
      401,
      (id, data) => hr('identity.created', data, { id, at: new Date(Date.now() + 6 * 60_000) }),
    ],
    [
      'an unknown integration',
      404,
      (id, data) =>
        sendWebhook(server.url, 'nobody', secrets.hr?.[0] ?? '', { type: 'identity.created', data }, { id }),
    ],
    ['a body that is not JSON', 400, (id) => hr('identity.created', {}, { id, rawBody: '{"type": ' })],
    [
      'a body over 64 KiB',
      413,
      (id, data) => hr('identity.created', { ...data, title: 'x'.repeat(70_000) }, { id }),
    ],
    [
      'an event type the integration may not send',
      403,
      (id) => hr('ticket.create', { requester: people.alex, ...githubWrite }, { id }),
    ],
    ['an unknown event type', 400, (id, data) => hr('identity.renamed', data, { id })],
    ['data missing a field', 400, (id, data) => hr('identity.created', { identity: data.identity }, { id })],
  ])('answers %s with %i and writes nothing', async (_case, status, send) => {
    // Prepare
    const id = `msg_refused_${++made}`;
    const data = valid();

    // Act
    const answer = await send(id, data);

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body.error?.message).toBeTruthy();
    const endpoints = await client.endpoints();
    for (const integration of ['hr', 'nobody']) {
      expect(await partitionItems(endpoints.dynamodb, `IDEMPOTENCY#webhook:${integration}#${id}`)).toEqual(
        [],
      );
    }
    const entry = await client.call(
      people.ivan,
      'GET',
      `/directory/${encodeURIComponent(String(data.identity))}`,
    );
    expect(entry.status).toBe(404);
  });

  it('logs a refusal without the body or any secret', async () => {
    // Prepare
    const marker = unique('never-logged');

    // Act
    await hr(
      'identity.created',
      { identity: marker, kind: 'human', name: 'N', department: 'D' },
      {
        at: new Date(Date.now() - 3600_000),
      },
    );

    // Assess
    const output = server.output();
    expect(output).toContain('Webhook refused');
    expect(output).not.toContain(marker);
    for (const secret of Object.values(secrets).flat()) expect(output).not.toContain(secret.slice(6));
  });
});

describe('a rotated secret', () => {
  it('verifies events signed with the new secret at once, and with the old one until it is removed', async () => {
    // Prepare
    const { secretsmanager } = await client.endpoints();
    const manager = new SecretsManagerClient({
      endpoint: secretsmanager,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const old = secrets.hr?.[0] ?? '';
    const rotated = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    await hr('identity.created', valid());
    // A signature no cached secret matches has the secret read again, at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));

    // Act
    await manager.send(
      new PutSecretValueCommand({ SecretId: 'hr', SecretString: JSON.stringify([rotated, old]) }),
    );
    const byNew = await sendWebhook(server.url, 'hr', rotated, { type: 'identity.created', data: valid() });
    const byOld = await sendWebhook(server.url, 'hr', old, { type: 'identity.created', data: valid() });

    // Assess
    expect(byNew.status).toBe(200);
    expect(byOld.status).toBe(200);
  });

  function valid() {
    return { identity: unique('rotation'), kind: 'human', name: 'R', department: 'Sales' };
  }
});
