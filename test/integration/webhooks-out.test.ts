import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundEventTypes } from '../../functions/domain/outbound/events';
import { LOCAL_TABLE_NAME } from '../../functions/local/dynamodb';
import { people } from '../support/seed';
import { withLocalTable } from '../support/table';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { localWebhookSecrets, startSubscriber, unusedPort } from '../support/webhooks';
import { eventually, TollgateClient } from '../support/workflow-client';

/**
 * Webhooks out, against the whole system as `npm start` runs it: three subscribers from
 * configuration, each a real HTTP receiver verifying signatures with `standardwebhooks`. At
 * TOLLGATE_TIME_SCALE 0.0002 a delivery's 24 hours of retries last 17 seconds, and the
 * dispatcher's schedule (a minute) runs every second, the local scheduler's shortest period.
 */
const TIME_SCALE = '0.0002';
const ivan = 'ivan.it@example.com';
/** Every event type there is: the subscriber `tap` wants them all. */
const ALL = [...outboundEventTypes];

interface Delivery {
  id: string;
  subscriber: string;
  ticket: string;
  status: string;
  attempts: number;
  event: { id: string; type: string };
  lastAttempt: { result: string } | null;
  redrives: { at: string; by: string }[];
}

let server: TollgateProcess;
let client: TollgateClient;
let secrets: Record<string, string[]>;
let flaky: Awaited<ReturnType<typeof startSubscriber>>;
let tap: Awaited<ReturnType<typeof startSubscriber>>;
let gonePort: number;

const secretOf = (subscriber: string) => () => secrets[`subscriber-${subscriber}`]?.[0] ?? '';

beforeAll(async () => {
  flaky = await startSubscriber(secretOf('flaky'), { up: false });
  tap = await startSubscriber(secretOf('tap'));
  gonePort = await unusedPort();
  server = await startTollgate({
    env: {
      TOLLGATE_TIME_SCALE: TIME_SCALE,
      WEBHOOK_SUBSCRIBERS: JSON.stringify([
        { name: 'flaky', url: flaky.url, events: ['ticket.created', 'ticket.decided'] },
        { name: 'gone', url: `http://127.0.0.1:${gonePort}/events`, events: ['ticket.created'] },
        { name: 'tap', url: tap.url, events: ALL },
      ]),
    },
  });
  client = new TollgateClient(server.url);
  secrets = localWebhookSecrets(server.dataDir);
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
  await flaky?.close();
  await tap?.close();
});

const deliveries = async (status: string, as = ivan) =>
  client.call<{ items: Delivery[]; next: string | null }>(
    as,
    'GET',
    `/webhooks/deliveries?status=${status}&limit=100`,
  );

/** Ivan's read access to the wiki: policy approves it at once, so it is created and decided at intake. */
async function fileAutoApproved(): Promise<string> {
  const filed = await client.call<{ id: string }>(ivan, 'POST', '/requests', {
    type: 'access',
    system: 'wiki',
    entitlement: 'wiki-read',
    justification: 'Read the on-call runbooks',
  });
  expect(filed.status, JSON.stringify(filed.body)).toBe(201);
  return filed.body.id;
}

