import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_TABLE_NAME } from '../../functions/local/dynamodb';
import { chainProblems } from '../support/chain';
import { people, seedIdentities } from '../support/seed';
import { partitionItems } from '../support/table';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * People move and leave, reported by an admin (PUT /directory/{id}, PUT /catalog/systems/{id}) or
 * by `npm run load-directory`, against the whole local system. Each test makes people of its own,
 * so a departure in one cannot reroute another's tickets.
 */

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const admin = people.ivan;

let server: TollgateProcess;
let client: TollgateClient;

beforeAll(async () => {
  // Directory reads uncached, so each request sees the change the previous one made.
  server = await startTollgate({ env: { DIRECTORY_CACHE_SECONDS: '0' } });
  client = new TollgateClient(server.url);
});

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

interface Entry {
  id: string;
  kind: 'human' | 'service';
  name: string;
  department: string;
  title: string;
  managerId: string | null;
  ownerId: string | null;
  status: 'active' | 'suspended' | 'departed';
  roles: string[];
}

interface ChangeResult {
  entry: Record<string, unknown>;
  created: boolean;
  changes: { person?: string; system?: string; change: string; from: string | null; to: string | null }[];
  stagesMoved: { ticket: string; stage: string; from: string[]; to: string[] }[];
  ticketsClosed: string[];
  ticketsCancelled: string[];
  serviceAccountsFlagged: string[];
  error?: { code: string; fields?: Record<string, string> };
}

type TimelineEvent = Ticket['timeline'][number] & { data: Record<string, unknown> };

let made = 0;
/** An id nobody else in this file uses. */
const unique = (name: string) => `${name}.${++made}@identity.example.com`;

function person(id: string, fields: Partial<Entry> = {}): Entry {
  return {
    id,
    kind: 'human',
    name: id,
    department: 'Engineering',
    title: '',
    managerId: null,
    ownerId: null,
    status: 'active',
    roles: [],
    ...fields,
  };
}

function putEntry(entry: Entry, as: string = admin) {
  return client.call<ChangeResult>(as, 'PUT', `/directory/${encodeURIComponent(entry.id)}`, entry);
}

/** A boss, the manager who reports to them, and the manager's report, written by the admin. */
async function team() {
  const boss = person(unique('boss'));
  const manager = person(unique('manager'), { managerId: boss.id });
  const report = person(unique('report'), { managerId: manager.id });
  for (const entry of [boss, manager, report]) expect((await putEntry(entry)).status).toBe(201);
  return { boss, manager, report };
}

const githubWrite = {
  type: 'access',
  system: 'github',
  entitlement: 'github-write',
  justification: 'Push the release branch for 4.2',
};

async function file(as: string, body: Record<string, unknown> = githubWrite): Promise<string> {
  const { status, body: ticket } = await client.call<{ id: string }>(as, 'POST', '/requests', body);
  expect(status, JSON.stringify(ticket)).toBe(201);
  return ticket.id;
}

const approvalLink = (to: string, ticketId: string) => client.linkFor(to, ticketId, 'Approval needed');

describe('an approver who leaves', () => {
  it.each(['departed', 'suspended'] as const)(
    'when %s, hands the open stage to their manager, who is emailed a link and approves; their own link answers 409',
    async (status) => {
      // Prepare
      const { boss, manager, report } = await team();
      const id = await file(report.id);
      const managersLink = await approvalLink(manager.id, id);

      // Act
      const change = await putEntry({ ...manager, status });
      const bossesLink = await approvalLink(boss.id, id);
      const oldLink = await client.openLink(managersLink);
      const approved = await client.submitLink(bossesLink, { decision: 'approve' });

      // Assess
      expect(change.status).toBe(200);
      expect(change.body.changes).toEqual([
        { person: manager.id, change: status, from: 'active', to: status },
      ]);
      expect(change.body.stagesMoved).toEqual([
        { ticket: id, stage: 'manager', from: [manager.id], to: [boss.id] },
      ]);
      expect(oldLink.status).toBe(409);
      expect(oldLink.html).toContain('no longer yours to decide');
      expect(oldLink.html).toContain('<h1>Handed to someone else</h1>');
      expect(approved.status).toBe(200);
      const ticket = await client.ticketWhen(report.id, id, (t) => t.status === 'fulfilling');
      expect(ticket.approvals[0]).toMatchObject({ decidedBy: boss.id, decision: 'approve', via: 'link' });
      const moved = (ticket.timeline as TimelineEvent[]).find((event) => event.type === 'stage_moved');
      expect(moved).toMatchObject({
        actor: admin,
        data: { person: manager.id, change: status, stage: 'manager', from: [manager.id], to: [boss.id] },
      });
    },
  );

  it('changes nothing more when the same departure is reported again', async () => {
    // Prepare
    const { boss, manager, report } = await team();
    const id = await file(report.id);
    await approvalLink(manager.id, id);
    await putEntry({ ...manager, status: 'departed' });
    await approvalLink(boss.id, id);

    // Act
    const again = await putEntry({ ...manager, status: 'departed' });

    // Assess
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changes: [], stagesMoved: [], ticketsCancelled: [] });
    const ticket = await client.ticket(report.id, id);
    expect(ticket.timeline.filter((event) => event.type === 'stage_moved')).toHaveLength(1);
    const bossEmails = (await client.outbox()).filter(
      (m) => m.to.includes(boss.id) && m.subject.includes(id),
    );
    expect(bossEmails).toHaveLength(1);
  });
});

