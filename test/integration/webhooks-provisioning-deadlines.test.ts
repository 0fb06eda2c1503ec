import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import {
  approvedHrisRequest,
  grantListed,
  sendWebhook,
  startWithProvisioningReceiver,
} from '../support/webhooks';
import { eventually } from '../support/workflow-client';

/**
 * The demo `hris` system's integration is slow, unreachable or never answers. Time runs 10,000 times
 * faster: the fulfilment's reminder and escalation (24 and 48 hours) come after 8.6 and 17.3 s, a
 * revocation's (4 and 8 hours) after 1.4 and 2.9 s. The sender's own retries are not scaled (0.4
 * and 0.8 s apart).
 */
const TIME_SCALE = '0.0001';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:000000000000:execution:access-request:';

let provisioning: Awaited<ReturnType<typeof startWithProvisioningReceiver>>;

beforeAll(async () => {
  provisioning = await startWithProvisioningReceiver({ TOLLGATE_TIME_SCALE: TIME_SCALE });
}, 60_000);

afterAll(async () => {
  await provisioning?.stop();
});

afterEach(() => {
  provisioning?.receiver.answerWith(() => 202);
});

/** The integration's signed report on `delivery`, as a real one posts it. */
const report = (type: string, ticket: string, delivery: string | null | undefined) =>
  sendWebhook(provisioning.server.url, 'provisioning', provisioning.secrets.provisioning?.[0] ?? '', {
    type,
    data: { ticket, delivery: delivery ?? '', note: 'Account created' },
  });

/** Waits for the ticket's execution to end, and answers its status: once ended, no reminder or escalation can come. */
async function executionEnded(ticketId: string): Promise<string> {
  const sfn = localSfnClient((await provisioning.client.endpoints()).stepfunctions);
  try {
    return await eventually(async () => {
      const { status } = await sfn.send(
        new DescribeExecutionCommand({ executionArn: `${EXECUTION_PREFIX}${ticketId}` }),
      );
      return status === 'RUNNING' ? undefined : status;
    });
  } finally {
    sfn.destroy();
  }
}

/** The emails about `ticketId` to `person` so far. */
const emailsAbout = async (ticketId: string, person: string) =>
  (await provisioning.client.outbox()).filter(
    (message) => message.to.includes(person) && message.subject.includes(ticketId),
  );

describe('provisioning by an integration that never answers', () => {
  it('asks it again at the reminder, then hands setting up and taking away the access to the fallback fulfiller', async () => {
    // Prepare
    const { client, receiver } = provisioning;
    const ticket = await approvedHrisRequest(client, people.bo);

    // Act: nobody answers the integration's requests; Ian answers his emails
    const toFulfil = await client.linkFor(people.ian, ticket.id, 'Escalated: To fulfil', 40_000);
    await client.submitLink(toFulfil, { result: 'done', note: 'Set up by hand' });
    const active = await client.ticketWhen(people.bo, ticket.id, (t) => t.status === 'active');
    await grantListed(client, people.bo, ticket.id);
    const ended = await client.call(people.bo, 'POST', `/grants/G${ticket.id}/revoke`, {
      reason: 'The onboarding review is done',
    });
    const toRevoke = await client.linkFor(people.ian, ticket.id, 'Escalated: To revoke', 30_000);
    await client.submitLink(toRevoke, { confirm: 'revoked' });
    const closed = await client.ticketWhen(people.bo, ticket.id, (t) => t.status === 'closed');

    // Assess
    expect(receiver.all(ticket.id, 'grant.requested').map((event) => event.verified)).toEqual([true, true]);
    expect(receiver.all(ticket.id, 'revoke.requested').map((event) => event.verified)).toEqual([true, true]);
    expect(active.fulfilment).toMatchObject({ by: people.ian, result: 'done' });
    expect(ended.status).toBe(202);
    expect(closed.closure).toBe('revoked');
    expect(closed.revocation).toMatchObject({ by: people.ian, result: 'done' });
  }, 90_000);
});