describe('webhooks out', () => {
  it('retries a subscriber that is down until it is up, and each event then arrives signed, once', async () => {
    // Prepare: flaky answers 503
    const id = await fileAutoApproved();
    const createdId = `${id}.1.0`;
    await eventually(async () =>
      flaky.attempts.filter((a) => a.id === createdId).length >= 3 ? true : undefined,
    );

    // Act
    flaky.up();
    const events = await flaky.receivedAll(id, ['ticket.created', 'ticket.decided']);

    // Assess
    const pending = await deliveries('delivered');
    const created = pending.body.items.find((delivery) => delivery.id === `${createdId}.flaky`);
    expect(created).toMatchObject({ status: 'delivered', subscriber: 'flaky', ticket: id });
    expect(created?.attempts).toBeGreaterThanOrEqual(4);
    expect(flaky.attempts.filter((a) => a.id === createdId && !a.up).length).toBe(
      (created?.attempts ?? 0) - 1,
    );
    // Retried deliveries arrive in no set order: a subscriber orders one ticket's events by ticketVersion.
    events.sort((a, b) => Number(a.body.data.ticketVersion) - Number(b.body.data.ticketVersion));
    expect(events.map((event) => [event.body.type, event.verified])).toEqual([
      ['ticket.created', true],
      ['ticket.decided', true],
    ]);
    expect(events[0]?.id).toBe(createdId);
    expect(events[0]?.body).toEqual({
      type: 'ticket.created',
      version: 1,
      timestamp: expect.any(String),
      data: expect.objectContaining({
        ticket: id,
        number: expect.stringMatching(/^TG-\d+$/),
        status: 'submitted',
        requester: ivan,
        system: 'wiki',
        entitlement: 'wiki-read',
      }),
    });
    expect(events[1]?.body.data).toMatchObject({
      outcome: 'approved',
      decidedBy: 'policy',
      status: 'fulfilling',
    });
    expect(tap.of(id).map((event) => event.body.type)).toContain('ticket.created');
  }, 60_000);

  it('fails a delivery to a subscriber that stays down after 24 (scaled) hours, and an admin redrives it once it is up', async () => {
    // Prepare: nothing listens for `gone`
    const id = await fileAutoApproved();
    const deliveryId = `${id}.1.0.gone`;
    const failed = await eventually(async () => {
      const found = (await deliveries('failed')).body.items.find((delivery) => delivery.id === deliveryId);
      return found;
    }, 40_000);
    const gone = await startSubscriber(secretOf('gone'), { port: gonePort });

    try {
      // Act
      const refused = await client.call(people.alex, 'POST', `/webhooks/deliveries/${deliveryId}/redrive`);
      const redriven = await client.call<Delivery>(
        ivan,
        'POST',
        `/webhooks/deliveries/${deliveryId}/redrive`,
      );
      const again = await client.call<{ error: { code: string } }>(
        ivan,
        'POST',
        `/webhooks/deliveries/${deliveryId}/redrive`,
      );
      const [received] = await gone.receivedAll(id, ['ticket.created']);

      // Assess
      expect(failed.attempts).toBeGreaterThan(5);
      expect(failed.lastAttempt?.result).toBe('could not connect (ECONNREFUSED)');
      expect(refused.status).toBe(403);
      expect(redriven.status).toBe(202);
      expect(redriven.body).toMatchObject({ status: 'pending', redrives: [{ by: ivan }] });
      expect(again.status).toBe(409);
      expect(received).toMatchObject({ id: `${id}.1.0`, verified: true });
      const delivered = await eventually(async () =>
        (await deliveries('delivered')).body.items.find((delivery) => delivery.id === deliveryId),
      );
      expect(delivered.attempts).toBe(failed.attempts + 1);
      expect(gone.of(id)).toHaveLength(1);
      expect((await client.call(ivan, 'POST', '/webhooks/deliveries/no-such-delivery/redrive')).status).toBe(
        404,
      );
    } finally {
      await gone.close();
    }
  }, 90_000);

  it('tells a subscriber the whole life of a grant, and no payload carries a link, a token or a secret', async () => {
    // Prepare
    const granted = await client.grantThrough(people.alex, people.erin, people.ian, {
      type: 'access',
      system: 'github',
      entitlement: 'github-write',
      justification: 'Push the release branch for 4.2',
      duration: 'P7D',
    });

    // Act: Alex ends it early; Ian confirms from his link
    const revoke = await client.call(people.alex, 'POST', `/grants/${granted.grant.id}/revoke`, {
      reason: 'The release is out',
    });
    const link = await client.linkFor(people.ian, granted.id, 'To revoke', 30_000);
    await client.submitLink(link, { confirm: 'revoked', comment: 'Removed from the org' });
    const events = await tap.receivedAll(granted.id, ALL);

    // Assess
    expect(revoke.status).toBe(202);
    const byVersion = [...events].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    expect(byVersion.map((event) => event.body.type)).toEqual([
      'ticket.created',
      'ticket.decided',
      'ticket.fulfilled',
      'grant.activated',
      'grant.ended',
      'ticket.closed',
    ]);
    expect(events.every((event) => event.verified)).toBe(true);
    expect(byVersion.at(-1)?.body.data).toMatchObject({ status: 'closed', closure: 'revoked' });
    const links = (await client.outbox())
      .filter((message) => message.subject.includes(granted.id))
      .flatMap((message) => message.links);
    const linkTokens = links.map((href) => href.split('/a/')[1] ?? '').filter((token) => token !== '');
    const endpoints = await client.endpoints();
    const taskTokens = await withLocalTable(endpoints.dynamodb, async (db) => {
      const { Items } = await db.send(new ScanCommand({ TableName: LOCAL_TABLE_NAME }));
      return (Items ?? [])
        .filter((item) => String(item.pk).startsWith('TASK#') && item.ticketId === granted.id)
        .map((item) => String(item.token));
    });
    const localSecrets = JSON.parse(readFileSync(join(server.dataDir, 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    const secretValues = [...Object.values(secrets).flat(), ...Object.values(localSecrets)];
    expect(linkTokens.length).toBeGreaterThan(2);
    expect(taskTokens.length).toBeGreaterThan(2);
    const payloads = events.map((event) => event.text).join('\n');
    for (const value of [...linkTokens, ...taskTokens, ...secretValues]) {
      expect(payloads).not.toContain(value);
    }
    expect(payloads).not.toMatch(/https?:|\/a\/|Push the release|The release is out|Removed from the org/);
  }, 90_000);
});
