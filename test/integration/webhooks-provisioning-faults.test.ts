import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../support/seed';
import { newDataDir, removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import {
  approvedHrisRequest,
  grantListed,
  localWebhookSecrets,
  type ReceivedWebhook,
  sendWebhook,
  startWebhookReceiver,
} from '../support/webhooks';
import { TollgateClient } from '../support/workflow-client';

/**
 * An integration's report that failed after Tollgate had recorded it is answered 500, and the
 * integration sends it again with the same webhook-id, as Standard Webhooks senders retry: the retry
 * is the same report, answered as the first would have been, never a second one. Tollgate first
 * brings Alex's and Bo's demo hris requests to the integration (Bo's granted, then ended early),
 * then starts again on the same data with `fail:before-resume*2`: the step that resumes the
 * execution after a report throws, twice, at the first deliveries of Alex's grant and Bo's removal.
 */
let secret = '';
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const dataDir = newDataDir();
let server: TollgateProcess | undefined;
let client: TollgateClient;
type Waiting = { ticket: string; asked: ReceivedWebhook };
let toGrant: Waiting;
let toRevoke: Waiting;
/** The webhook-id and time of each report's first delivery, and how that delivery was answered. */
const granted = { id: 'msg_alex_granted', at: new Date(), firstStatus: 0 };
const revoked = { id: 'msg_bo_revoked', at: new Date(), firstStatus: 0 };

/** The integration's signed `fulfilment.completed` on what it was asked, with the webhook-id and time of its first try. */
const report = (url: string, waiting: Waiting, message: { id: string; at: Date }) =>
  sendWebhook(
    url,
    'provisioning',
    secret,
    {
      type: 'fulfilment.completed',
      data: { ticket: waiting.ticket, delivery: waiting.asked.body.data.delivery ?? '', note: 'Done' },
    },
    message,
  );

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => secret);
  const env = { WEBHOOK_TARGETS: JSON.stringify({ provisioning: receiver.url }) };
  const before = await startTollgate({ dataDir, env });
  try {
    secret = localWebhookSecrets(dataDir).provisioning?.[0] ?? '';
    const first = new TollgateClient(before.url);
    const alex = await approvedHrisRequest(first, people.alex);
    toGrant = { ticket: alex.id, asked: await receiver.first(alex.id, 'grant.requested') };
    const bo = await approvedHrisRequest(first, people.bo);
    await report(
      before.url,
      { ticket: bo.id, asked: await receiver.first(bo.id, 'grant.requested') },
      { id: 'msg_bo_granted', at: new Date() },
    );
    await grantListed(first, people.bo, bo.id);
    const ended = await first.call(people.bo, 'POST', `/grants/G${bo.id}/revoke`, { reason: 'Done with it' });
    expect(ended.status, JSON.stringify(ended.body)).toBe(202);
    toRevoke = { ticket: bo.id, asked: await receiver.first(bo.id, 'revoke.requested') };
  } finally {
    await before.stop();
  }
  server = await startTollgate({ dataDir, env: { ...env, TOLLGATE_FAULTS: 'fail:before-resume*2' } });
  client = new TollgateClient(server.url);
  granted.firstStatus = (await report(server.url, toGrant, granted)).status;
  revoked.firstStatus = (await report(server.url, toRevoke, revoked)).status;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  removeDataDir(dataDir);
  await receiver?.close();
});

describe('a report retried after it failed once recorded', () => {
  it('answers the retry of a fulfilment.completed as taken, and grants once', async () => {
    // Prepare: its first delivery failed once the fulfilment was recorded (beforeAll)
    const message = granted;

    // Act
    const retried = await report(client.url, toGrant, message);
    const active = await client.ticketWhen(people.alex, toGrant.ticket, (t) => t.status === 'active');

    // Assess
    expect(message.firstStatus).toBe(500);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body).toMatchObject({ webhook: message.id, ticket: { id: toGrant.ticket } });
    expect(active.timeline.filter((event) => event.type === 'fulfilment_reported')).toEqual([
      expect.objectContaining({ actor: `webhook:provisioning/${message.id}` }),
    ]);
    expect(active.grant).toMatchObject({ id: `G${toGrant.ticket}` });
  }, 60_000);

  it('answers the retry of a revocation confirmed as taken, and closes the ticket revoked once', async () => {
    // Prepare: its first delivery failed once the confirmation was recorded (beforeAll)
    const message = revoked;

    // Act
    const retried = await report(client.url, toRevoke, message);
    const closed = await client.ticketWhen(people.bo, toRevoke.ticket, (t) => t.status === 'closed');

    // Assess
    expect(message.firstStatus).toBe(500);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body).toMatchObject({ webhook: message.id, ticket: { id: toRevoke.ticket } });
    expect(closed.closure).toBe('revoked');
    expect(closed.timeline.filter((event) => event.type === 'revocation_confirmed')).toEqual([
      expect.objectContaining({ actor: `webhook:provisioning/${message.id}` }),
    ]);
  }, 60_000);
});
