import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../support/seed';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { eventually, type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * Issue 12, item 5: an approver (or security) hands a pending stage to another eligible person, and
 * anyone has a delegate asked alongside them for a while. Run against the local system as `npm
 * start` runs it; every email is read back from the outbox and its links followed.
 *
 * Who approves whom in the demo directory: Erin is the manager of Alex and Bo, Fiona of Felix,
 * Sam of Sara, Ivan of Ian, and Dana of Erin, Fiona, Paula, Sam and Ivan. Each test uses its own
 * approver, so a delegation one test sets asks nobody in another.
 */

let server: TollgateProcess;
let client: TollgateClient;

beforeAll(async () => {
  server = await startTollgate();
  client = new TollgateClient(server.url);
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

interface Delegation {
  id: string;
  owner: string;
  delegate: string;
  from: string;
  until: string;
  createdAt: string;
  createdBy: string;
  deletedAt: string | null;
  deletedBy: string | null;
  status: string;
}

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

const read = (system: string, entitlement: string) => ({
  type: 'access',
  system,
  entitlement,
  justification: 'Review the release notes before the launch',
});

async function file(requester: string, body: Record<string, unknown>): Promise<string> {
  const { status, body: ticket } = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
  expect(status).toBe(201);
  return ticket.id;
}

/** The approval task of the ticket in `approver`'s inbox, once its approval email went out. */
async function inboxItem(approver: string, ticketId: string): Promise<string> {
  await client.linkFor(approver, ticketId, 'Approval needed');
  return eventually(async () => {
    const inbox = await client.call<{ items: { id: string; ticket: { id: string } }[] }>(
      approver,
      'GET',
      '/approvals?limit=100',
    );
    return inbox.body.items.find((item) => item.ticket.id === ticketId)?.id;
  });
}

const inboxHolds = async (approver: string, ticketId: string) =>
  (
    await client.call<{ items: { ticket: { id: string } }[] }>(approver, 'GET', '/approvals?limit=100')
  ).body.items.some((item) => item.ticket.id === ticketId);

const reassign = (as: string, taskId: string, body: Record<string, unknown>) =>
  client.call<Ticket & ErrorBody>(as, 'POST', `/approvals/${taskId}/reassign`, body);

const emailsAbout = async (to: string, ticketId: string, subjectStart: string) =>
  (await client.outbox()).filter(
    (m) => m.to.includes(to) && m.subject.startsWith(subjectStart) && m.subject.includes(ticketId),
  );

const delegate = (owner: string, body: Record<string, unknown>) =>
  client.call<Delegation & ErrorBody>(owner, 'POST', '/delegations', body);

const inHours = (hours: number) => new Date(Date.now() + hours * 3600_000).toISOString();

describe('reassigning a pending stage', () => {
  it('hands it to an eligible person, who is emailed a link, decides by it and moves the ticket on', async () => {
    // Prepare: Alex asks for github-write; his manager Erin is asked
    const id = await file(people.alex, read('github', 'github-write'));
    const taskId = await inboxItem(people.erin, id);
    const before = await client.ticket(people.alex, id);

    // Act: Erin hands it to her own manager, Dana
    const reassigned = await reassign(people.erin, taskId, { to: people.dana, reason: 'On leave this week' });
    const danasEmail = await eventually(
      async () => (await emailsAbout(people.dana, id, 'Approval needed (reassigned to you)'))[0],
    );
    const decided = await client.submitLink(client.onThisServer(danasEmail.links[0] ?? ''), {
      decision: 'approve',
    });

    // Assess
    expect(reassigned.status).toBe(200);
    expect(reassigned.body.approvals[0]).toMatchObject({
      candidates: [people.dana],
      reassignedFrom: [people.erin],
      deadline: before.approvals[0]?.deadline,
    });
    expect(reassigned.body.timeline.at(-1)).toMatchObject({
      type: 'reassigned',
      actor: people.erin,
      reason: 'On leave this week',
      data: { stage: 'manager', index: 0, from: [people.erin], to: people.dana },
    });
    expect(danasEmail.text).toContain(
      `Erin Lead <${people.erin}> reassigned this approval to you: On leave this week`,
    );
    expect(danasEmail.text).toContain("in place of Alex Developer's manager");
    expect(decided.status).toBe(200);
    const ticket = await client.ticketWhen(people.alex, id, (t) => t.status === 'fulfilling');
    expect(ticket.approvals[0]).toMatchObject({ decidedBy: people.dana, decision: 'approve', via: 'link' });
    await client.linkFor(people.ian, id, 'To fulfil');
  });

  it('takes the stage from the people asked before: their link and inbox answer that it is no longer theirs, and they still see the ticket', async () => {
    // Prepare
    const id = await file(people.bo, read('github', 'github-read'));
    const erinsLink = await client.linkFor(people.erin, id, 'Approval needed');
    const taskId = await inboxItem(people.erin, id);

    // Act
    await reassign(people.erin, taskId, { to: people.dana, reason: 'Dana knows this repository' });
    const page = await client.openLink(erinsLink);
    const decision = await client.call<ErrorBody>(people.erin, 'POST', `/approvals/${taskId}/decision`, {
      decision: 'approve',
    });
    const again = await reassign(people.erin, taskId, {
      to: people.dana,
      reason: 'Dana knows this repository',
    });

    // Assess
    expect(page.status).toBe(409);
    expect(page.html).toContain(`reassigned to ${people.dana}`);
    expect(page.html).toContain('<h1>Handed to someone else</h1>');
    expect(decision.status).toBe(409);
    expect(decision.body.error).toMatchObject({ code: 'reassigned' });
    expect(decision.body.error.message).toContain('no longer yours to decide');
    expect(again.status).toBe(409);
    expect(await inboxHolds(people.erin, id)).toBe(false);
    expect(await eventually(async () => ((await inboxHolds(people.dana, id)) ? true : undefined))).toBe(true);
    const seen = await client.ticket(people.erin, id);
    expect(seen.timeline.filter((event) => event.type === 'reassigned')).toHaveLength(1);
  });

  it('lets security reassign, and tells the approver it was taken from', async () => {
    // Prepare: Felix asks for github-read; his manager Fiona is asked
    const id = await file(people.felix, read('github', 'github-read'));
    const taskId = await inboxItem(people.fiona, id);

    // Act
    const reassigned = await reassign(people.sara, taskId, {
      to: people.dana,
      reason: 'Fiona is travelling',
    });

    // Assess
    expect(reassigned.status).toBe(200);
    expect(reassigned.body.timeline.at(-1)).toMatchObject({ type: 'reassigned', actor: people.sara });
    const told = await eventually(async () => (await emailsAbout(people.fiona, id, 'Reassigned'))[0]);
    expect(told.text).toContain(`Sara SecOps <${people.sara}> reassigned the approval`);
    expect(told.text).toContain(`to Dana Chief <${people.dana}>: Fiona is travelling`);
    expect(told.links).toEqual([]);
    await client.linkFor(people.dana, id, 'Approval needed (reassigned to you)');
  });

  it('refuses, on `to`, the requester, the beneficiary and someone not active, and changes nothing', async () => {
    // Prepare: Erin files for her report Alex; she may not approve it, so her manager Dana is asked
    const id = await file(people.erin, { ...read('wiki', 'wiki-edit'), beneficiary: people.alex });
    const taskId = await inboxItem(people.dana, id);
    const before = await client.ticket(people.dana, id);

    // Act
    const refusals = await Promise.all(
      [people.erin, people.alex, people.sue, 'nobody@example.com'].map((to) =>
        reassign(people.dana, taskId, { to, reason: 'Someone closer to the work' }),
      ),
    );

    // Assess
    expect(refusals.map((refusal) => [refusal.status, refusal.body.error.fields])).toEqual([
      [400, { to: `${people.erin} is the requester` }],
      [400, { to: `${people.alex} is the beneficiary` }],
      [400, { to: `${people.sue} is suspended` }],
      [400, { to: 'nobody@example.com is not in the directory' }],
    ]);
    expect((await client.ticket(people.dana, id)).version).toBe(before.version);
  });

  it('refuses, on `to`, whoever decided an earlier stage of the ticket', async () => {
    // Prepare: admin on the critical AWS account: Erin (manager), then Sam (owner), then security
    const id = await file(people.alex, {
      ...read('aws-prod', 'aws-prod-admin'),
      justification: 'Rotate the production KMS keys',
    });
    await client.submitLink(await client.linkFor(people.erin, id, 'Approval needed'), {
      decision: 'approve',
    });
    const taskId = await inboxItem(people.sam, id);

    // Act
    const refused = await reassign(people.sam, taskId, { to: people.erin, reason: 'Erin knows the keys' });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body.error.fields).toEqual({
      to: `${people.erin} decided the manager stage of this request`,
    });
  });

  it('is refused to anyone but its approver and security: 403 to those who see the ticket, 404 to the rest', async () => {
    // Prepare: Alex asks for wiki-edit (Erin approves, Ian fulfils); Sam, in security, files his own
    const id = await file(people.alex, read('wiki', 'wiki-edit'));
    const taskId = await inboxItem(people.erin, id);
    const samsOwn = await file(people.sam, read('wiki', 'wiki-edit'));
    const samsTask = await inboxItem(people.dana, samsOwn);
    const body = { to: people.dana, reason: 'Someone else should decide' };

    // Act
    const [requester, fulfiller, stranger, securityOnOwn] = await Promise.all([
      reassign(people.alex, taskId, body),
      reassign(people.ian, taskId, body),
      reassign(people.paula, taskId, body),
      reassign(people.sam, samsTask, { to: people.ivan, reason: 'Ivan would approve' }),
    ]);

    // Assess
    expect([requester.status, fulfiller.status, stranger.status, securityOnOwn.status]).toEqual([
      403, 403, 404, 403,
    ]);
    expect(securityOnOwn.body.error.message).toBe(
      'Nobody reassigns the approval of a ticket they requested or benefit from',
    );
    expect((await client.ticket(people.alex, id)).approvals[0]?.candidates).toEqual([people.erin]);
  });
});

describe('delegations', () => {
  it('asks the delegate alongside the manager while the delegation is in force, and the delegate may approve', async () => {
    // Prepare: Fiona has Paula asked alongside her from a minute ago until tomorrow
    const set = await delegate(people.fiona, {
      delegate: people.paula,
      from: inHours(-1 / 60),
      until: inHours(24),
    });

    // Act: Felix, Fiona's report, asks for github-read
    const id = await file(people.felix, read('github', 'github-read'));
    const paulasEmail = await eventually(
      async () => (await emailsAbout(people.paula, id, 'Approval needed'))[0],
    );
    const decided = await client.submitLink(client.onThisServer(paulasEmail.links[0] ?? ''), {
      decision: 'approve',
    });

    // Assess
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ owner: people.fiona, delegate: people.paula, status: 'active' });
    await client.linkFor(people.fiona, id, 'Approval needed');
    expect(paulasEmail.text).toContain(
      "Needs your approval as the delegate of Fiona Finance, Felix Analyst's manager",
    );
    expect(decided.status).toBe(200);
    const ticket = await client.ticketWhen(people.felix, id, (t) => t.status === 'fulfilling');
    expect(ticket.approvals[0]).toMatchObject({
      candidates: [people.fiona, people.paula],
      delegates: { [people.paula]: [people.fiona] },
      decidedBy: people.paula,
    });
    expect(ticket.timeline.find((event) => event.type === 'stage_opened')).toMatchObject({
      data: { delegates: { [people.paula]: [people.fiona] } },
    });
    expect((await client.call(people.fiona, 'DELETE', `/delegations/${set.body.id}`)).status).toBe(204);
  });

  it('asks nobody more for a delegation that has not started or has ended', async () => {
    // Prepare: Ivan has Paula asked from tomorrow, and had Alex asked for three seconds that are over
    const upcoming = await delegate(people.ivan, {
      delegate: people.paula,
      from: inHours(24),
      until: inHours(48),
    });
    const ended = await delegate(people.ivan, {
      delegate: people.alex,
      from: inHours(-1),
      until: inHours(3 / 3600),
    });
    const until = Date.parse(ended.body.until);
    await eventually(async () => (Date.now() > until + 100 ? true : undefined));

    // Act: Ian, Ivan's report, asks for github-read
    const id = await file(people.ian, read('github', 'github-read'));
    await client.linkFor(people.ivan, id, 'Approval needed');

    // Assess
    expect([upcoming.status, ended.status]).toEqual([201, 201]);
    expect((await client.ticket(people.ian, id)).approvals[0]?.candidates).toEqual([people.ivan]);
    const listed = await client.call<{ items: Delegation[] }>(people.ivan, 'GET', '/delegations');
    expect(listed.body.items.map((each) => [each.delegate, each.status])).toEqual([
      [people.paula, 'upcoming'],
      [people.alex, 'ended'],
    ]);
  });

  it('asks the delegate no more once deleted, and keeps the delegation listed as deleted, by whom and when', async () => {
    // Prepare: Sam has Paula asked alongside him, then deletes it
    const set = await delegate(people.sam, { delegate: people.paula, from: inHours(-1), until: inHours(24) });
    const deleted = await client.call(people.sam, 'DELETE', `/delegations/${set.body.id}`);

    // Act: Sara, Sam's report, asks for github-read
    const id = await file(people.sara, read('github', 'github-read'));
    await client.linkFor(people.sam, id, 'Approval needed');

    // Assess
    expect(deleted.status).toBe(204);
    expect((await client.ticket(people.sara, id)).approvals[0]?.candidates).toEqual([people.sam]);
    const given = await client.call<{ items: Delegation[] }>(people.sam, 'GET', '/delegations');
    const received = await client.call<{ items: Delegation[] }>(people.paula, 'GET', '/delegations');
    const record = given.body.items.find((each) => each.id === set.body.id);
    expect(record).toMatchObject({
      createdBy: people.sam,
      createdAt: set.body.createdAt,
      deletedBy: people.sam,
      status: 'deleted',
    });
    expect(Date.parse(record?.deletedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(set.body.createdAt));
    expect(received.body.items.map((each) => each.id)).toContain(set.body.id);
  });

  it('does not ask a delegate who is the requester', async () => {
    // Prepare: Dana has Erin asked alongside her
    const set = await delegate(people.dana, { delegate: people.erin, from: inHours(-1), until: inHours(24) });

    // Act: Erin asks for github-read for herself; her manager Dana is asked
    const id = await file(people.erin, read('github', 'github-read'));
    await client.linkFor(people.dana, id, 'Approval needed');

    // Assess
    const ticket = await client.ticket(people.erin, id);
    expect(ticket.approvals[0]?.candidates).toEqual([people.dana]);
    expect(ticket.approvals[0]).not.toHaveProperty('delegates');
    expect((await client.call(people.dana, 'DELETE', `/delegations/${set.body.id}`)).status).toBe(204);
  });

  it('refuses, by field, a delegation to oneself or to someone not active, and a window that is wrong', async () => {
    // Act
    const refusals = await Promise.all([
      delegate(people.bo, { delegate: people.bo, from: inHours(0), until: inHours(24) }),
      delegate(people.bo, { delegate: people.sue, from: inHours(0), until: inHours(24) }),
      delegate(people.bo, { delegate: people.alex, from: inHours(24), until: inHours(1) }),
      delegate(people.bo, { delegate: people.alex, from: inHours(-48), until: inHours(-24) }),
      delegate(people.bo, { delegate: people.alex, from: inHours(0), until: inHours(91 * 24) }),
      delegate(people.bo, { delegate: people.alex, from: 'tomorrow', until: inHours(24) }),
    ]);

    // Assess
    expect(refusals.map((refusal) => [refusal.status, refusal.body.error.fields])).toEqual([
      [400, { delegate: 'is you: name someone to be asked alongside you' }],
      [400, { delegate: 'is suspended' }],
      [400, { until: 'must be after from' }],
      [400, { until: 'must be in the future' }],
      [400, { until: 'must be at most 90 days after from' }],
      [400, { from: 'must be an ISO 8601 date-time such as 2026-01-31T09:00:00Z' }],
    ]);
    expect((await client.call<{ items: Delegation[] }>(people.bo, 'GET', '/delegations')).body.items).toEqual(
      [],
    );
  });

  it('stores the same delegation once when it is sent twice', async () => {
    // Prepare
    const body = { delegate: people.alex, from: inHours(1), until: inHours(25) };

    // Act
    const [first, second] = await Promise.all([delegate(people.bo, body), delegate(people.bo, body)]);

    // Assess
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).toBe(first.body.id);
    const listed = await client.call<{ items: Delegation[] }>(people.bo, 'GET', '/delegations');
    expect(listed.body.items.map((each) => each.id)).toEqual([first.body.id]);
  });

  it('is deleted by its owner or security only: its delegate gets 403, anyone else 404', async () => {
    // Prepare
    const set = await delegate(people.paula, { delegate: people.bo, from: inHours(1), until: inHours(2) });
    const path = `/delegations/${set.body.id}`;

    // Act
    const byDelegate = await client.call(people.bo, 'DELETE', path);
    const byStranger = await client.call(people.alex, 'DELETE', path);
    const bySecurity = await client.call(people.sara, 'DELETE', path);
    const again = await client.call(people.paula, 'DELETE', path);

    // Assess
    expect([byDelegate.status, byStranger.status, bySecurity.status, again.status]).toEqual([
      403, 404, 204, 204,
    ]);
    const listed = await client.call<{ items: Delegation[] }>(people.paula, 'GET', '/delegations');
    expect(listed.body.items.find((each) => each.id === set.body.id)).toMatchObject({
      deletedBy: people.sara,
      status: 'deleted',
    });
  });

  it('lists what a person gave and received a page at a time, the latest-ending first', async () => {
    // Prepare: Paula received delegations from Fiona, Ivan and Sam above, and gave one to Bo
    const all: Delegation[] = [];
    let cursor: string | null = null;

    // Act
    do {
      const page: { body: { items: Delegation[]; next: string | null } } = await client.call(
        people.paula,
        'GET',
        `/delegations?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      all.push(...page.body.items);
      cursor = page.body.next;
    } while (cursor);

    // Assess
    expect(all.map((each) => each.owner).sort()).toEqual(
      [people.fiona, people.ivan, people.paula, people.sam].sort(),
    );
    const untils = all.map((each) => each.until);
    expect(untils).toEqual([...untils].sort().reverse());
  });
});
