import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../support/seed';
import { approvedHrisRequest, startWithProvisioningReceiver } from '../support/webhooks';

/**
 * The demo `hris` system's integration never answers: past each wait's escalation the work goes to
 * the system's fallback fulfiller, Ian, by email. Time runs 10,000 times faster: the fulfilment's
 * reminder and escalation (24 and 48 hours) come after 8.6 and 17.3 s, a revocation's (4 and 8
 * hours) after 1.4 and 2.9 s.
 */
const TIME_SCALE = '0.0001';

let provisioning: Awaited<ReturnType<typeof startWithProvisioningReceiver>>;

beforeAll(async () => {
  provisioning = await startWithProvisioningReceiver({ TOLLGATE_TIME_SCALE: TIME_SCALE });
}, 60_000);

afterAll(async () => {
  await provisioning?.stop();
});

describe('provisioning by an integration that never answers', () => {
  it('asks it again at the reminder, then hands setting up and taking away the access to the fallback fulfiller', async () => {
    // Prepare
    const { client, receiver } = provisioning;
    const ticket = await approvedHrisRequest(client, people.bo);

    // Act: nobody answers the integration's requests; Ian answers his emails
    const toFulfil = await client.linkFor(people.ian, ticket.id, 'Escalated: To fulfil', 40_000);
    await client.submitLink(toFulfil, { result: 'done', note: 'Set up by hand' });
    const active = await client.ticketWhen(people.bo, ticket.id, (t) => t.status === 'active');
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