describe('two reports of one departure at once', () => {
  it('write it once, move the stage once and email the fallback once', async () => {
    // Prepare
    const { boss, manager, report } = await team();
    const id = await file(report.id);
    await approvalLink(manager.id, id);

    // Act
    const answers = await Promise.all([1, 2].map(() => putEntry({ ...manager, status: 'departed' })));
    await approvalLink(boss.id, id);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers.filter((answer) => answer.body.changes.length > 0)).toHaveLength(1);
    expect(answers.flatMap((answer) => answer.body.stagesMoved)).toHaveLength(1);
    const [stored] = await partitionItems((await client.endpoints()).dynamodb, `IDENTITY#${manager.id}`);
    const history = stored?.history as TimelineEvent[];
    expect(history.map((event) => [event.type, event.actor, event.data.created])).toEqual([
      ['directory_entry_written', admin, true],
      ['directory_entry_written', admin, false],
    ]);
    expect(chainProblems(history)).toEqual([]);
    const ticket = await client.ticket(report.id, id);
    expect(ticket.timeline.filter((event) => event.type === 'stage_moved')).toHaveLength(1);
    const bossEmails = (await client.outbox()).filter(
      (m) => m.to.includes(boss.id) && m.subject.includes(id),
    );
    expect(bossEmails).toHaveLength(1);
  });
});

describe('a manager change', () => {
  it("moves the beneficiary's open manager stage to the new manager, who approves", async () => {
    // Prepare
    const { boss, manager, report } = await team();
    const newManager = person(unique('new-manager'), { managerId: boss.id });
    await putEntry(newManager);
    const id = await file(report.id);
    const oldManagersLink = await approvalLink(manager.id, id);

    // Act
    const change = await putEntry({ ...report, managerId: newManager.id });
    const newLink = await approvalLink(newManager.id, id);
    const approved = await client.submitLink(newLink, { decision: 'approve' });

    // Assess
    expect(change.body.changes).toEqual([
      { person: report.id, change: 'manager_changed', from: manager.id, to: newManager.id },
    ]);
    expect(change.body.stagesMoved).toEqual([
      { ticket: id, stage: 'manager', from: [manager.id], to: [newManager.id] },
    ]);
    expect(approved.status).toBe(200);
    const ticket = await client.ticketWhen(report.id, id, (t) => t.status === 'fulfilling');
    expect(ticket.approvals[0]?.decidedBy).toBe(newManager.id);
    expect((await client.openLink(oldManagersLink)).status).toBe(409);
  });
});

describe('a departed beneficiary', () => {
  it('has their open tickets cancelled, naming the departure, and leaves a closed one as it was', async () => {
    // Prepare
    const { manager, report } = await team();
    const denied = await file(report.id);
    await client.submitLink(await approvalLink(manager.id, denied), { decision: 'deny' });
    await client.ticketWhen(report.id, denied, (t) => t.status === 'closed');
    const first = await file(report.id);
    const second = await file(report.id, { ...githubWrite, entitlement: 'github-read' });
    const managersLink = await approvalLink(manager.id, first);

    // Act
    const change = await putEntry({ ...report, status: 'departed' });

    // Assess
    expect(change.status).toBe(200);
    expect(change.body.ticketsCancelled).toEqual([first, second].sort());
    for (const id of [first, second]) {
      const ticket = await client.ticket(manager.id, id);
      expect(ticket).toMatchObject({ status: 'closed', closure: 'cancelled' });
      expect(ticket.timeline.at(-2)).toMatchObject({
        type: 'cancelled',
        actor: admin,
        reason: `${report.id} departed`,
      });
    }
    expect((await client.ticket(manager.id, denied)).closure).toBe('rejected');
    const link = await client.openLink(managersLink);
    expect(link.status).toBe(409);
    expect(link.html).toContain('This request was cancelled');
    const told = (await client.outbox()).filter(
      (message) => message.to.includes(manager.id) && message.subject.startsWith(`Cancelled: `),
    );
    expect(told.map((message) => message.subject.split(' (')[1])).toEqual(
      expect.arrayContaining([`${first})`]),
    );
  });
});

