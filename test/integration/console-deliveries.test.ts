import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleSession } from '../support/console-session';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { unusedPort } from '../support/webhooks';
import { eventually } from '../support/workflow-client';

/**
 * A subscriber that is never up: at TOLLGATE_TIME_SCALE 0.0002 its delivery's 24 hours of retries
 * last about 17 seconds, then it is failed, for the admin to send again from the console.
 */
let tollgate: TestRuntime;
let ticketId: string;

interface Delivery {
  id: string;
  ticket: string;
  status: string;
}

beforeAll(async () => {
  const gonePort = await unusedPort();
  tollgate = await startTestRuntime({
    TOLLGATE_TIME_SCALE: '0.0002',
    WEBHOOK_SUBSCRIBERS: JSON.stringify([
      { name: 'gone', url: `http://127.0.0.1:${gonePort}/events`, events: ['ticket.created'] },
    ]),
  });
  // Ivan's read access to the wiki: created (and decided) at intake.
  const filed = await (await tollgate.as(people.ivan)).post<{ id: string }>('/requests', {
    type: 'access',
    system: 'wiki',
    entitlement: 'wiki-read',
    justification: 'Read the on-call runbooks',
  });
  ticketId = filed.body.id;
});

afterAll(async () => {
  await tollgate?.close();
});

const deliveries = async (status: string) =>
  (
    await (
      await tollgate.as(people.ivan)
    ).get<{ items: Delivery[] }>(`/webhooks/deliveries?status=${status}&limit=100`)
  ).body.items;

describe("the admin's webhook deliveries", () => {
  it('lists a failed delivery with what its last attempt met, and sends it again once', async () => {
    // Prepare
    const failed = await eventually(
      async () => (await deliveries('failed')).find((delivery) => delivery.ticket === ticketId),
      60_000,
    );
    const ivan = await ConsoleSession.signedIn(tollgate.url, people.ivan);

    // Act
    const listed = await ivan.page('/console/admin/deliveries');
    const redriven = await ivan.submit(
      `/console/admin/deliveries/${failed.id}/redrive`,
      {},
      '/console/admin/deliveries',
    );
    const again = await ivan.submit(
      `/console/admin/deliveries/${failed.id}/redrive`,
      {},
      '/console/admin/deliveries?status=pending',
    );
    const afterwards = [...(await deliveries('pending')), ...(await deliveries('failed'))].find(
      (delivery) => delivery.id === failed.id,
    );

    // Assess
    expect(listed.status).toBe(200);
    expect(listed.text).toContain('ticket.created to gone');
    expect(listed.text).toContain('could not connect (ECONNREFUSED)');
    expect(listed.text).toContain(`action="/console/admin/deliveries/${failed.id}/redrive"`);
    expect(redriven.status).toBe(303);
    expect(redriven.location).toBe('/console/admin/deliveries?status=pending&notice=redriven');
    // Redriven once: the second form finds it pending, no longer failed.
    expect(again.status).toBe(409);
    expect(again.text).toContain('only a failed delivery is redriven');
    expect(afterwards?.status).toBe('pending');
  }, 90_000);

  it('are refused to an auditor', async () => {
    // Prepare
    const aude = await ConsoleSession.signedIn(tollgate.url, people.aude);

    // Act
    const page = await aude.page('/console/admin/deliveries');

    // Assess
    expect(page.status).toBe(403);
  });
});
