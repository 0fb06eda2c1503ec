import { expect } from 'vitest';
import { type SignedSend, sendSignedWebhook } from '../../functions/local/webhook-client';
import { people } from './seed';
import type { Ticket, TollgateClient } from './workflow-client';

export { localWebhookSecrets } from '../../functions/local/webhook-client';

/** Signs and posts an event to Tollgate as a real integration does, with the standardwebhooks library. */
export const sendWebhook = (
  url: string,
  integration: string,
  secret: string,
  event: { type: string; data: Record<string, unknown> },
  options: SignedSend = {},
) => sendSignedWebhook(`${url}/webhooks/${integration}`, secret, event, options);

/** Alex (or `requester`) files the demo hris request; each open stage is approved by its first candidate's link. */
export async function approvedHrisRequest(
  client: TollgateClient,
  requester: string = people.alex,
): Promise<Ticket> {
  const filed = await client.call<{ id: string }>(requester, 'POST', '/requests', {
    type: 'access',
    system: 'hris',
    entitlement: 'hris-read',
    justification: 'Check the onboarding records of my new team',
    duration: 'P30D',
  });
  expect(filed.status, JSON.stringify(filed.body)).toBe(201);
  for (;;) {
    // Between the last decision and the step that moves on, every stage is decided and the ticket still pending.
    const ticket = await client.ticketWhen(
      requester,
      filed.body.id,
      (t) =>
        t.status !== 'submitted' &&
        (t.status !== 'pending_approval' || t.approvals.some((approval) => !approval.decision)),
    );
    if (ticket.status !== 'pending_approval') return ticket;
    const decided = ticket.approvals.filter((approval) => approval.decision).length;
    const stage = (ticket.approvals as { decision: string | null; candidates: string[] }[])[decided];
    const link = await client.linkFor(stage?.candidates[0] ?? '', ticket.id, 'Approval needed', 30_000);
    await client.submitLink(link, { decision: 'approve' });
    await client.ticketWhen(
      requester,
      ticket.id,
      (t) => t.approvals.filter((a) => a.decision).length > decided,
    );
  }
}