describe('provisioning by an integration that answers late', () => {
  it('takes its fulfilment.completed after the reminder asked again and before the escalation: granted once, nobody else asked', async () => {
    // Prepare
    const { client, receiver } = provisioning;
    const ticket = await approvedHrisRequest(client, people.alex);
    const asked = await receiver.first(ticket.id, 'grant.requested');

    // Act: the integration takes its time, past the reminder's second request; then it answers both
    const askedAgain = await receiver.nth(ticket.id, 'grant.requested', 2, 30_000);
    const completed = await report('fulfilment.completed', ticket.id, asked.body.data.delivery);
    const completedAgain = await report('fulfilment.completed', ticket.id, askedAgain.body.data.delivery);
    const granted = await client.ticketWhen(people.alex, ticket.id, (t) => t.status === 'active');
    const execution = await executionEnded(ticket.id);

    // Assess
    expect([asked.verified, askedAgain.verified]).toEqual([true, true]);
    expect(askedAgain.body.data.delivery).toBe(asked.body.data.delivery);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(completedAgain.status).toBe(409);
    expect(execution).toBe('SUCCEEDED');
    const types = granted.timeline.map((event) => event.type);
    expect(
      types.filter((type) => type === 'reminded' || type === 'escalated' || type === 'fulfilment_reported'),
    ).toEqual(['reminded', 'fulfilment_reported']);
    expect(granted.timeline.find((event) => event.type === 'fulfilment_reported')).toMatchObject({
      actor: `webhook:provisioning/${completed.body.webhook}`,
    });
    expect(granted.fulfilment).toMatchObject({
      result: 'done',
      by: `webhook:provisioning/${completed.body.webhook}`,
    });
    expect(granted.grant).toMatchObject({ id: `G${ticket.id}` });
    expect(receiver.all(ticket.id, 'grant.requested')).toHaveLength(2);
    expect(await emailsAbout(ticket.id, people.ian)).toEqual([]);
    expect(await emailsAbout(ticket.id, people.paula)).toEqual([]);
  }, 90_000);
});

describe('provisioning by an integration that refuses every quick attempt', () => {
  it("gets grant.requested through with the reminder's request, and grants once", async () => {
    // Prepare: the integration answers 500 to each of the sender's three quick attempts for Felix
    const { client, receiver } = provisioning;
    const forFelix = (webhook: { body: { type: string; data: Record<string, string | null> } }) =>
      webhook.body.type === 'grant.requested' && webhook.body.data.holder === people.felix;
    receiver.answerWith((webhook, before) =>
      forFelix(webhook) && before.filter(forFelix).length < 3 ? 500 : 202,
    );
    const ticket = await approvedHrisRequest(client, people.felix);

    // Act: the reminder asks again and is taken; the integration answers it
    const taken = await receiver.nth(ticket.id, 'grant.requested', 4, 30_000);
    const completed = await report('fulfilment.completed', ticket.id, taken.body.data.delivery);
    const granted = await client.ticketWhen(people.felix, ticket.id, (t) => t.status === 'active');
    const execution = await executionEnded(ticket.id);

    // Assess
    expect(
      receiver.all(ticket.id, 'grant.requested').map(({ status, verified }) => [status, verified]),
    ).toEqual([
      [500, true],
      [500, true],
      [500, true],
      [202, true],
    ]);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(execution).toBe('SUCCEEDED');
    const types = granted.timeline.map((event) => event.type);
    expect(
      types.filter((type) => type === 'reminded' || type === 'escalated' || type === 'fulfilment_reported'),
    ).toEqual(['reminded', 'fulfilment_reported']);
    expect(granted.fulfilment).toMatchObject({
      result: 'done',
      by: `webhook:provisioning/${completed.body.webhook}`,
    });
    expect(await emailsAbout(ticket.id, people.ian)).toEqual([]);
  }, 90_000);
});
