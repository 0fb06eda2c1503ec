import { DeleteScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '../../functions/local/dynamodb';
import { people } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import { newDataDir, removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { eventually, type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * Access ends on time (issue 13): a time-bound grant's schedule starts its revocation at `until`,
 * the fulfillers are asked to remove the access, and the ticket closes as `expired` only once one
 * of them confirms. At TOLLGATE_TIME_SCALE 0.0005 an hour lasts 1.8 s; DEADLINES makes a
 * revocation remind after 2 s, escalate after 4 s and turn overdue after 6 s (scaled hours).
 */
const TIME_SCALE = '0.0005';
const DEADLINES = JSON.stringify({
  revoke: { normal: { reminder: 'PT1H6M', escalation: 'PT2H12M', final: 'PT3H20M' } },
});

interface Grant {
  id: string;
  ticket: string;
  until: string | null;
  status: string;
  endReason: string | null;
  overdue: boolean;
}

const { alex, ian, bo, erin, sam, aude } = people;

let server: TollgateProcess;
let client: TollgateClient;

const grantOf = async (
  tollgate: TollgateClient,
  id: string,
  holder: string = alex,
): Promise<Grant | undefined> =>
  (
    await tollgate.call<{ items: Grant[] }>(aude, 'GET', `/grants?identity=${holder}&limit=100`)
  ).body.items.find((grant) => grant.id === id);

/**
 * `holder` (Alex unless said) asks for `entitlement` on GitHub for `duration` (null: standing); their
 * manager approves and Ian fulfils it, by their links.
 */
const grantTo = (
  tollgate: TollgateClient,
  entitlement: string,
  duration: string | null,
  { holder, manager }: { holder: string; manager: string } = { holder: alex, manager: erin },
) =>
  tollgate.grantThrough(holder, manager, ian, {
    type: 'access',
    system: 'github',
    entitlement,
    ...(duration ? { duration } : {}),
    justification: 'Cut the 4.2 release',
  });

/** Waits until the grant has ended, and answers it. */
const endedGrant = (tollgate: TollgateClient, id: string, holder: string = alex) =>
  eventually(async () => {
    const grant = await grantOf(tollgate, id, holder);
    return grant?.status === 'ended' ? grant : undefined;
  });

/** The emails about a ticket whose subject starts with `subject`, by recipient. */
async function emailsAbout(tollgate: TollgateClient, ticketId: string, subject: string) {
  return (await tollgate.outbox())
    .filter((message) => message.subject.startsWith(subject) && message.subject.includes(ticketId))
    .flatMap((message) => message.to)
    .sort();
}

beforeAll(async () => {
  server = await startTollgate({
    env: { TOLLGATE_TIME_SCALE: TIME_SCALE, DEADLINES, DIRECTORY_CACHE_SECONDS: '0' },
  });
  client = new TollgateClient(server.url);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (server) removeDataDir(server.dataDir);
});

describe('a time-bound grant at its end', () => {
  it('asks the fulfillers to revoke it, stays revoking until one confirms, then closes as expired', async () => {
    // Prepare
    // Four scaled hours (7.2 s): long enough to read the grant active first on a loaded machine.
    const granted = await grantTo(client, 'github-write', 'PT4H');
    expect(await grantOf(client, granted.grant.id)).toMatchObject({ status: 'active', endReason: null });

    // Act
    const link = await client.linkFor(ian, granted.id, 'To revoke', 30_000);
    await client.linkFor(bo, granted.id, 'To revoke', 30_000);
    const revoking = await client.ticket(alex, granted.id);
    const grantWhileRevoking = await grantOf(client, granted.grant.id);
    const page = await client.openLink(link);
    const confirmed = await client.submitLink(link, { confirm: 'revoked', comment: 'Removed from the org' });
    const closed = await client.ticketWhen(alex, granted.id, (ticket) => ticket.status === 'closed');

    // Assess
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(granted.grant.until));
    expect(revoking.status).toBe('revoking');
    expect(grantWhileRevoking).toMatchObject({ status: 'revoking', endReason: null });
    expect(await emailsAbout(client, granted.id, 'To revoke')).toEqual([bo, ian]);
    expect(page.html).toContain('Confirm access removed');
    expect(confirmed.status).toBe(200);
    expect(closed).toMatchObject({ closure: 'expired', revocation: { result: 'done', by: ian } });
    expect(
      await eventually(async () => {
        const grant = await grantOf(client, granted.grant.id);
        return grant?.status === 'ended' ? grant : undefined;
      }),
    ).toMatchObject({ endReason: 'expired', overdue: false });
    // The holder attests to nothing: Alex was never asked, and a second use of the link is refused.
    expect(await emailsAbout(client, granted.id, 'To revoke')).not.toContain(alex);
    expect((await client.submitLink(link, { confirm: 'revoked' })).status).toBe(409);
  }, 60_000);

  it('reminds, escalates to the system owner, then flags the revocation overdue and asks security, who may confirm it', async () => {
    // Prepare
    const granted = await grantTo(client, 'github-read', 'PT1H');

    // Act
    const securityLink = await client.linkFor(sam, granted.id, 'Overdue: To revoke', 30_000);
    const overdue = await client.ticket(alex, granted.id);
    const grant = await grantOf(client, granted.grant.id);
    await client.submitLink(securityLink, { confirm: 'revoked' });
    const closed = await client.ticketWhen(alex, granted.id, (ticket) => ticket.status === 'closed');

    // Assess
    expect(await emailsAbout(client, granted.id, 'Reminder: To revoke')).toEqual([bo, ian]);
    expect(await emailsAbout(client, granted.id, 'Escalated: To revoke')).toEqual([erin]);
    expect(overdue).toMatchObject({ status: 'revoking', revocation: { overdue: true, phase: 'overdue' } });
    expect(grant).toMatchObject({ status: 'revoking', overdue: true });
    expect(closed).toMatchObject({ closure: 'expired', revocation: { by: sam } });
  }, 90_000);

  it('ends without work while another active grant still provides the same access', async () => {
    // Prepare
    const longer = await grantTo(client, 'github-admin', 'P1D');
    const shorter = await grantTo(client, 'github-admin', 'PT1H');

    // Act
    const closed = await client.ticketWhen(alex, shorter.id, (ticket) => ticket.status === 'closed', 30_000);

    // Assess
    expect(closed).toMatchObject({
      closure: 'expired',
      revocation: { result: 'covered', coveredBy: longer.grant.id, fulfillers: [] },
    });
    expect(await emailsAbout(client, shorter.id, 'To revoke')).toEqual([]);
    expect(await grantOf(client, shorter.grant.id)).toMatchObject({ status: 'ended', endReason: 'expired' });
    expect(await grantOf(client, longer.grant.id)).toMatchObject({ status: 'active' });
  }, 60_000);

  it('is revoked once when its revocation is started again, by its own name or another', async () => {
    // Prepare
    const granted = await grantTo(client, 'github-write', 'PT1H');
    await client.linkFor(ian, granted.id, 'To revoke');
    const stepFunctions = localSfnClient((await client.endpoints()).stepfunctions);
    const stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:grant-revocation';
    const until = granted.grant.until;

    // Act
    const again = await stepFunctions
      .send(
        new StartExecutionCommand({
          stateMachineArn,
          name: `${granted.grant.id}-${until.replace(/[-:.]/g, '')}`,
          input: JSON.stringify({ ticketId: granted.id, grantId: granted.grant.id, until }),
        }),
      )
      .then(
        () => 'started',
        (error: Error) => error.name,
      );
    await stepFunctions.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: `${granted.grant.id}-revoke`,
        input: JSON.stringify({ ticketId: granted.id, grantId: granted.grant.id, until: null }),
      }),
    );
    // Long enough for a second request to go out, were there one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Assess
    expect(['started', 'ExecutionAlreadyExists']).toContain(again);
    expect(await emailsAbout(client, granted.id, 'To revoke')).toEqual([bo, ian]);
    expect((await client.ticket(alex, granted.id)).revocation).toMatchObject({
      execution: `${granted.grant.id}-${until.replace(/[-:.]/g, '')}`,
    });
  }, 60_000);

  it('is revoked by the sweep when its schedule is missing', async () => {
    // Prepare: a grant for three scaled hours (5.4 s), whose schedule is lost before it fires.
    const granted = await grantTo(client, 'github-read', 'PT3H');
    const scheduler = new SchedulerClient({
      endpoint: (await client.endpoints()).scheduler,
      region: 'us-east-1',
      credentials: localCredentials,
    });
    await scheduler.send(new DeleteScheduleCommand({ Name: `grant-${granted.grant.id}` }));

    // Act: each fulfiller's email is written in turn, so wait for both
    await client.linkFor(ian, granted.id, 'To revoke', 30_000);
    await client.linkFor(bo, granted.id, 'To revoke', 30_000);

    // Assess
    expect(await emailsAbout(client, granted.id, 'To revoke')).toEqual([bo, ian]);
    expect((await client.ticket(alex, granted.id)).status).toBe('revoking');
  }, 60_000);
});

