import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrokenLink, type TimelineEvent } from '../../functions/domain/timeline';
import { durationEnd } from '../support/intake-model';
import { fulfilledTimeline, githubFlow } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { TollgateClient } from '../support/workflow-client';

const { requester, manager, fulfiller } = githubFlow;

const githubWrite = githubFlow.request;

let server: TollgateProcess;
let client: TollgateClient;

beforeAll(async () => {
  // Deadlines shrink 10,000 times: a normal stage waits ~26 s, a critical one ~1.4 s.
  server = await startTollgate({ env: { TOLLGATE_TIME_SCALE: '0.0001' } });
  client = new TollgateClient(server.url);
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

async function file(body: Record<string, unknown> = githubWrite): Promise<string> {
  const { status, body: ticket } = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
  expect(status).toBe(201);
  return ticket.id;
}

/** The manager's inbox item for ticket `id`, once its approval email is out. */
async function inboxTask(id: string): Promise<{ id: string } | undefined> {
  await client.linkFor(manager, id, 'Approval needed');
  const inbox = await client.call<{ items: { id: string; ticket: { id: string } }[] }>(
    manager,
    'GET',
    '/approvals',
  );
  return inbox.body.items.find((item) => item.ticket.id === id);
}

describe('an access request from intake to closure through emailed links', () => {
  it('is approved by the manager, fulfilled, and closed as fulfilled with a complete chained timeline', async () => {
    // Prepare
    const id = await file();
    const approvalLink = await client.linkFor(manager, id, 'Approval needed');

    // Act
    const approved = await client.submitLink(approvalLink, { decision: 'approve', comment: 'release week' });
    const fulfilmentLink = await client.linkFor(fulfiller, id, 'To fulfil');
    const fulfilled = await client.submitLink(fulfilmentLink, {
      result: 'done',
      note: 'added to the writers team',
    });

    // Assess
    expect(approved.status).toBe(200);
    expect(fulfilled.status).toBe(200);
    const ticket = await client.ticketWhen(requester, id, (t) => t.status === 'closed');
    expect(ticket.closure).toBe('fulfilled');
    expect(ticket.approvals[0]).toMatchObject({
      decidedBy: manager,
      decision: 'approve',
      via: 'link',
      comment: 'release week',
    });
    expect(ticket.fulfilment).toMatchObject({ result: 'done', by: fulfiller });
    expect(ticket.timeline.map((event) => event.type)).toEqual(fulfilledTimeline);
    expect(findBrokenLink(ticket.timeline as TimelineEvent[])).toBeNull();
  });

  it('grants a month as a calendar month from fulfilment, the span shortened by the time scale', async () => {
    // Prepare
    const id = await file({ ...githubWrite, duration: 'P1M' });
    await client.submitLink(await client.linkFor(manager, id, 'Approval needed'), { decision: 'approve' });

    // Act
    await client.submitLink(await client.linkFor(fulfiller, id, 'To fulfil'), { result: 'done' });

    // Assess
    const ticket = await client.ticketWhen(requester, id, (t) => t.status === 'active');
    const from = Date.parse(ticket.grant?.from ?? '');
    const calendarMonth = (durationEnd('P1M', from) ?? 0) - from;
    expect(calendarMonth / 86_400_000).toBeGreaterThanOrEqual(28);
    expect(Date.parse(ticket.grant?.until ?? '') - from).toBeCloseTo(calendarMonth * 0.0001, -1);
  });

  it('closes as rejected when the manager denies, and asks no fulfiller', async () => {
    // Prepare
    const id = await file();
    const link = await client.linkFor(manager, id, 'Approval needed');

    // Act
    const denied = await client.submitLink(link, { decision: 'deny', comment: 'use the release bot' });

    // Assess
    expect(denied.status).toBe(200);
    const ticket = await client.ticketWhen(requester, id, (t) => t.status === 'closed');
    expect(ticket.closure).toBe('rejected');
    expect(ticket.timeline.at(-1)).toMatchObject({
      type: 'closed',
      actor: manager,
      from: 'pending_approval',
      to: 'closed',
    });
    expect(
      (await client.outbox()).some((m) => m.subject.startsWith('To fulfil') && m.subject.includes(id)),
    ).toBe(false);
  });

  it('changes nothing when the link is opened with GET or HEAD, as a mail scanner would', async () => {
    // Prepare
    const id = await file();
    const link = await client.linkFor(manager, id, 'Approval needed');
    const before = await client.ticket(requester, id);

    // Act
    const head = await fetch(link, { method: 'HEAD' });
    const page = await client.openLink(link);
    await client.openLink(link);

    // Assess
    expect(head.status).toBe(200);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Justification');
    expect(page.html).toContain('moderate');
    expect(page.html).toContain('Approve');
    expect(head.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(head.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await client.ticket(requester, id)).toEqual(before);
  });

  it('answers a second use of a link with 409 and changes nothing', async () => {
    // Prepare
    const id = await file();
    const link = await client.linkFor(manager, id, 'Approval needed');
    await client.submitLink(link, { decision: 'approve' });
    const afterFirst = await client.ticketWhen(requester, id, (t) => t.status === 'fulfilling');

    // Act
    const page = await client.openLink(link);
    const second = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'deny' }).toString(),
    });

    // Assess
    expect(page.status).toBe(409);
    expect(second.status).toBe(409);
    expect(await second.text()).toContain('already used');
    const now = await client.ticket(requester, id);
    expect(now.approvals).toEqual(afterFirst.approvals);
    expect(now.timeline.length).toBeGreaterThanOrEqual(afterFirst.timeline.length);
    expect(now.timeline.filter((event) => event.type === 'denied')).toHaveLength(0);
  });

  it('answers an unknown link with 404 and a cross-site form post with 403', async () => {
    // Prepare
    const id = await file();
    const link = await client.linkFor(manager, id, 'Approval needed');
    const { csrf } = await client.openLink(link);

    // Act
    const unknown = await fetch(`${server.url}/a/not-a-real-token`);
    const crossSite = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ csrf: csrf ?? '', decision: 'approve' }).toString(),
    });
    const forged = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: 'forged', decision: 'approve' }).toString(),
    });

    // Assess
    expect(unknown.status).toBe(404);
    expect(crossSite.status).toBe(403);
    expect(forged.status).toBe(403);
    expect((await client.ticket(requester, id)).approvals[0]?.decision).toBeNull();
  });

  it('answers an expired link with 410 even after the ticket timed out, and closes the ticket as timed_out', async () => {
    // Prepare: a critical request's stage times out in about 1.4 s here.
    const id = await file({ ...githubWrite, urgency: 'critical' });
    const link = await client.linkFor(manager, id, 'Approval needed');

    // Act
    const ticket = await client.ticketWhen(requester, id, (t) => t.status === 'closed');
    const page = await client.openLink(link);

    // Assess
    expect(ticket.closure).toBe('timed_out');
    expect(page.status).toBe(410);
    expect(page.html).toContain('expired');
  });

  it('answers an inbox decision and a fulfilment report with what was recorded and what comes next', async () => {
    // Prepare
    const id = await file();
    const task = await inboxTask(id);

    // Act
    const decided = await client.call(manager, 'POST', `/approvals/${task?.id}/decision`, {
      decision: 'approve',
      comment: 'release week',
    });
    await client.linkFor(fulfiller, id, 'To fulfil');
    const reported = await client.call(fulfiller, 'POST', `/requests/${id}/fulfilment`, { result: 'done' });

    // Assess
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({
      recorded: 'approved',
      ticketId: id,
      stage: 'manager',
      by: manager,
      comment: 'release week',
      next: { step: 'fulfilment', asked: expect.arrayContaining([fulfiller]) },
    });
    expect(reported.status).toBe(200);
    expect(reported.body).toMatchObject({
      recorded: 'done',
      by: fulfiller,
      next: { step: 'closed', closure: 'fulfilled' },
    });
  });

  it('keeps requesters out of their own approval: the inbox decision of a non-approver is refused', async () => {
    // Prepare
    const id = await file();
    const task = await inboxTask(id);

    // Act
    const byRequester = await client.call(requester, 'POST', `/approvals/${task?.id}/decision`, {
      decision: 'approve',
    });
    const byManager = await client.call(manager, 'POST', `/approvals/${task?.id}/decision`, {
      decision: 'approve',
    });
    const again = await client.call(manager, 'POST', `/approvals/${task?.id}/decision`, { decision: 'deny' });

    // Assess
    expect(task).toBeDefined();
    expect(byRequester.status).toBe(403);
    expect(byManager.status).toBe(200);
    expect(again.status).toBe(409);
  });
});

