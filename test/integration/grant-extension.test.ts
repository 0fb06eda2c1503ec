import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { eventually, type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * Before a grant ends its holder is told, with a link to extend it (issue 13, item 5); an extension
 * is a request of its own, decided like any other, and once approved the grant's end moves and its
 * schedule with it. At TOLLGATE_TIME_SCALE 0.0005 an hour lasts 1.8 s: a twelve-hour grant ends
 * 21.6 s after it is granted, and its holder is told halfway through, which leaves 10.8 s for an
 * extension to be filed and approved before the old end even on a loaded machine.
 */
const env = { TOLLGATE_TIME_SCALE: '0.0005', DIRECTORY_CACHE_SECONDS: '0' };

interface Grant {
  id: string;
  until: string | null;
  status: string;
  endReason: string | null;
}
type ErrorBody = { error: { code: string; fields?: Record<string, string> } };

const { alex, erin, ian, aude, paula } = people;

let server: TollgateProcess;
let client: TollgateClient;

const grantOf = async (id: string, holder: string = alex) =>
  (
    await client.call<{ items: Grant[] }>(aude, 'GET', `/grants?identity=${holder}&limit=100`)
  ).body.items.find((grant) => grant.id === id);

/** Alex asks for `entitlement` on GitHub for `duration` (null: standing); Erin approves, Ian fulfils. */
const grantToAlex = (entitlement: string, duration: string | null) =>
  client.grantThrough(alex, erin, ian, {
    type: 'access',
    system: 'github',
    entitlement,
    ...(duration ? { duration } : {}),
    justification: 'Cut the 4.2 release',
  });

const extend = (as: string, grantId: string, body: unknown, headers: Record<string, string> = {}) =>
  client.call<Ticket & ErrorBody>(as, 'POST', `/grants/${grantId}/extend`, body, headers);

/** Erin approves the extension by her link. */
const approve = async (ticketId: string) =>
  client.submitLink(await client.linkFor(erin, ticketId, 'Approval needed'), { decision: 'approve' });

const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

beforeAll(async () => {
  server = await startTollgate({ env });
  client = new TollgateClient(server.url);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

// First: no other grant of github-read is held yet, so its end is not covered by another.
describe('an ended grant', () => {
  it('is not extended (409), and nothing is filed', async () => {
    // Prepare
    const ended = await grantToAlex('github-read', 'PT1H');
    await client.submitLink(await client.linkFor(ian, ended.id, 'To revoke', 30_000), { confirm: 'revoked' });
    await eventually(async () => ((await grantOf(ended.grant.id))?.status === 'ended' ? true : undefined));

    // Act
    const refused = await extend(alex, ended.grant.id, { duration: 'P1D', justification: 'One more day' });

    // Assess
    expect(refused.status).toBe(409);
    const mine = await client.call<{ items: Ticket[] }>(alex, 'GET', '/requests?mine=true&limit=100');
    expect(mine.body.items.filter((ticket) => ticket.extends === ended.grant.id)).toEqual([]);
  }, 60_000);
});

describe('a grant near its end', () => {
  it('tells its holder, whose link files an extension; once approved the grant ends later, and only then is revoked', async () => {
    // Prepare
    const granted = await grantToAlex('github-write', 'PT12H');
    const oldUntil = Date.parse(granted.grant.until);

    // Act
    const notice = await client.linkFor(alex, granted.id, 'Ends soon', 30_000);
    const noticedAt = Date.now();
    const page = await client.openLink(notice);
    const filed = await client.submitLink(notice, {
      extend: 'yes',
      duration: 'PT12H',
      justification: 'The release slipped a day',
    });
    const extension = /ticket (\w+)/.exec(filed.html)?.[1] ?? '';
    const again = await client.submitLink(notice, {
      extend: 'yes',
      duration: 'PT1H',
      justification: 'Again',
    });
    await client.submitLink(await client.linkFor(erin, extension, 'Approval needed'), {
      decision: 'approve',
    });
    const closedExtension = await client.ticketWhen(alex, extension, (ticket) => ticket.status === 'closed');
    const extended = await eventually(async () => {
      const grant = await grantOf(granted.grant.id);
      return grant?.until !== granted.grant.until ? grant : undefined;
    });
    await sleepUntil(oldUntil + 1_500);
    const pastOldEnd = await client.ticket(alex, granted.id);
    const revokeEmailsPastOldEnd = (await client.outbox()).filter(
      (message) => message.subject.startsWith('To revoke') && message.subject.includes(granted.id),
    );
    await client.linkFor(ian, granted.id, 'To revoke', 30_000);
    const revokedAt = Date.now();

    // Assess
    expect(noticedAt).toBeLessThan(oldUntil);
    expect(page.html).toContain('Extend your access');
    expect(filed.status).toBe(200);
    expect(closedExtension).toMatchObject({ closure: 'fulfilled', extends: granted.grant.id, grant: null });
    // Twelve more (scaled) hours from the old end.
    expect(Date.parse(extended?.until ?? '')).toBe(oldUntil + 12 * 3600 * 1000 * 0.0005);
    expect(extended?.status).toBe('active');
    expect(pastOldEnd.status).toBe('active');
    expect(revokeEmailsPastOldEnd).toEqual([]);
    expect(revokedAt).toBeGreaterThanOrEqual(Date.parse(extended?.until ?? ''));
    // The link worked once.
    expect(again.status).toBe(409);
  }, 120_000);
});

describe('POST /grants/{id}/extend', () => {
  it('files an extension for the holder, and refuses others, grants that cannot be extended and bad bodies', async () => {
    // Prepare
    const timeBound = await grantToAlex('github-read', 'P1D');
    const standing = await grantToAlex('github-read', null);
    const extend = (as: string, grantId: string, body: unknown) =>
      client.call<Ticket & ErrorBody>(as, 'POST', `/grants/${grantId}/extend`, body);
    const body = { duration: 'P1D', justification: 'Still on the migration' };

    // Act
    const byHolder = await extend(alex, timeBound.grant.id, body);
    const byOwner = await extend(erin, timeBound.grant.id, body);
    const byColleague = await extend(paula, timeBound.grant.id, body);
    const ofStanding = await extend(alex, standing.grant.id, body);
    const malformed = await extend(alex, timeBound.grant.id, { duration: 'a week', extra: true });

    // Assess
    expect(byHolder).toMatchObject({
      status: 201,
      body: {
        status: 'submitted',
        extends: timeBound.grant.id,
        entitlement: 'github-read',
        beneficiary: alex,
      },
    });
    expect(byOwner.status).toBe(403);
    expect(byColleague.status).toBe(404);
    expect(ofStanding.status).toBe(409);
    expect(malformed.status).toBe(400);
    expect(Object.keys(malformed.body.error.fields ?? {}).sort()).toEqual([
      'duration',
      'extra',
      'justification',
    ]);
  }, 60_000);
});

describe('an extension once approved', () => {
  it('leaves the old end’s revocation, started late, with nothing to do', async () => {
    // Prepare
    const granted = await grantToAlex('github-write', 'PT12H');
    const oldUntil = granted.grant.until;
    const filed = await extend(alex, granted.grant.id, {
      duration: 'PT12H',
      justification: 'The release slipped',
    });
    await approve(filed.body.id);
    await client.ticketWhen(alex, filed.body.id, (ticket) => ticket.status === 'closed');
    const stepFunctions = localSfnClient((await client.endpoints()).stepfunctions);

    // Act: the execution the old schedule would have started, as Scheduler may, up to a minute late.
    await stepFunctions.send(
      new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:grant-revocation',
        name: `${granted.grant.id}-${oldUntil.replace(/[-:.]/g, '')}`,
        input: JSON.stringify({ ticketId: granted.id, grantId: granted.grant.id, until: oldUntil }),
      }),
    );
    // Long enough for the revocation to begin, were it to.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Assess
    expect(await client.ticket(alex, granted.id)).toMatchObject({ status: 'active', revocation: null });
    expect((await grantOf(granted.grant.id))?.status).toBe('active');
    expect(
      (await client.outbox()).filter(
        (message) => message.subject.startsWith('To revoke') && message.subject.includes(granted.id),
      ),
    ).toEqual([]);
  }, 60_000);

  it('is fulfilled as a grant of its own when the grant it extends began to end meanwhile', async () => {
    // Prepare
    const granted = await grantToAlex('github-write', 'P1D');
    const filed = await extend(alex, granted.grant.id, {
      duration: 'P1D',
      justification: 'The release slipped',
    });
    await client.call(alex, 'POST', `/grants/${granted.grant.id}/revoke`, { reason: 'Done early after all' });

    // Act
    await approve(filed.body.id);
    await client.submitLink(await client.linkFor(ian, filed.body.id, 'To fulfil'), { result: 'done' });
    const fulfilled = await client.ticketWhen(alex, filed.body.id, (ticket) => ticket.grant !== null);

    // Assess
    expect(fulfilled).toMatchObject({ status: 'active', extends: granted.grant.id });
    expect(fulfilled.grant?.id).toBe(`G${filed.body.id}`);
    expect((await grantOf(granted.grant.id))?.until).toBe(granted.grant.until);
  }, 60_000);

  it('is filed once for a repeated Idempotency-Key, and a key reused for another grant is a 409', async () => {
    // Prepare
    const one = await grantToAlex('github-write', 'P1D');
    const other = await grantToAlex('github-write', 'P2D');
    const body = { duration: 'P1D', justification: 'The release slipped' };

    // Act
    const first = await extend(alex, one.grant.id, body, { 'Idempotency-Key': 'extend-once' });
    const replayed = await extend(alex, one.grant.id, body, { 'Idempotency-Key': 'extend-once' });
    const elsewhere = await extend(alex, other.grant.id, body, { 'Idempotency-Key': 'extend-once' });

    // Assess
    expect(first.status).toBe(201);
    expect(replayed).toMatchObject({ status: 201, body: { id: first.body.id } });
    expect(elsewhere.status).toBe(409);
  }, 60_000);

  // Last: it publishes a policy that refuses every later write request.
  it('is refused before it moves the end when policy, asked again, refuses it', async () => {
    // Prepare: Alex asks for more time; meanwhile write access is frozen by a policy Ivan publishes.
    const granted = await grantToAlex('github-write', 'P1D');
    const filed = await extend(alex, granted.grant.id, {
      duration: 'P1D',
      justification: 'The release slipped',
    });
    const live = await client.call<{ version: string; policies: Record<string, string> }>(
      people.ivan,
      'GET',
      '/policies',
    );
    const frozen = await client.call(
      people.ivan,
      'PUT',
      '/policies',
      {
        policies: {
          ...live.body.policies,
          'write-freeze': `@id("write-freeze")\n@reason("write access is frozen")\npermit (principal, action == Tollgate::Action::"autoReject", resource)\nwhen { resource.class == "write" };`,
        },
      },
      { 'if-match': `"${live.body.version}"` },
    );
    expect(frozen.status).toBe(200);
    // Each process reads the live policy set again at most every 5 s.
    await new Promise((resolve) => setTimeout(resolve, 5_500));

    // Act
    await approve(filed.body.id);
    const closed = await client.ticketWhen(alex, filed.body.id, (ticket) => ticket.status === 'closed');

    // Assess
    expect(closed).toMatchObject({ closure: 'auto_rejected', grant: null });
    expect((await grantOf(granted.grant.id))?.until).toBe(granted.grant.until);
    expect((await client.ticket(alex, granted.id)).timeline.map((event) => event.type)).not.toContain(
      'grant_extended',
    );
  }, 60_000);
});
