import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertPublicTarget } from '../../functions/adapters/webhook-sender';
import { people } from '../support/seed';
import {
  approvedHrisRequest,
  grantListed,
  sendWebhook,
  startWithProvisioningReceiver,
} from '../support/webhooks';
import { eventually } from '../support/workflow-client';

/** The demo `hris` system is provisioned by webhook: a local receiver stands in for its integration. */

type Provisioning = Awaited<ReturnType<typeof startWithProvisioningReceiver>>;
let provisioning: Provisioning;
let server: Provisioning['server'];
let client: Provisioning['client'];
let receiver: Provisioning['receiver'];
let secrets: Provisioning['secrets'];

beforeAll(async () => {
  provisioning = await startWithProvisioningReceiver();
  ({ server, client, receiver, secrets } = provisioning);
});

afterAll(async () => {
  await provisioning?.stop();
});

afterEach(() => {
  receiver.answerWith(() => 202);
});

describe('provisioning by webhook', () => {
  it('asks the integration by a signed grant.requested, and its fulfilment.completed grants the access', async () => {
    // Prepare
    const ticket = await approvedHrisRequest(client);
    const asked = await receiver.first(ticket.id, 'grant.requested');

    // Act
    const answer = await sendWebhook(server.url, 'provisioning', secrets.provisioning?.[0] ?? '', {
      type: 'fulfilment.completed',
      data: { ticket: ticket.id, delivery: asked.body.data.delivery ?? '', note: 'Account created' },
    });

    // Assess
    expect(asked.verified).toBe(true);
    expect(asked.body).toMatchObject({
      type: 'grant.requested',
      data: {
        ticket: ticket.id,
        grant: `G${ticket.id}`,
        holder: people.alex,
        system: 'hris',
        entitlement: 'hris-read',
      },
    });
    expect(Object.keys(asked.body.data).sort()).toEqual(
      ['delivery', 'entitlement', 'grant', 'holder', 'system', 'ticket', 'until'].sort(),
    );
    expect(JSON.stringify(asked)).not.toMatch(/token|https?:\/\/127\.0\.0\.1/i);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const granted = await client.ticketWhen(people.alex, ticket.id, (t) => t.status === 'active');
    expect(granted.timeline.find((event) => event.type === 'fulfilment_reported')).toMatchObject({
      actor: expect.stringMatching(/^webhook:provisioning\//),
    });
  }, 90_000);

  it('asks the integration by a signed revoke.requested when the grant ends, and its fulfilment.completed closes the ticket revoked', async () => {
    // Prepare: Bo holds hris-read, provisioned by the integration (nobody else's grant of it covers his)
    const ticket = await approvedHrisRequest(client, people.bo);
    const granted = await receiver.first(ticket.id, 'grant.requested');
    await sendWebhook(server.url, 'provisioning', secrets.provisioning?.[0] ?? '', {
      type: 'fulfilment.completed',
      data: { ticket: ticket.id, delivery: granted.body.data.delivery ?? '' },
    });
    const active = await client.ticketWhen(people.bo, ticket.id, (t) => t.status === 'active');
    await grantListed(client, people.bo, ticket.id);

    // Act: Bo ends it early; the integration is asked, fails to say it failed, then removes it
    const ended = await client.call(people.bo, 'POST', `/grants/G${ticket.id}/revoke`, {
      reason: 'The onboarding review is done',
    });
    const asked = await receiver.first(ticket.id, 'revoke.requested');
    const report = (type: string) =>
      sendWebhook(server.url, 'provisioning', secrets.provisioning?.[0] ?? '', {
        type,
        data: { ticket: ticket.id, delivery: asked.body.data.delivery ?? '', note: 'Account disabled' },
      });
    const failed = await report('fulfilment.failed');
    const completed = await report('fulfilment.completed');
    const again = await report('fulfilment.completed');

    // Assess
    expect(ended.status).toBe(202);
    expect(asked.verified).toBe(true);
    expect(asked.body).toMatchObject({
      type: 'revoke.requested',
      data: {
        ticket: ticket.id,
        grant: `G${ticket.id}`,
        holder: people.bo,
        system: 'hris',
        entitlement: 'hris-read',
        until: active.grant?.until,
      },
    });
    expect(asked.body.data.delivery).not.toBe(granted.body.data.delivery);
    expect(JSON.stringify(asked)).not.toMatch(/token|https?:\/\/127\.0\.0\.1/i);
    expect(failed.status).toBe(409);
    expect(JSON.stringify(failed.body)).toMatch(/cannot fail/);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(again.status).toBe(409);
    const closed = await client.ticketWhen(people.bo, ticket.id, (t) => t.status === 'closed');
    expect(closed.closure).toBe('revoked');
    expect(closed.timeline.find((event) => event.type === 'revocation_confirmed')).toMatchObject({
      actor: expect.stringMatching(/^webhook:provisioning\//),
      data: { via: 'webhook' },
    });
  }, 90_000);

  it("gets grant.requested through an integration that answers 500 twice by the sender's retries: one grant, one completion", async () => {
    // Prepare: the integration fails the first two grant.requested it gets for Felix
    const forFelix = (webhook: { body: { type: string; data: Record<string, string | null> } }) =>
      webhook.body.type === 'grant.requested' && webhook.body.data.holder === people.felix;
    receiver.answerWith((webhook, before) =>
      forFelix(webhook) && before.filter(forFelix).length < 2 ? 500 : 202,
    );
    const ticket = await approvedHrisRequest(client, people.felix);

    // Act: the third attempt is taken; the integration sets the access up and says so
    const taken = await receiver.nth(ticket.id, 'grant.requested', 3);
    const answer = await sendWebhook(server.url, 'provisioning', secrets.provisioning?.[0] ?? '', {
      type: 'fulfilment.completed',
      data: { ticket: ticket.id, delivery: taken.body.data.delivery ?? '', note: 'Account created' },
    });
    const granted = await client.ticketWhen(people.felix, ticket.id, (t) => t.status === 'active');
    const grants = await eventually(async () => {
      const listed = await client.call<{ items: { id: string; ticket: string; status: string }[] }>(
        people.felix,
        'GET',
        `/grants?identity=${encodeURIComponent(people.felix)}&system=hris`,
      );
      return listed.body.items.length > 0 ? listed.body.items : undefined;
    });

    // Assess
    const asked = receiver.all(ticket.id, 'grant.requested');
    expect(asked.map(({ status, verified }) => ({ status, verified }))).toEqual([
      { status: 500, verified: true },
      { status: 500, verified: true },
      { status: 202, verified: true },
    ]);
    expect(new Set(asked.map((webhook) => webhook.headers['webhook-id'])).size).toBe(1);
    expect(new Set(asked.map((webhook) => webhook.body.data.delivery)).size).toBe(1);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(granted.fulfilment).toMatchObject({
      result: 'done',
      by: `webhook:provisioning/${answer.body.webhook}`,
    });
    const types = granted.timeline.map((event) => event.type);
    expect(types.filter((type) => type === 'fulfilment_reported')).toHaveLength(1);
    expect(types).not.toContain('reminded');
    expect(grants).toEqual([
      expect.objectContaining({ id: `G${ticket.id}`, ticket: ticket.id, status: 'active' }),
    ]);
    const fallbackEmails = (await client.outbox()).filter(
      (message) => message.to.includes(people.ian) && message.subject.includes(ticket.id),
    );
    expect(fallbackEmails).toEqual([]);
  }, 90_000);

  it('refuses a report from an integration that does not provision the system', async () => {
    // Prepare
    const ticket = await approvedHrisRequest(client);

    // Act
    const answer = await sendWebhook(server.url, 'hr', secrets.hr?.[0] ?? '', {
      type: 'fulfilment.completed',
      data: { ticket: ticket.id, delivery: `${ticket.id}.fulfilment` },
    });

    // Assess
    expect(answer.status).toBe(403);
  }, 90_000);
});

describe('a webhook target', () => {
  it.each([
    'https://127.0.0.1/hook',
    'https://10.1.2.3/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/hook',
    'http://example.com/hook',
  ])('is refused outside local mode: %s', async (url) => {
    // Prepare
    const allowInternal = false;

    // Act
    const refusal = await assertPublicTarget(url, allowInternal).catch((error: Error) => error);

    // Assess
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as Error).name).toBe('RefusedTargetError');
  });
});
