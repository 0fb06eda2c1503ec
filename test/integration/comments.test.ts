import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrokenLink, type TimelineEvent } from '../../functions/domain/timeline';
import { githubFlow, people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { type Ticket, TollgateClient } from '../support/workflow-client';

const { requester, manager, fulfiller } = githubFlow;

interface SupportTicket extends Ticket {
  assignee: string | null;
  sla: { firstResponseAt: string | null; breaches: unknown[] } | null;
}

let server: TollgateProcess;
let client: TollgateClient;

beforeAll(async () => {
  // Real time: no deadline of a normal-urgency ticket passes while a test runs.
  server = await startTollgate();
  client = new TollgateClient(server.url);
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

async function file(as: string, body: Record<string, unknown>): Promise<string> {
  const { status, body: ticket } = await client.call<{ id: string }>(as, 'POST', '/requests', body);
  expect(status).toBe(201);
  return ticket.id;
}

const comment = (as: string, id: string, text: string, headers: Record<string, string> = {}) =>
  client.call<Ticket & { error?: { fields?: Record<string, string> } }>(
    as,
    'POST',
    `/requests/${id}/comments`,
    { text },
    headers,
  );

/** The comment emails about one ticket: sent before the comment's 201, so the outbox has them then. */
async function commentEmails(id: string) {
  return (await client.outbox()).filter(
    (message) => message.subject.startsWith('Comment from') && message.subject.includes(id),
  );
}

const supportBody = {
  type: 'support',
  category: 'hardware',
  urgency: 'normal',
  description: 'The laptop does not start after the update',
};

describe('comments on an access request', () => {
  it('lets the approver ask and the requester answer while the stage waits, and the stage is then decided on the emailed link', async () => {
    // Prepare
    const id = await file(requester, githubFlow.request);
    const link = await client.linkFor(manager, id, 'Approval needed');
    const before = await client.ticket(requester, id);

    // Act
    const asked = await comment(manager, id, '  Which repository, and for how long?  ');
    const afterQuestion = await commentEmails(id);
    const answered = await comment(requester, id, 'tollgate/release, until 4.2 ships');
    const decided = await client.submitLink(link, { decision: 'approve', comment: 'thanks' });

    // Assess
    expect(asked.status).toBe(201);
    expect(asked.body.status).toBe('pending_approval');
    expect(asked.body.approvals).toEqual(before.approvals);
    expect(asked.body.timeline.at(-1)).toMatchObject({
      type: 'commented',
      actor: manager,
      data: { text: 'Which repository, and for how long?' },
    });
    expect(answered.status).toBe(201);
    expect(answered.body.approvals).toEqual(before.approvals);
    expect(decided.status).toBe(200);
    const ticket = await client.ticketWhen(requester, id, (t) => t.status === 'fulfilling');
    expect(ticket.approvals[0]).toMatchObject({ decidedBy: manager, decision: 'approve', via: 'link' });
    expect(ticket.timeline.map((event) => event.type)).toEqual([
      'submitted',
      'routed',
      'stage_opened',
      'commented',
      'commented',
      'approved',
      'approved_all',
      'fulfilment_requested',
    ]);
    expect(findBrokenLink(ticket.timeline as TimelineEvent[])).toBeNull();
    expect(afterQuestion.map((message) => message.to)).toEqual([[requester]]);
    const emails = await commentEmails(id);
    expect(emails.map((message) => message.to)).toEqual([[requester], [manager]]);
    expect(emails[1]?.text).toContain('tollgate/release, until 4.2 ships');
    expect(emails[1]?.links).toEqual([`${server.url}/requests/${id}`]);
  });

  it('emails the fulfillers once the request waits for them, and never the author', async () => {
    // Prepare
    const id = await file(requester, githubFlow.request);
    await client.submitLink(await client.linkFor(manager, id, 'Approval needed'), { decision: 'approve' });
    await client.linkFor(fulfiller, id, 'To fulfil');

    // Act
    const response = await comment(requester, id, 'Any news?');

    // Assess
    expect(response.status).toBe(201);
    const recipients = (await commentEmails(id)).flatMap((message) => message.to).sort();
    expect(recipients).toEqual([people.bo, manager, fulfiller].sort());
  });

  it('adds a comment retried with the same Idempotency-Key once, and emails once', async () => {
    // Prepare
    const id = await file(requester, githubFlow.request);
    await client.linkFor(manager, id, 'Approval needed');
    const headers = { 'idempotency-key': `retry-${id}` };

    // Act
    const first = await comment(requester, id, 'Needed before Friday', headers);
    const retry = await comment(requester, id, 'Needed before Friday', headers);
    const reused = await comment(requester, id, 'Needed before Monday', headers);

    // Assess
    expect([first.status, retry.status, reused.status]).toEqual([201, 201, 409]);
    const ticket = await client.ticket(requester, id);
    expect(ticket.timeline.filter((event) => event.type === 'commented')).toHaveLength(1);
    expect(await commentEmails(id)).toHaveLength(1);
  });

  it('answers 404 to someone who cannot see the ticket, and changes nothing', async () => {
    // Prepare
    const id = await file(requester, githubFlow.request);
    await client.linkFor(manager, id, 'Approval needed');
    const before = await client.ticket(requester, id);

    // Act
    const response = await comment(people.paula, id, 'Is this mine?');

    // Assess
    expect(response.status).toBe(404);
    expect((await client.ticket(requester, id)).version).toBe(before.version);
  });

  it('answers an empty or blank text, or one over 4,000 characters, with a 400 naming `text`', async () => {
    // Prepare
    const id = await file(requester, githubFlow.request);

    // Act
    const answers = await Promise.all(
      ['', '   \n ', 'x'.repeat(4001)].map((text) => comment(requester, id, text)),
    );

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(Object.keys(answer.body.error?.fields ?? {})).toEqual(['text']);
    }
    const ticket = await client.ticket(requester, id);
    expect(ticket.timeline.some((event) => event.type === 'commented')).toBe(false);
  });

  it('refuses a comment on a closed ticket with a 409', async () => {
    // Prepare
    const id = await file(requester, githubFlow.request);
    await client.submitLink(await client.linkFor(manager, id, 'Approval needed'), { decision: 'deny' });
    await client.ticketWhen(requester, id, (t) => t.status === 'closed');

    // Act
    const response = await comment(requester, id, 'Why was this denied?');

    // Assess
    expect(response.status).toBe(409);
    expect(await commentEmails(id)).toEqual([]);
  });

  it('refuses to assign an access request with a 409', async () => {
    // Prepare
    const id = await file(requester, githubFlow.request);

    // Act
    const response = await client.call(fulfiller, 'POST', `/requests/${id}/assign`);

    // Assess
    expect(response.status).toBe(409);
  });
});

describe('a support ticket', () => {
  it("takes the queue member's first comment as its first response, not the requester's", async () => {
    // Prepare
    const id = await file(requester, supportBody);
    await client.linkFor(fulfiller, id, 'To fulfil');

    // Act
    const byRequester = await comment(requester, id, 'It shows a black screen');
    const requesterSla = (byRequester.body as SupportTicket).sla;
    const byMember = await comment(fulfiller, id, 'Hold the power button for ten seconds, please');

    // Assess
    expect(byRequester.status).toBe(201);
    expect(requesterSla?.firstResponseAt).toBeNull();
    expect(byMember.status).toBe(201);
    const ticket = byMember.body as SupportTicket;
    const event = ticket.timeline.at(-1) as TimelineEvent;
    expect(ticket.sla?.firstResponseAt).toBe(event.at);
    expect(event).toMatchObject({ type: 'commented', actor: fulfiller, data: { firstResponse: true } });
    expect((await commentEmails(id)).map((message) => message.to)).toEqual([[fulfiller], [requester]]);
  });

  it('is taken by a queue member, refused to anyone else with a 403, and closed as fulfilled on a report with a note', async () => {
    // Prepare
    const id = await file(requester, supportBody);
    await client.linkFor(fulfiller, id, 'To fulfil');

    // Act
    const byRequester = await client.call(requester, 'POST', `/requests/${id}/assign`);
    const byAuditor = await client.call(people.aude, 'POST', `/requests/${id}/assign`, { to: fulfiller });
    const taken = await client.call<SupportTicket>(fulfiller, 'POST', `/requests/${id}/assign`);
    const again = await client.call<SupportTicket>(fulfiller, 'POST', `/requests/${id}/assign`, {
      to: fulfiller,
    });
    const withoutNote = await client.call<{ error: { fields: Record<string, string> } }>(
      fulfiller,
      'POST',
      `/requests/${id}/fulfilment`,
      { result: 'done' },
    );
    const withNote = await client.call(fulfiller, 'POST', `/requests/${id}/fulfilment`, {
      result: 'done',
      note: 'Reinstalled the graphics driver',
    });

    // Assess
    expect(byRequester.status).toBe(403);
    expect(byAuditor.status).toBe(403);
    expect(taken.status).toBe(200);
    expect(taken.body.assignee).toBe(fulfiller);
    expect(taken.body.timeline.at(-1)).toMatchObject({
      type: 'assigned',
      actor: fulfiller,
      data: { to: fulfiller },
    });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(taken.body.version);
    expect(withoutNote.status).toBe(400);
    expect(Object.keys(withoutNote.body.error.fields)).toEqual(['note']);
    expect(withNote.status).toBe(200);
    const closed = await client.ticketWhen(requester, id, (t) => t.status === 'closed');
    expect(closed.closure).toBe('fulfilled');
    expect(closed.fulfilment).toMatchObject({ result: 'done', by: fulfiller });
    const afterClosing = await client.call(fulfiller, 'POST', `/requests/${id}/assign`);
    expect(afterClosing.status).toBe(409);
  });
});
