import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../functions/local/ses';
import { githubFlow, people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { eventually, TollgateClient } from '../support/workflow-client';

const { requester, manager, fulfiller } = githubFlow;
/** Erin's manager, whom an unanswered manager stage escalates to. */
const managersManager = people.dana;

let server: TollgateProcess;
let client: TollgateClient;

beforeAll(async () => {
  // A thousand times faster: a critical stage reminds after 3.6 s, escalates after 7.2 s and ends
  // after 14.4 s; a critical support ticket's first response is due after 1.8 s, its resolution after 14.4 s.
  server = await startTollgate({ env: { TOLLGATE_TIME_SCALE: '0.001' } });
  client = new TollgateClient(server.url);
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

async function fileCritical(): Promise<string> {
  const { status, body } = await client.call<{ id: string }>(requester, 'POST', '/requests', {
    ...githubFlow.request,
    urgency: 'critical',
  });
  expect(status).toBe(201);
  return body.id;
}

/** Waits for the email to `to` about the ticket whose subject starts so, as the recipient's mailbox would show it. */
function emailTo(
  to: string,
  ticketId: string,
  subjectStart: string,
  timeoutMs = 20_000,
): Promise<OutboxMessage> {
  return eventually(
    async () =>
      (await client.outbox()).find(
        (message) =>
          message.to.includes(to) &&
          message.subject.startsWith(subjectStart) &&
          message.subject.includes(ticketId),
      ),
    timeoutMs,
  );
}

const eventTypes = (ticket: { timeline: { type: string }[] }) => ticket.timeline.map((event) => event.type);

describe('an approval nobody answers', () => {
  it('reminds the approver, then escalates to their manager, whose link decides, and the requester is told', async () => {
    // Prepare
    const id = await fileCritical();
    const first = await emailTo(manager, id, 'Approval needed');

    // Act: nobody answers; the reminder comes, then the escalation.
    const reminder = await emailTo(manager, id, 'Reminder: Approval needed');
    const escalation = await emailTo(managersManager, id, 'Escalated: Approval needed');
    const firstPage = await client.openLink(client.onThisServer(first.links[0] ?? ''));
    const listedForEscalation = await client.call<{ items: { id: string }[] }>(
      managersManager,
      'GET',
      '/requests',
    );
    const inbox = await client.call<{ items: { ticket: { id: string } }[] }>(
      managersManager,
      'GET',
      '/approvals',
    );
    const escalationLink = client.onThisServer(escalation.links[0] ?? '');
    const decided = await client.submitLink(escalationLink, {
      decision: 'approve',
      comment: 'covering for Erin',
    });

    // Assess
    expect(reminder.text).toContain('This is a reminder');
    // Until the stage is decided, the earlier link still opens a form that decides.
    expect(firstPage.status).toBe(200);
    expect(firstPage.csrf).not.toBeNull();
    expect(escalation.links[0]).not.toBe(first.links[0]);
    expect(listedForEscalation.body.items.map((item) => item.id)).toContain(id);
    expect(inbox.body.items.map((item) => item.ticket.id)).toContain(id);
    expect(decided.status).toBe(200);
    const ticket = await client.ticketWhen(requester, id, (current) => current.status === 'fulfilling');
    expect(ticket.approvals[0]).toMatchObject({ decidedBy: managersManager, decision: 'approve' });
    expect(eventTypes(ticket)).toEqual(
      expect.arrayContaining(['stage_opened', 'reminded', 'escalated', 'approved', 'approved_all']),
    );
    const escalatedNotice = await emailTo(requester, id, 'Escalated');
    const approvedNotice = await emailTo(requester, id, 'Approved');
    expect(escalatedNotice.text).toContain(managersManager);
    expect(approvedNotice.text).toContain(`Approved by Dana Chief <${managersManager}>, as the manager`);
    await emailTo(fulfiller, id, 'To fulfil');
  });

  it('still takes a decision on the first link after the escalation, and then the escalation link is spent', async () => {
    // Prepare
    const id = await fileCritical();
    const first = await emailTo(manager, id, 'Approval needed');
    const escalation = await emailTo(managersManager, id, 'Escalated: Approval needed');

    // Act
    const decided = await client.submitLink(client.onThisServer(first.links[0] ?? ''), {
      decision: 'deny',
      comment: 'not this week',
    });
    const late = await client.openLink(client.onThisServer(escalation.links[0] ?? ''));

    // Assess
    expect(decided.status).toBe(200);
    expect(decided.html).toContain('<h1>You denied the request</h1>');
    expect(decided.html).toContain(
      `The request is closed as denied, and Alex Developer &#60;${requester}&#62; is emailed, with your words.`,
    );
    expect(late.status).toBe(409);
    expect(late.csrf).toBeNull();
    const ticket = await client.ticketWhen(requester, id, (current) => current.status === 'closed');
    expect(ticket).toMatchObject({ closure: 'rejected' });
    const denied = await emailTo(requester, id, 'Denied');
    expect(denied.text).toContain(`Denied by Erin Lead <${manager}>.`);
    expect(denied.text).toContain('not this week');
  });

  it('times out at the final deadline, after which no link decides, and the requester is told', async () => {
    // Prepare
    const id = await fileCritical();
    const escalation = await emailTo(managersManager, id, 'Escalated: Approval needed');

    // Act
    const ticket = await client.ticketWhen(requester, id, (current) => current.status === 'closed', 30_000);
    const late = await client.openLink(client.onThisServer(escalation.links[0] ?? ''));

    // Assess
    expect(ticket.closure).toBe('timed_out');
    expect(late.status).toBe(410);
    await emailTo(requester, id, 'Timed out');
  });
});

describe('a support ticket', () => {
  it('records each service level it breaches when it happens, and reminds its queue', async () => {
    // Prepare
    const { status, body } = await client.call<{ id: string }>(requester, 'POST', '/requests', {
      type: 'support',
      category: 'hardware',
      urgency: 'critical',
      description: 'The laptop does not boot',
    });
    expect(status).toBe(201);

    // Act: nobody from the service desk answers for the first response, nor resolves it in time.
    const breached = await client.ticketWhen(
      requester,
      body.id,
      (ticket) => eventTypes(ticket).filter((type) => type === 'sla_breached').length === 2,
      30_000,
    );

    // Assess
    const sla = (breached as unknown as { sla: { breaches: { sla: string }[]; firstResponseDue: string } })
      .sla;
    expect(sla.breaches.map((breach) => breach.sla)).toEqual(['first_response', 'resolution']);
    expect(breached.status).toBe('fulfilling');
    const reminder = await emailTo(people.ian, body.id, 'Reminder: To fulfil');
    expect(reminder.text).toContain('passed its first-response service level');
  });
});
