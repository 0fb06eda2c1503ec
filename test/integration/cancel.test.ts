import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SendTaskSuccessCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OutboxMessage } from '../../functions/local/ses';
import { githubFlow, people } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import { partitionItems } from '../support/table';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { eventually, type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * Issue 12's cancel, against the whole local system as `npm start` runs it: the requester withdraws a
 * ticket in each status that allows it, every link and task still out then answers 409 "This request
 * was cancelled", those asked are emailed, and the execution ends ABORTED, for good.
 */

// Starting the system takes seconds on a busy machine; each bound guards against a hang.
vi.setConfig({ testTimeout: 180_000 });

const { requester, manager, fulfiller } = githubFlow;
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:000000000000:execution:access-request:';
const CANCELLED = 'This request was cancelled';

interface ErrorBody {
  error: { code: string; message: string; fields?: Record<string, string> };
}

/** What each test reads the system with: the API as its people, its outbox, its Step Functions. */
function harness(server: TollgateProcess) {
  const client = new TollgateClient(server.url);
  const execution = async (ticketId: string): Promise<DescribeExecutionCommandOutput> => {
    const sfn = localSfnClient((await client.endpoints()).stepfunctions);
    try {
      return await sfn.send(new DescribeExecutionCommand({ executionArn: `${EXECUTION_PREFIX}${ticketId}` }));
    } finally {
      sfn.destroy();
    }
  };
  const file = async (as: string, body: Record<string, unknown>): Promise<string> => {
    const filed = await client.call<{ id: string }>(as, 'POST', '/requests', body);
    expect(filed.status).toBe(201);
    return filed.body.id;
  };
  const cancel = (as: string, ticketId: string, body?: unknown) =>
    client.call<Ticket & ErrorBody>(as, 'POST', `/requests/${ticketId}/cancel`, body);
  /** The emails to `to` about the ticket whose subject starts with `subjectStart`. */
  const emails = async (to: string, ticketId: string, subjectStart: string): Promise<OutboxMessage[]> =>
    (await client.outbox()).filter(
      (m) => m.to.includes(to) && m.subject.startsWith(subjectStart) && m.subject.includes(ticketId),
    );
  const emailTo = (to: string, ticketId: string, subjectStart: string) =>
    eventually(async () => (await emails(to, ticketId, subjectStart))[0]);
  return { client, execution, file, cancel, emails, emailTo };
}

describe('POST /requests/{id}/cancel', () => {
  let server: TollgateProcess;
  let h: ReturnType<typeof harness>;

  beforeAll(async () => {
    server = await startTollgate();
    h = harness(server);
  });

  afterAll(async () => {
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
  });

  /** Alex's github-write request, approved by Erin from her email; Ian is asked to fulfil it. */
  const fileApproved = async (body: Record<string, unknown> = githubFlow.request) => {
    const id = await h.file(requester, body);
    await h.client.submitLink(await h.client.linkFor(manager, id, 'Approval needed'), {
      decision: 'approve',
    });
    const fulfilmentLink = await h.client.linkFor(fulfiller, id, 'To fulfil');
    return { id, fulfilmentLink };
  };

  it('cancels a request waiting for its first approval: the approver is told, and their link and inbox task answer 409 "This request was cancelled"', async () => {
    // Prepare
    const id = await h.file(requester, githubFlow.request);
    const link = await h.client.linkFor(manager, id, 'Approval needed');
    const inbox = await h.client.call<{ items: { id: string; ticket: { id: string } }[] }>(
      manager,
      'GET',
      '/approvals',
    );
    const taskId = inbox.body.items.find((item) => item.ticket.id === id)?.id;

    // Act
    const cancelled = await h.cancel(requester, id, { reason: 'The release moved to next quarter' });

    // Assess: the ticket
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'closed', closure: 'cancelled' });
    expect(cancelled.body.timeline.find((event) => event.type === 'cancelled')).toMatchObject({
      actor: requester,
      reason: 'The release moved to next quarter',
      from: 'pending_approval',
      to: 'closed',
    });
    // The link: the page says so and offers no form; its POST is refused the same way
    const page = await h.client.openLink(link);
    expect(page.status).toBe(409);
    expect(page.html).toContain(CANCELLED);
    expect(page.html).not.toContain('<form');
    const posted = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: 'any', decision: 'approve' }).toString(),
    });
    expect(posted.status).toBe(409);
    expect(await posted.text()).toContain(CANCELLED);
    // The inbox: the task is gone from the list, and deciding it anyway is refused with the reason
    const decided = await h.client.call<ErrorBody>(manager, 'POST', `/approvals/${taskId}/decision`, {
      decision: 'approve',
    });
    expect(decided).toMatchObject({
      status: 409,
      body: { error: { code: 'cancelled', message: CANCELLED } },
    });
    const after = await h.client.call<{ items: { ticket: { id: string } }[] }>(manager, 'GET', '/approvals');
    expect(after.body.items.map((item) => item.ticket.id)).not.toContain(id);
    // The emails: to the approver, and to the requester
    const toManager = await h.emailTo(manager, id, 'Cancelled');
    expect(toManager.text).toContain(
      `Alex Developer <${requester}> cancelled the request for Push to repositories (github-write)`,
    );
    expect(toManager.text).toContain('Reason: The release moved to next quarter');
    expect(toManager.text).toContain('the link you were sent no longer works');
    expect(toManager.links).toEqual([]);
    expect((await h.emailTo(requester, id, 'Cancelled')).text).toContain('You cancelled it');
    // The execution
    expect(await h.execution(id)).toMatchObject({ status: 'ABORTED', error: 'TicketCancelled' });
  });

  it('cancels a request at a later stage, telling only the approver asked now', async () => {
    // Prepare: AdministratorAccess on the critical AWS account asks Erin, then Sam, then security
    const id = await h.file(requester, {
      type: 'access',
      system: 'aws-prod',
      entitlement: 'aws-prod-admin',
      justification: 'Rotate the production KMS keys during the change window',
    });
    await h.client.submitLink(await h.client.linkFor(people.erin, id, 'Approval needed'), {
      decision: 'approve',
    });
    const ownerLink = await h.client.linkFor(people.sam, id, 'Approval needed');

    // Act
    const cancelled = await h.cancel(requester, id);

    // Assess
    expect(cancelled.body).toMatchObject({ status: 'closed', closure: 'cancelled' });
    expect((await h.client.openLink(ownerLink)).status).toBe(409);
    expect((await h.emailTo(people.sam, id, 'Cancelled')).text).toContain('nothing left to decide');
    expect(await h.emails(people.erin, id, 'Cancelled')).toEqual([]);
    expect(await h.emails(people.sara, id, 'Cancelled')).toEqual([]);
    expect(await h.execution(id)).toMatchObject({ status: 'ABORTED' });
  });

  it('cancels a request being fulfilled: the fulfillers are told not to provision it, and their link and report answer 409', async () => {
    // Prepare
    const { id, fulfilmentLink } = await fileApproved();

    // Act
    const cancelled = await h.cancel(requester, id, { reason: 'Found another way' });

    // Assess
    expect(cancelled.body).toMatchObject({ status: 'closed', closure: 'cancelled' });
    expect((await h.client.openLink(fulfilmentLink)).html).toContain(CANCELLED);
    const reported = await h.client.call<ErrorBody>(fulfiller, 'POST', `/requests/${id}/fulfilment`, {
      result: 'done',
    });
    expect(reported).toMatchObject({
      status: 409,
      body: { error: { code: 'cancelled', message: CANCELLED } },
    });
    for (const asked of [people.ian, people.bo]) {
      expect((await h.emailTo(asked, id, 'Cancelled')).text).toContain('Do not provision it');
    }
    const fulfilments = await h.client.call<{ items: { ticket: { id: string } }[] }>(
      fulfiller,
      'GET',
      '/fulfilments',
    );
    expect(fulfilments.body.items.map((item) => item.ticket.id)).not.toContain(id);
    expect(await h.execution(id)).toMatchObject({ status: 'ABORTED' });
  });

  it('cancels active access, recording that its revocation follows and keeping the grant', async () => {
    // Prepare
    const { id, fulfilmentLink } = await fileApproved({ ...githubFlow.request, duration: 'P1D' });
    await h.client.submitLink(fulfilmentLink, { result: 'done' });
    const active = await h.client.ticketWhen(requester, id, (t) => t.status === 'active');
    await eventually(async () => ((await h.execution(id)).status === 'SUCCEEDED' ? true : undefined));

    // Act
    const cancelled = await h.cancel(requester, id);

    // Assess
    expect(cancelled.body).toMatchObject({ status: 'closed', closure: 'cancelled', grant: active.grant });
    expect(cancelled.body.timeline.map((event) => event.type).slice(-3)).toEqual([
      'cancelled',
      'revocation_requested',
      'execution_stopped',
    ]);
    expect(cancelled.body.timeline.at(-2)).toMatchObject({ data: { grant: active.grant?.id } });
    expect((await h.emailTo(requester, id, 'Cancelled')).text).toContain(
      `The access it granted (${active.grant?.id}) is to be revoked.`,
    );
    // The execution had ended when access was granted: stopping it changed nothing
    expect(await h.execution(id)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('refuses with 409 to cancel a request that is closed: rejected, fulfilled, or cancelled already', async () => {
    // Prepare
    const rejected = await h.file(requester, githubFlow.request);
    await h.client.submitLink(await h.client.linkFor(manager, rejected, 'Approval needed'), {
      decision: 'deny',
    });
    await h.client.ticketWhen(requester, rejected, (t) => t.status === 'closed');
    const { id: fulfilled, fulfilmentLink } = await fileApproved();
    await h.client.submitLink(fulfilmentLink, { result: 'done' });
    await h.client.ticketWhen(requester, fulfilled, (t) => t.status === 'closed');
    const cancelledBefore = await h.file(requester, githubFlow.request);
    await h.cancel(requester, cancelledBefore);

    // Act
    const answers = await Promise.all(
      [rejected, fulfilled, cancelledBefore].map((id) => h.cancel(requester, id)),
    );

    // Assess
    expect(answers.map(({ status, body }) => [status, body.error.message])).toEqual([
      [409, 'This request is closed already (rejected): there is nothing to cancel'],
      [409, 'This request is closed already (fulfilled): there is nothing to cancel'],
      [409, 'This request was cancelled already'],
    ]);
    expect((await h.client.ticket(requester, fulfilled)).closure).toBe('fulfilled');
  });

  it('lets only the requester cancel: 403 for those who may see the ticket, 404 for anyone else', async () => {
    // Prepare
    const id = await h.file(requester, githubFlow.request);
    await h.client.linkFor(manager, id, 'Approval needed');

    // Act
    const answers = await Promise.all(
      [manager, fulfiller, people.aude, people.sara, people.paula].map(async (as) => [
        as,
        (await h.cancel(as, id)).status,
      ]),
    );

    // Assess
    expect(answers).toEqual([
      [manager, 403],
      [fulfiller, 403],
      [people.aude, 403],
      [people.sara, 403],
      [people.paula, 404],
    ]);
    expect((await h.client.ticket(requester, id)).status).toBe('pending_approval');
    expect(await h.execution(id)).toMatchObject({ status: 'RUNNING' });
  });

  it('cancels exactly once when the requester posts twice at the same moment', async () => {
    // Prepare
    const id = await h.file(requester, githubFlow.request);
    await h.client.linkFor(manager, id, 'Approval needed');

    // Act
    const [first, second] = await Promise.all([h.cancel(requester, id), h.cancel(requester, id)]);

    // Assess
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const ticket = await h.client.ticket(requester, id);
    expect(ticket.timeline.filter((event) => event.type === 'cancelled')).toHaveLength(1);
    expect(ticket.timeline.filter((event) => event.type === 'execution_stopped')).toHaveLength(1);
    await h.emailTo(requester, id, 'Cancelled');
    expect(await h.emails(requester, id, 'Cancelled')).toHaveLength(1);
    expect(await h.emails(manager, id, 'Cancelled')).toHaveLength(1);
  });

  it('takes the reason as optional, and refuses a body that is not a reason, naming the field', async () => {
    // Prepare
    const id = await h.file(requester, githubFlow.request);

    // Act
    const invalid = await h.cancel(requester, id, { reason: 42, extra: true });
    const withoutBody = await h.cancel(requester, id);

    // Assess
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.fields).toEqual({ reason: expect.any(String), extra: 'is not a known field' });
    expect(withoutBody.status).toBe(200);
    expect(withoutBody.body.timeline.find((event) => event.type === 'cancelled')?.reason).toBeNull();
  });

  it('leaves a cancelled ticket cancelled when the reconcile schedule finds its execution ABORTED', async () => {
    // Prepare
    const id = await h.file(requester, githubFlow.request);
    await h.client.linkFor(manager, id, 'Approval needed');
    const cancelled = (await h.cancel(requester, id)).body;

    // Act
    const reconciled = await h.client.reconcile();

    // Assess
    expect(reconciled).toMatchObject({ failed: 0, stopped: 0 });
    expect(await h.execution(id)).toMatchObject({ status: 'ABORTED' });
    expect(await h.client.ticket(requester, id)).toMatchObject({
      status: 'closed',
      closure: 'cancelled',
      version: cancelled.version,
    });
  });
});