describe('a grant ended early', () => {
  it.each([
    ['its holder', alex],
    ['the system owner', erin],
    ['security', sam],
  ])(
    'is revoked on request by %s: the fulfillers are asked, and the ticket closes as revoked once one confirms',
    async (_, by) => {
      // Prepare
      const granted = await grantTo(client, 'github-write', 'P1D');

      // Act
      const asked = await client.call<Grant>(by, 'POST', `/grants/${granted.grant.id}/revoke`, {
        reason: 'The release is out',
      });
      await client.submitLink(await client.linkFor(ian, granted.id, 'To revoke'), { confirm: 'revoked' });
      const closed = await client.ticketWhen(alex, granted.id, (ticket) => ticket.status === 'closed');

      // Assess
      expect(asked).toMatchObject({ status: 202, body: { id: granted.grant.id, status: 'revoking' } });
      expect(closed).toMatchObject({
        closure: 'revoked',
        revocation: { requestedBy: by, note: 'The release is out' },
      });
      expect(await endedGrant(client, granted.grant.id)).toMatchObject({ endReason: 'revoked' });
    },
    60_000,
  );

  it('is refused to those who may not end it, to a second request, and without a reason', async () => {
    // Prepare
    const granted = await grantTo(client, 'github-read', null);
    const revoke = (as: string, body: unknown) =>
      client.call<{ error: { code: string; fields?: Record<string, string> } }>(
        as,
        'POST',
        `/grants/${granted.grant.id}/revoke`,
        body,
      );

    // Act
    const byAuditor = await revoke(aude, { reason: 'Looks stale' });
    const byColleague = await revoke(people.felix, { reason: 'Looks stale' });
    const byFulfiller = await revoke(bo, { reason: 'Looks stale' });
    const withoutReason = await revoke(alex, {});
    const first = await revoke(alex, { reason: 'No longer needed' });
    const second = await revoke(alex, { reason: 'No longer needed' });

    // Assess
    expect(byAuditor.status).toBe(403);
    expect([byColleague.status, byFulfiller.status]).toEqual([404, 404]);
    expect(withoutReason).toMatchObject({
      status: 400,
      body: { error: { fields: { reason: expect.any(String) } } },
    });
    expect(first.status).toBe(202);
    expect(second).toMatchObject({ status: 409 });
    // Standing access: its ticket closed as fulfilled long ago, and stays so while its grant ends.
    await client.submitLink(await client.linkFor(ian, granted.id, 'To revoke'), { confirm: 'revoked' });
    expect(await endedGrant(client, granted.grant.id)).toMatchObject({ endReason: 'revoked' });
    expect(await client.ticket(alex, granted.id)).toMatchObject({ status: 'closed', closure: 'fulfilled' });
  }, 60_000);

  it('is revoked when its request is cancelled after access was provisioned', async () => {
    // Prepare
    const granted = await grantTo(client, 'github-write', 'P1D');

    // Act
    const cancelled = await client.call<Ticket>(alex, 'POST', `/requests/${granted.id}/cancel`, {
      reason: 'Plans changed',
    });
    await client.submitLink(await client.linkFor(ian, granted.id, 'To revoke'), { confirm: 'revoked' });

    // Assess
    expect(cancelled.body).toMatchObject({ status: 'closed', closure: 'cancelled' });
    expect(await endedGrant(client, granted.grant.id)).toMatchObject({ endReason: 'revoked' });
    expect(await client.ticket(alex, granted.id)).toMatchObject({
      closure: 'cancelled',
      revocation: { by: ian },
    });
  }, 60_000);

  it('ends every grant of a holder who departs, departed', async () => {
    // Prepare
    const felix = people.felix;
    const fiona = people.fiona;
    const granted = await grantTo(client, 'github-read', 'P1D', { holder: felix, manager: fiona });
    const entry = (await client.call<Record<string, unknown>>(people.ivan, 'GET', `/directory/${felix}`))
      .body;

    // Act
    const departure = await client.call<{ grantsRevoked: string[] }>(
      people.ivan,
      'PUT',
      `/directory/${felix}`,
      {
        ...entry,
        status: 'departed',
      },
    );
    await client.submitLink(await client.linkFor(ian, granted.id, 'To revoke'), { confirm: 'revoked' });

    // Assess
    expect(departure.body.grantsRevoked).toEqual([granted.grant.id]);
    expect(await endedGrant(client, granted.grant.id, felix)).toMatchObject({ endReason: 'departed' });
    expect(await client.ticket(aude, granted.id)).toMatchObject({ closure: 'revoked' });
  }, 60_000);
});

describe('a grant whose end passes while Tollgate is down', () => {
  it('is revoked once after a kill -9 across its end', async () => {
    // Prepare
    const dataDir = newDataDir();
    const env = { TOLLGATE_TIME_SCALE: TIME_SCALE, DEADLINES, DIRECTORY_CACHE_SECONDS: '0' };
    const first = await startTollgate({ dataDir, env });
    let restarted: TollgateProcess | undefined;
    try {
      const granted = await grantTo(new TollgateClient(first.url), 'github-write', 'PT3H');
      await first.kill();
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, Date.parse(granted.grant.until) - Date.now() + 500)),
      );

      // Act
      restarted = await startTollgate({ dataDir, env });
      const after = new TollgateClient(restarted.url);
      await after.linkFor(ian, granted.id, 'To revoke', 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500));

      // Assess
      expect(await emailsAbout(after, granted.id, 'To revoke')).toEqual([bo, ian]);
      expect((await after.ticket(alex, granted.id)).status).toBe('revoking');
    } finally {
      await restarted?.stop();
      await first.kill();
      removeDataDir(dataDir);
    }
  }, 180_000);
});
