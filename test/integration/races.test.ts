import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Recorded } from '../../functions/domain/recorded';
import { accessBody, specExampleBody } from '../support/bodies';
import { chainProblems } from '../support/chain';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { type Ticket, TollgateClient } from '../support/workflow-client';

interface Inbox {
  items: { id: string; ticket: { id: string } }[];
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * Races: many people (or one person many times) acting on one thing at the same moment. Each
 * time exactly one action lands, the others answer a clear 409 (or the original answer, for an
 * idempotent intake), and the ticket moves on exactly once.
 */
describe('simultaneous actions on one ticket', () => {
  let tollgate: TestRuntime;
  let client: TollgateClient;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    client = new TollgateClient(tollgate.url);
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  /** Files a ticket as `requester` and answers its id once the workflow has emailed its approvers. */
  async function fileAndWaitForApprovers(
    requester: string,
    body: Record<string, unknown>,
    approvers: string[],
  ) {
    const created = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
    if (created.status !== 201)
      throw new Error(`filing answered ${created.status}: ${JSON.stringify(created.body)}`);
    const id = created.body.id;
    const links = await Promise.all(
      approvers.map((approver) => client.linkFor(approver, id, 'Approval needed')),
    );
    return { id, links };
  }

  async function approvalTaskOf(approver: string, ticketId: string): Promise<string> {
    const inbox = await client.call<Inbox>(approver, 'GET', '/approvals');
    const task = inbox.body.items.find((item) => item.ticket.id === ticketId);
    if (!task)
      throw new Error(`${approver} has no approval task for ${ticketId}: ${JSON.stringify(inbox.body)}`);
    return task.id;
  }

  const postForm = (link: string, fields: Record<string, string>) =>
    fetch(link, { method: 'POST', headers: FORM, body: new URLSearchParams(fields).toString() });

  const countOf = (ticket: Ticket, type: string) =>
    ticket.timeline.filter((event) => event.type === type).length;

  const emailsAbout = async (ticketId: string, subjectStart: string) =>
    (await client.outbox()).filter((m) => m.subject.startsWith(subjectStart) && m.subject.includes(ticketId));

  /**
   * The ticket once the workflow has acted on the decision, after a reconcile run that would
   * re-deliver anything not yet delivered: a second delivery would show as a second move.
   */
  async function settledAfterDecision(ticketId: string, approved: boolean): Promise<Ticket> {
    if (approved) await client.linkFor(people.ian, ticketId, 'To fulfil');
    else await client.ticketWhen(people.aude, ticketId, (t) => t.status === 'closed');
    await client.reconcile();
    return client.ticket(people.aude, ticketId);
  }

  it('records one decision from 50 simultaneous posts of one approval form: one 200, 49 409s, and the ticket moves on once', async () => {
    // Prepare
    const { id, links } = await fileAndWaitForApprovers(people.alex, accessBody(), [people.erin]);
    const link = links[0] as string;
    const { csrf } = await client.openLink(link);

    // Act
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        postForm(link, { csrf: csrf ?? '', decision: 'approve', comment: 'ok' }),
      ),
    );

    // Assess
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    const ticket = await settledAfterDecision(id, true);
    expect(ticket.status).toBe('fulfilling');
    expect(ticket.approvals[0]).toMatchObject({ decidedBy: people.erin, decision: 'approve', via: 'link' });
    expect(countOf(ticket, 'approved')).toBe(1);
    expect(countOf(ticket, 'approved_all')).toBe(1);
    expect(countOf(ticket, 'fulfilment_requested')).toBe(1);
    expect(await emailsAbout(id, 'To fulfil')).toHaveLength(1);
    expect(chainProblems(ticket.timeline as never)).toEqual([]);
  });

  it('files one ticket from 50 simultaneous intakes with one Idempotency-Key and one body, and answers each with it', async () => {
    // Prepare
    const felix = await tollgate.as(people.felix);
    const key = randomUUID();
    const before = (await listAll(felix, { mine: 'true' })).ids;

    // Act
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        felix.post<{ id: string }>('/requests', specExampleBody, { headers: { 'idempotency-key': key } }),
      ),
    );