describe('a request that needs several approval stages', () => {
  /** Decides the open stage by its emailed link, as the one person asked, and answers who that was. */
  async function approveOpenStage(id: string, stage: number): Promise<string> {
    const waiting = await client.ticketWhen(
      requester,
      id,
      (t) => t.approvals[stage]?.deadline !== null && t.approvals[stage]?.deadline !== undefined,
    );
    const [approver] = waiting.approvals[stage]?.candidates ?? [];
    if (!approver || waiting.approvals[stage]?.candidates.length !== 1) {
      throw new Error(`stage ${stage} asks ${waiting.approvals[stage]?.candidates}`);
    }
    const link = await client.linkFor(approver, id, 'Approval needed');
    const answer = await client.submitLink(link, { decision: 'approve' });
    expect(answer.status).toBe(200);
    return approver;
  }

  it('opens the system-owner stage after the manager approves, then fulfils time-bound admin access', async () => {
    // Prepare: admin rights on payroll, a high-sensitivity system.
    const id = await file({
      type: 'access',
      system: 'payroll',
      entitlement: 'payroll-admin',
      justification: 'Run the year-end pay run',
      duration: 'PT4H',
    });

    // Act
    const first = await approveOpenStage(id, 0);
    const second = await approveOpenStage(id, 1);
    const link = await client.linkFor(fulfiller, id, 'To fulfil');
    await client.submitLink(link, { result: 'done' });

    // Assess
    expect([first, second]).toEqual([manager, 'fiona.finance@example.com']);
    const active = await client.ticketWhen(requester, id, (t) => t.status === 'active');
    expect(active.approvals.map((approval) => [approval.stage, approval.decidedBy])).toEqual([
      ['manager', manager],
      ['system_owner', 'fiona.finance@example.com'],
    ]);
    expect(active.timeline.filter((event) => event.type === 'stage_opened')).toHaveLength(2);
    expect(findBrokenLink(active.timeline as TimelineEvent[])).toBeNull();
  });

  it('runs three stages on a critical system, the security stage going to a member who decided nothing yet', async () => {
    // Prepare
    const id = await file({
      type: 'access',
      system: 'aws-prod',
      entitlement: 'aws-prod-admin',
      justification: 'Rotate the production KMS keys',
      duration: 'PT2H',
    });

    // Act
    const approvers = [
      await approveOpenStage(id, 0),
      await approveOpenStage(id, 1),
      await approveOpenStage(id, 2),
    ];
    const link = await client.linkFor('ivan.it@example.com', id, 'To fulfil');
    await client.submitLink(link, { result: 'done' });

    // Assess: Sam owns aws-prod and is in security, so security is Sara alone.
    expect(approvers).toEqual([manager, 'sam.security@example.com', 'sara.secops@example.com']);
    const active = await client.ticketWhen(requester, id, (t) => t.status === 'active');
    expect(active.decision).toMatchObject({ stages: ['manager', 'system_owner', 'security'] });
  });
});

describe('the state machine file', () => {
  it('is JSONPath, retries every task, sends every failure to RecordFailure, and puts no heartbeat on a wait for a person', () => {
    const asl = JSON.parse(
      readFileSync(new URL('../../statemachines/access-request.asl.json', import.meta.url), 'utf8'),
    );
    expect(asl.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    const tasks = Object.entries(asl.States as Record<string, Record<string, unknown>>).filter(
      ([, s]) => s.Type === 'Task',
    );
    for (const [name, state] of tasks) {
      expect(JSON.stringify(state)).toMatch(/\$\{\w+FunctionArn\}/);
      expect(state).not.toHaveProperty('HeartbeatSeconds');
      expect(state.Retry).toBeDefined();
      // Every step but the last resort records its failure on the ticket.
      if (name !== 'RecordFailure')
        expect(state.Catch).toContainEqual(expect.objectContaining({ Next: 'RecordFailure' }));
    }
  });
});