describe('the stop after a cancellation', () => {
  const started: TollgateProcess[] = [];
  const start = async (options: Parameters<typeof startTollgate>[0] = {}) => {
    const server = await startTollgate(options);
    started.push(server);
    return server;
  };

  afterEach(async () => {
    const dirs = new Set(started.map((server) => server.dataDir));
    await Promise.all(started.splice(0).map((server) => server.kill()));
    for (const dir of dirs) removeDataDir(dir);
  });

  it('keeps the ticket cancelled when the stop fails, and the reconcile schedule stops the execution', async () => {
    // Prepare: the first stop fails
    const h = harness(await start({ env: { TOLLGATE_FAULTS: 'fail:before-stop*1' } }));
    const id = await h.file(requester, githubFlow.request);
    const link = await h.client.linkFor(manager, id, 'Approval needed');
    const cancelled = await h.cancel(requester, id);
    const running = await h.execution(id);

    // Act
    const reconciled = await h.client.reconcile();

    // Assess
    expect(cancelled.body).toMatchObject({ status: 'closed', closure: 'cancelled' });
    expect(running.status).toBe('RUNNING');
    expect((await h.client.openLink(link)).html).toContain(CANCELLED);
    expect(reconciled).toMatchObject({ failed: 0, stopped: 1 });
    expect(await h.execution(id)).toMatchObject({ status: 'ABORTED', error: 'TicketCancelled' });
    const ticket = await h.client.ticket(requester, id);
    expect(ticket).toMatchObject({ status: 'closed', closure: 'cancelled' });
    expect(ticket.timeline.map((event) => event.type).slice(-2)).toEqual(['cancelled', 'execution_stopped']);
    expect(await h.client.reconcile()).toMatchObject({ stopped: 0 });
  });

  it('stops the execution from the reconcile schedule after a crash between the cancellation and the stop', async () => {
    // Prepare
    const first = await start({ env: { TOLLGATE_FAULTS: 'crash:before-stop' } });
    const before = harness(first);
    const id = await before.file(requester, githubFlow.request);
    await before.client.linkFor(manager, id, 'Approval needed');
    const cancelling = before.cancel(requester, id).catch((error: Error) => error);
    await first.exited();
    const after = harness(await start({ dataDir: first.dataDir }));
    const resumed = await after.execution(id);

    // Act
    const reconciled = await after.client.reconcile();

    // Assess
    expect(await cancelling).toBeInstanceOf(Error);
    expect(resumed.status).toBe('RUNNING');
    expect(reconciled).toMatchObject({ failed: 0, stopped: 1 });
    expect(await after.execution(id)).toMatchObject({ status: 'ABORTED', error: 'TicketCancelled' });
    expect(await after.client.ticket(requester, id)).toMatchObject({
      status: 'closed',
      closure: 'cancelled',
    });
  });

  it('stops the execution for good: its task token answers TaskTimedOut, before and after a restart, which does not resume it', async () => {
    // Prepare
    const first = await start();
    const before = harness(first);
    const id = await before.file(requester, githubFlow.request);
    await before.client.linkFor(manager, id, 'Approval needed');
    const [task] = await partitionItems((await before.client.endpoints()).dynamodb, `TASK#${id}.approval.0`);
    const token = String(task?.token);
    await before.cancel(requester, id);
    const sendSuccess = async (client: TollgateClient) => {
      const sfn = localSfnClient((await client.endpoints()).stepfunctions, { maxAttempts: 1 });
      try {
        return await sfn.send(
          new SendTaskSuccessCommand({ taskToken: token, output: '{"decision":"approve"}' }),
        );
      } finally {
        sfn.destroy();
      }
    };
    const beforeRestart = sendSuccess(before.client);
    await expect(beforeRestart).rejects.toBeInstanceOf(TaskTimedOut);
    const emailsBefore = (await before.client.outbox()).length;

    // Act
    await first.kill();
    const after = harness(await start({ dataDir: first.dataDir }));

    // Assess
    expect(await after.execution(id)).toMatchObject({ status: 'ABORTED', error: 'TicketCancelled' });
    await expect(sendSuccess(after.client)).rejects.toBeInstanceOf(TaskTimedOut);
    expect(await after.client.ticket(requester, id)).toMatchObject({
      status: 'closed',
      closure: 'cancelled',
    });
    expect((await after.client.outbox()).length).toBe(emailsBefore);
  });
});