    // Assess
    for (const response of responses) expect(response.status, response.text).toBe(201);
    const ids = new Set(responses.map((response) => response.body.id));
    expect(ids.size).toBe(1);
    const after = (await listAll(felix, { mine: 'true' })).ids;
    expect(after.filter((id) => !before.includes(id))).toEqual([...ids]);
    const [id] = [...ids] as [string];
    // One execution: the approver is asked once.
    await client.linkFor(people.fiona, id, 'Approval needed');
    await client.reconcile();
    expect(await emailsAbout(id, 'Approval needed')).toHaveLength(1);
  });

  it('records one decision when both security members decide one stage through their links at the same moment, each posting 10 times', async () => {
    // Prepare: Dana has no manager, so her request goes to the security group, where the first decision wins.
    const { id, links } = await fileAndWaitForApprovers(
      people.dana,
      accessBody({ entitlement: 'wiki-edit', justification: 'Edit the leadership pages' }),
      [people.sam, people.sara],
    );
    const forms = await Promise.all(
      links.map(async (link) => ({ link, csrf: (await client.openLink(link)).csrf })),
    );

    // Act: Sam approves, Sara denies.
    const responses = await Promise.all(
      forms.flatMap(({ link, csrf }, member) =>
        Array.from({ length: 10 }, () =>
          postForm(link, { csrf: csrf ?? '', decision: member === 0 ? 'approve' : 'deny' }).then(
            async (response) => ({ member, status: response.status, html: await response.text() }),
          ),
        ),
      ),
    );

    // Assess
    const winners = responses.filter((response) => response.status === 200);
    expect(winners).toHaveLength(1);
    const losers = responses.filter((response) => response.status !== 200);
    expect(losers.map((response) => response.status)).toEqual(Array(19).fill(409));
    for (const loser of losers) expect(loser.html).toContain('<title>Already decided');
    const winner = winners[0]?.member === 0 ? people.sam : people.sara;
    const ticket = await settledAfterDecision(id, winner === people.sam);
    expect([...(ticket.approvals[0]?.candidates ?? [])].sort()).toEqual([people.sam, people.sara]);
    expect(ticket.approvals[0]).toMatchObject({
      decidedBy: winner,
      decision: winner === people.sam ? 'approve' : 'deny',
      via: 'link',
    });
    expect(countOf(ticket, 'approved') + countOf(ticket, 'denied')).toBe(1);
    expect(ticket.status).toBe(winner === people.sam ? 'fulfilling' : 'closed');
  });

  it('records one decision when both security members decide one stage from their inboxes at the same moment, each posting 10 times', async () => {
    // Prepare
    const { id } = await fileAndWaitForApprovers(
      people.dana,
      accessBody({ entitlement: 'wiki-edit', justification: 'Edit the board minutes' }),
      [people.sam, people.sara],
    );
    const [samTask, saraTask] = await Promise.all([
      approvalTaskOf(people.sam, id),
      approvalTaskOf(people.sara, id),
    ]);

    // Act: Sam approves, Sara denies.
    const responses = await Promise.all(
      [
        { member: people.sam, task: samTask, decision: 'approve' },
        { member: people.sara, task: saraTask, decision: 'deny' },
      ].flatMap(({ member, task, decision }) =>
        Array.from({ length: 10 }, async () => ({
          member,
          ...(await client.call<Recorded>(member, 'POST', `/approvals/${task}/decision`, { decision })),
        })),
      ),
    );

    // Assess
    const winners = responses.filter((response) => response.status === 200);
    expect(winners).toHaveLength(1);
    const losers = responses.filter((response) => response.status !== 200);
    expect(losers.map((response) => response.status)).toEqual(Array(19).fill(409));
    for (const loser of losers) expect(loser.body).toMatchObject({ error: { code: 'conflict' } });
    const winner = winners[0]?.member;
    const ticket = await settledAfterDecision(id, winner === people.sam);
    expect(ticket.approvals[0]).toMatchObject({ decidedBy: winner, via: 'inbox' });
    expect(countOf(ticket, 'approved') + countOf(ticket, 'denied')).toBe(1);
    expect(ticket.status).toBe(winner === people.sam ? 'fulfilling' : 'closed');
  });

  it('records one decision from 50 simultaneous inbox decisions by the approver, approving and denying in turn, and follows the one that landed', async () => {
    // Prepare
    const { id } = await fileAndWaitForApprovers(
      people.alex,
      accessBody({ system: 'github', entitlement: 'github-read' }),
      [people.erin],
    );
    const task = await approvalTaskOf(people.erin, id);

    // Act
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        client.call<Recorded>(people.erin, 'POST', `/approvals/${task}/decision`, {
          decision: index % 2 === 0 ? 'approve' : 'deny',
          comment: `attempt ${index}`,
        }),
      ),
    );

    // Assess
    const winners = responses.filter((response) => response.status === 200);
    expect(winners).toHaveLength(1);
    expect(responses.filter((response) => response.status === 409)).toHaveLength(49);
    const landed = winners[0]?.body;
    const decision = landed?.recorded === 'approved' ? 'approve' : 'deny';
    const ticket = await settledAfterDecision(id, decision === 'approve');
    expect(ticket.approvals[0]).toMatchObject({
      decidedBy: people.erin,
      decision,
      comment: landed?.comment,
    });
    expect(countOf(ticket, 'approved') + countOf(ticket, 'denied')).toBe(1);
    expect(ticket.status).toBe(decision === 'approve' ? 'fulfilling' : 'closed');
    expect(chainProblems(ticket.timeline as never)).toEqual([]);
  });

  it('records one report from 50 simultaneous fulfilment reports by the fulfiller, and closes the ticket once', async () => {
    // Prepare
    const { id } = await fileAndWaitForApprovers(people.alex, accessBody(), [people.erin]);
    const task = await approvalTaskOf(people.erin, id);
    await client.call(people.erin, 'POST', `/approvals/${task}/decision`, { decision: 'approve' });
    await client.linkFor(people.ian, id, 'To fulfil');

    // Act
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        client.call(people.ian, 'POST', `/requests/${id}/fulfilment`, { result: 'done', note: 'added' }),
      ),
    );

    // Assess
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 409)).toHaveLength(49);
    const ticket = await client.ticketWhen(people.aude, id, (t) => t.status === 'closed');
    await client.reconcile();
    const after = await client.ticket(people.aude, id);
    expect(after.closure).toBe('fulfilled');
    expect(countOf(after, 'fulfilment_reported')).toBe(1);
    expect(countOf(after, 'closed')).toBe(1);
    expect(after.timeline).toEqual(ticket.timeline);
  });
});