describe('a service account whose owner departs', () => {
  it('is flagged and refused at intake, naming the owner, until a new owner is set', async () => {
    // Prepare
    const { boss, manager: owner } = await team();
    const account: Entry = person(`svc:identity-${++made}`, {
      kind: 'service',
      ownerId: owner.id,
      department: 'Engineering',
    });
    await putEntry(account);
    const forAccount = { ...githubWrite, entitlement: 'github-read', beneficiary: account.id };

    // Act
    const departure = await putEntry({ ...owner, status: 'departed' });
    const flagged = await client.call(admin, 'GET', `/directory/${encodeURIComponent(account.id)}`);
    const refused = await client.call<ChangeResult>(boss.id, 'POST', '/requests', forAccount);
    const departedOwner = await putEntry({ ...account, ownerId: people.dan });
    // The entry as GET answers it, flag included, is accepted back.
    const newOwner = await putEntry({ ...(flagged.body as unknown as Entry), ownerId: boss.id });
    const cleared = await client.call(admin, 'GET', `/directory/${encodeURIComponent(account.id)}`);
    const accepted = await client.call(boss.id, 'POST', '/requests', forAccount);

    // Assess
    expect(departure.body.serviceAccountsFlagged).toEqual([account.id]);
    expect(flagged.body).toMatchObject({ id: account.id, ownerDeparted: true });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.fields?.beneficiary).toContain(owner.id);
    expect(departedOwner.body.error?.fields?.ownerId).toContain('has departed');
    expect(newOwner.status).toBe(200);
    expect(newOwner.body.changes).toEqual([
      { person: account.id, change: 'owner_changed', from: owner.id, to: boss.id },
    ]);
    expect(cleared.body).not.toHaveProperty('ownerDeparted');
    expect(accepted.status).toBe(201);
  });
});

describe('a new owner of a system', () => {
  it('takes over the open system-owner stage, is emailed a link and approves', async () => {
    // Prepare
    const { manager, report } = await team();
    const [owner, newOwner] = [person(unique('owner')), person(unique('new-owner'))];
    for (const entry of [owner, newOwner]) await putEntry(entry);
    const systemId = `vault-${++made}`;
    const vault = {
      id: systemId,
      name: 'Vault',
      ownerId: owner.id,
      sensitivity: 'high',
      fulfilment: { mode: 'manual', fulfillers: [people.ian] },
      entitlements: [{ id: `${systemId}-admin`, name: 'Vault admin', class: 'admin', maxDuration: 'PT8H' }],
    };
    expect((await client.call(admin, 'PUT', `/catalog/systems/${systemId}`, vault)).status).toBe(201);
    const id = await file(report.id, { ...githubWrite, system: systemId, entitlement: `${systemId}-admin` });
    await client.submitLink(await approvalLink(manager.id, id), { decision: 'approve' });
    await approvalLink(owner.id, id);

    // Act
    const change = await client.call<ChangeResult>(admin, 'PUT', `/catalog/systems/${systemId}`, {
      ...vault,
      ownerId: newOwner.id,
    });
    const approved = await client.submitLink(await approvalLink(newOwner.id, id), { decision: 'approve' });

    // Assess
    expect(change.status).toBe(200);
    expect(change.body.stagesMoved).toEqual([
      { ticket: id, stage: 'system_owner', from: [owner.id], to: [newOwner.id] },
    ]);
    expect(approved.status).toBe(200);
    const ticket = await client.ticketWhen(report.id, id, (t) => t.status === 'fulfilling');
    expect(ticket.approvals.map((stage) => stage.decidedBy)).toEqual([manager.id, newOwner.id]);
  });
});

describe('who may change the directory and the catalog, and what they may send', () => {
  it('refuses anyone but an admin with 403, and changes nothing', async () => {
    // Prepare
    const alex = person(people.alex, {
      managerId: people.erin,
      title: 'Software Engineer',
      status: 'departed',
    });
    const wiki = {
      id: 'wiki',
      name: 'Wiki',
      ownerId: people.alex,
      sensitivity: 'low',
      fulfilment: { mode: 'manual', fulfillers: [people.ian] },
      entitlements: [{ id: 'wiki-read', name: 'Read', class: 'read' }],
    };

    // Act
    const directory = await putEntry(alex, people.erin);
    const catalog = await client.call(people.sam, 'PUT', '/catalog/systems/wiki', wiki);

    // Assess
    expect(directory.status).toBe(403);
    expect(catalog.status).toBe(403);
    expect((await client.call(people.alex, 'GET', `/directory/${people.alex}`)).body).toMatchObject({
      status: 'active',
    });
  });

  it('answers an invalid entry with 400 naming each field', async () => {
    // Prepare
    const id = unique('invalid');

    // Act
    const malformed = await client.call<ChangeResult>(admin, 'PUT', `/directory/${id}`, {
      id,
      kind: 'robot',
      name: '',
      status: 'gone',
      colour: 'blue',
    });
    const otherId = await client.call<ChangeResult>(admin, 'PUT', `/directory/${unique('path')}`, person(id));
    const unknownManager = await putEntry(
      person(unique('orphan'), { managerId: 'ghost@identity.example.com' }),
    );
    const badSystem = await client.call<ChangeResult>(admin, 'PUT', '/catalog/systems/broken', {
      id: 'broken',
      name: 'Broken',
      ownerId: 'ghost@identity.example.com',
      sensitivity: 'extreme',
      fulfilment: { mode: 'manual', fulfillers: [] },
      entitlements: [],
    });

    // Assess
    expect(malformed.status).toBe(400);
    expect(Object.keys(malformed.body.error?.fields ?? {}).sort()).toEqual(
      ['colour', 'department', 'kind', 'name', 'status'].sort(),
    );
    expect(otherId.status).toBe(400);
    expect(otherId.body.error?.fields).toHaveProperty('id');
    expect(unknownManager.status).toBe(400);
    expect(unknownManager.body.error?.fields?.managerId).toContain('ghost@identity.example.com');
    expect(badSystem.status).toBe(400);
    expect(Object.keys(badSystem.body.error?.fields ?? {}).sort()).toEqual(
      ['entitlements', 'fulfilment.fulfillers', 'sensitivity'].sort(),
    );
    expect((await client.call(admin, 'GET', `/directory/${id}`)).status).toBe(404);
  });
});

describe('npm run load-directory', () => {
  it('applies a changed file as the admin route does: the stage moves, and the fallback approves', async () => {
    // Prepare
    const { boss, manager, report } = await team();
    const id = await file(report.id);
    const managersLink = await approvalLink(manager.id, id);
    const directoryFile = join(server.dataDir, 'people.json');
    writeFileSync(
      directoryFile,
      // The whole demo directory too: the catalog the load checks against names its people.
      JSON.stringify({ identities: [...seedIdentities, boss, { ...manager, status: 'departed' }, report] }),
    );
    const endpoints = await client.endpoints();

    // Act
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/load-directory.ts',
        '--table',
        LOCAL_TABLE_NAME,
        '--directory',
        directoryFile,
        '--url',
        server.url,
        '--sender',
        'Tollgate <tollgate@example.com>',
        '--state-machine',
        'arn:aws:states:us-east-1:000000000000:stateMachine:access-request',
        '--revocation-state-machine',
        'arn:aws:states:us-east-1:000000000000:stateMachine:grant-revocation',
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
          AWS_ENDPOINT_URL_SESV2: endpoints.ses,
          AWS_ENDPOINT_URL_SFN: endpoints.stepfunctions,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
        },
      },
    );
    const approved = await client.submitLink(await approvalLink(boss.id, id), { decision: 'approve' });

    // Assess
    expect(stdout).toContain(`identities: 0 new, 1 changed, ${seedIdentities.length + 2} unchanged`);
    expect(stdout).toContain(
      `${manager.id}: ${manager.id} departed; ticket ${id}: manager stage moved to ${boss.id}`,
    );
    expect((await client.openLink(managersLink)).status).toBe(409);
    expect(approved.status).toBe(200);
    await client.ticketWhen(report.id, id, (t) => t.status === 'fulfilling');
    const moved = (await client.ticket(report.id, id)).timeline.find((event) => event.type === 'stage_moved');
    expect(moved?.actor).toBe('load-directory');
  });
});
