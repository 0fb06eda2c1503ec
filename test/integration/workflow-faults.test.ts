import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBrokenLink, type TimelineEvent } from '../../functions/domain/timeline';
import { githubFlow } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { eventually, type Ticket, TollgateClient } from '../support/workflow-client';

const { requester, manager, fulfiller } = githubFlow;
const body = githubFlow.request;

// Most tests here start the system twice (each start compiles and boots it, seconds on a busy machine)
// and cross a deadline on purpose: the bound is a guard against a hang, not a measure of speed, and
// covers two starts at the longest startTollgate waits for one.
vi.setConfig({ testTimeout: 180_000 });

const started: TollgateProcess[] = [];
async function start(options: Parameters<typeof startTollgate>[0] = {}) {
  const server = await startTollgate(options);
  started.push(server);
  return server;
}

afterEach(async () => {
  const dirs = new Set(started.map((server) => server.dataDir));
  await Promise.all(started.splice(0).map((server) => server.kill()));
  for (const dir of dirs) removeDataDir(dir);
});

async function endpoints(url: string): Promise<{ stepfunctions: string }> {
  return (await fetch(`${url}/dev/endpoints`)).json() as Promise<{ stepfunctions: string }>;
}

function sfn(endpoint: string) {
  return localSfnClient(endpoint);
}

const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:access-request';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:000000000000:execution:access-request:';

describe('the workflow under crashes and failures', () => {
  it('survives a SIGKILL while a ticket waits for approval: after a restart the emailed link still works and the flow completes', async () => {
    // Prepare
    const first = await start();
    const before = new TollgateClient(first.url);
    const { body: ticket } = await before.call<{ id: string }>(requester, 'POST', '/requests', body);
    const approvalLink = await before.linkFor(manager, ticket.id, 'Approval needed');

    // Act
    await first.kill();
    const second = await start({ dataDir: first.dataDir });
    const after = new TollgateClient(second.url);
    const linkOnNewPort = approvalLink.replace(first.url, second.url);
    const approved = await after.submitLink(linkOnNewPort, { decision: 'approve' });
    const fulfilmentLink = await after.linkFor(fulfiller, ticket.id, 'To fulfil');
    await after.submitLink(fulfilmentLink, { result: 'done' });

    // Assess
    expect(approved.status).toBe(200);
    const closed = await after.ticketWhen(requester, ticket.id, (t) => t.status === 'closed');
    expect(closed.closure).toBe('fulfilled');
    expect(closed.timeline.filter((event) => event.type === 'approved')).toHaveLength(1);
    expect(findBrokenLink(closed.timeline as TimelineEvent[])).toBeNull();
  });

  it('retries a failing task, then records the failure on the ticket and leaves no execution running', async () => {
    // Prepare
    const server = await start({ env: { TOLLGATE_FAULTS: 'fail:task:notify' } });
    const client = new TollgateClient(server.url);

    // Act
    const { body: ticket } = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
    const failed = await client.ticketWhen(requester, ticket.id, (t) => t.status === 'closed', 30_000);

    // Assess
    expect(failed.closure).toBe('failed');
    expect(failed.timeline.at(-1)).toMatchObject({
      type: 'closed',
      reason: expect.stringContaining('TransientError'),
    });
    const stepFunctions = sfn((await endpoints(server.url)).stepfunctions);
    // The failure is on the ticket before the execution enters its Fail state: wait for it to end.
    const execution = await eventually(async () => {
      const described = await stepFunctions.send(
        new DescribeExecutionCommand({
          executionArn: `arn:aws:states:us-east-1:000000000000:execution:access-request:${ticket.id}`,
        }),
      );
      return described.status === 'RUNNING' ? undefined : described;
    });
    expect(execution.status).toBe('FAILED');
    const running = await stepFunctions.send(
      new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING' }),
    );
    expect(running.executions ?? []).toHaveLength(0);
    // Three retries after the first attempt: four notify attempts in all.
    expect(server.output().match(/Injected fault: task:notify/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
  });

  it('starts the execution of a ticket stored just before a crash, from the reconcile schedule', async () => {
    // Prepare: the process kills itself right after storing the ticket, before starting its execution.
    const crashing = await start({ env: { TOLLGATE_FAULTS: 'crash:after-intake' } });
    const client = new TollgateClient(crashing.url);
    const token = await client.token(requester);
    await fetch(`${crashing.url}/requests`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': 'crash-1',
      },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    await crashing.exited();

    // Act
    const restarted = await start({ dataDir: crashing.dataDir });
    const after = new TollgateClient(restarted.url);
    const list = await after.call<{ items: { id: string; status: string }[] }>(
      requester,
      'GET',
      '/requests?mine=true',
    );
    const stored = list.body.items[0];
    const reconcile = await fetch(`${restarted.url}/dev/schedules/reconcile/run`, { method: 'POST' });

    // Assess
    expect(stored?.status).toBe('submitted');
    expect(((await reconcile.json()) as { result: { started: number } }).result.started).toBe(1);
    const waiting = await after.ticketWhen(
      requester,
      stored?.id ?? '',
      (t) => t.status === 'pending_approval',
    );
    expect(waiting.approvals[0]?.candidates).toEqual([manager]);
    await after.linkFor(manager, waiting.id, 'Approval needed');
  });

  it('delivers a decision recorded just before a crash, from the reconcile schedule', async () => {
    // Prepare: the process kills itself after recording the decision, before resuming the execution.
    const crashing = await start({ env: { TOLLGATE_FAULTS: 'crash:before-resume' } });
    const client = new TollgateClient(crashing.url);
    const { body: ticket } = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
    const link = await client.linkFor(manager, ticket.id, 'Approval needed');
    await client.submitLink(link, { decision: 'approve' }).catch(() => undefined);
    await crashing.exited();

    // Act
    const restarted = await start({ dataDir: crashing.dataDir });
    const after = new TollgateClient(restarted.url);
    const recorded = await after.ticket(requester, ticket.id);
    await fetch(`${restarted.url}/dev/schedules/reconcile/run`, { method: 'POST' });

    // Assess
    expect(recorded.approvals[0]?.decision).toBe('approve');
    const moved = await after.ticketWhen(requester, ticket.id, (t) => t.status === 'fulfilling');
    expect(moved.timeline.filter((event) => event.type === 'approved')).toHaveLength(1);
  });
});

/** Resolves once the wall clock is past `iso`: the deadline tests cross a ticket's deadline on purpose. */
async function pastDeadline(iso: string | null | undefined, plusMs = 0): Promise<void> {
  const at = Date.parse(iso ?? '') + plusMs;
  if (Number.isNaN(at)) throw new Error(`not a deadline: ${iso}`);
  while (Date.now() <= at)
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, at - Date.now() + 1)));
}

/** The event after the approval: `approved_all` when the decision was applied, `closed` when the timeout won. */
const afterApproval = (ticket: Ticket) =>
  ticket.timeline[ticket.timeline.findIndex((event) => event.type === 'approved') + 1]?.type;

// A critical request waits 4 hours for each step; at this scale, 14.4 seconds: room enough for a
// loaded machine to file, email and act before the deadline the test then crosses on purpose.
const SHORT_DEADLINES = { TOLLGATE_TIME_SCALE: '0.001' };
const critical = { ...body, urgency: 'critical' };

describe('decisions against the final deadline', () => {
  it('applies a decision recorded before the deadline when the process comes back after it', async () => {
    // Prepare: the approval is recorded, then the process dies before resuming the execution.
    const crashing = await start({ env: { ...SHORT_DEADLINES, TOLLGATE_FAULTS: 'crash:before-resume' } });
    const client = new TollgateClient(crashing.url);
    const { body: ticket } = await client.call<Ticket>(requester, 'POST', '/requests', critical);
    const link = await client.linkFor(manager, ticket.id, 'Approval needed');
    const waiting = await client.ticket(requester, ticket.id);
    await client.submitLink(link, { decision: 'approve' }).catch(() => undefined);
    await crashing.exited();
    await pastDeadline(waiting.approvals[0]?.deadline, 500);

    // Act
    const restarted = await start({ dataDir: crashing.dataDir, env: SHORT_DEADLINES });
    const after = new TollgateClient(restarted.url);
    const moved = await after.ticketWhen(requester, ticket.id, (t) => afterApproval(t) !== undefined);

    // Assess
    expect(moved.approvals[0]).toMatchObject({ decision: 'approve', decidedBy: manager });
    expect(afterApproval(moved)).toBe('approved_all');
    expect(moved.closure).not.toBe('timed_out');
  });

  it('refuses an inbox decision after the deadline with 409 deadline_passed, and the ticket times out', async () => {
    // Prepare: the process is down across the deadline; when it comes back, the timeout step fails
    // three times (1 + 2 + 4 seconds of retries), so the ticket waits past its deadline meanwhile.
    const first = await start({ env: SHORT_DEADLINES });
    const client = new TollgateClient(first.url);
    const { body: ticket } = await client.call<Ticket>(requester, 'POST', '/requests', critical);
    await client.linkFor(manager, ticket.id, 'Approval needed');
    const waiting = await client.ticket(requester, ticket.id);
    await first.kill();
    await pastDeadline(waiting.approvals[0]?.deadline);
    const restarted = await start({
      dataDir: first.dataDir,
      env: { ...SHORT_DEADLINES, TOLLGATE_FAULTS: 'fail:task:advance*3' },
    });
    const after = new TollgateClient(restarted.url);
    const inbox = await after.call<{ items: { id: string }[] }>(manager, 'GET', '/approvals');

    // Act
    const late = await after.call<{ error: { code: string } }>(
      manager,
      'POST',
      `/approvals/${inbox.body.items[0]?.id}/decision`,
      { decision: 'approve' },
    );

    // Assess
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('deadline_passed');
    const closed = await after.ticketWhen(requester, ticket.id, (t) => t.status === 'closed');
    expect(closed.closure).toBe('timed_out');
    expect(closed.approvals[0]?.decision).toBeNull();
  });

  it('lets a decision racing the deadline either land and be applied, or be refused and the ticket time out', async () => {
    // Prepare: six tickets with (nearly) one deadline, decided at offsets around it.
    const server = await start({ env: SHORT_DEADLINES });
    const client = new TollgateClient(server.url);
    const offsets = [-400, -150, -40, 0, 40, 150];
    const tickets = await Promise.all(
      offsets.map(async () => (await client.call<Ticket>(requester, 'POST', '/requests', critical)).body),
    );
    // Each task is noted as it shows up in the inbox: a slow machine may show the first ones only
    // once others have opened.
    const seen = new Map<string, { id: string; deadline: string }>();
    await eventually(async () => {
      const inbox = await client.call<{ items: { id: string; ticket: { id: string }; deadline: string }[] }>(
        manager,
        'GET',
        '/approvals',
      );
      for (const item of inbox.body.items) seen.set(item.ticket.id, item);
      return seen.size === tickets.length ? seen : undefined;
    });

    // Act
    const answers = await Promise.all(
      tickets.map(async (ticket, index) => {
        const task = seen.get(ticket.id);
        await pastDeadline(task?.deadline, offsets[index]);
        return client.call(manager, 'POST', `/approvals/${task?.id}/decision`, { decision: 'approve' });
      }),
    );

    // Assess: a decision that landed is applied; one refused leaves nothing on record.
    for (const [index, ticket] of tickets.entries()) {
      const settled = await client.ticketWhen(
        requester,
        ticket.id,
        (t) => t.status !== 'pending_approval' && t.status !== 'submitted',
      );
      const answer = answers[index];
      const outcome = `offset ${offsets[index]} ms: answer ${answer?.status}, ${settled.status} ${settled.closure}`;
      if (answer?.status === 200) {
        expect(settled.approvals[0]?.decision, outcome).toBe('approve');
        expect(afterApproval(settled), outcome).toBe('approved_all');
      } else {
        expect(answer?.status, outcome).toBe(409);
        expect(settled.approvals[0]?.decision, outcome).toBeNull();
        expect(settled.closure, outcome).toBe('timed_out');
      }
    }
  });
});

describe('a notify step retried after its emails went out', () => {
  it('moves on at once with the decision made before the retry, never waiting out the deadline', async () => {
    // Prepare: the first notify attempt emails the manager, then fails; Step Functions retries it a
    // second later with a new task token.
    const server = await start({
      env: { TOLLGATE_TIME_SCALE: '0.0001', TOLLGATE_FAULTS: 'fail:approval-notified*1' },
    });
    const client = new TollgateClient(server.url);
    const { body: ticket } = await client.call<Ticket>(requester, 'POST', '/requests', body);
    const link = await client.linkFor(manager, ticket.id, 'Approval needed');

    // Act
    const approved = await client.submitLink(link, { decision: 'approve' });

    // Assess
    expect(approved.status).toBe(200);
    const moved = await client.ticketWhen(
      requester,
      ticket.id,
      (t) => afterApproval(t) !== undefined,
      40_000,
    );
    const opened = moved.timeline.find((event) => event.type === 'fulfilment_requested');
    expect(afterApproval(moved)).toBe('approved_all');
    expect(Date.parse(opened?.at ?? '')).toBeLessThan(Date.parse(moved.approvals[0]?.deadline ?? ''));
    expect(server.output()).toContain('Injected fault: approval-notified');
  });
});

describe('the reconcile schedule and executions that ended without their ticket knowing', () => {
  it('closes a ticket as failed, with the cause, when its execution was stopped while it waited for approval', async () => {
    // Prepare
    const server = await start();
    const client = new TollgateClient(server.url);
    const { body: ticket } = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
    await client.linkFor(manager, ticket.id, 'Approval needed');
    await sfn((await endpoints(server.url)).stepfunctions).send(
      new StopExecutionCommand({
        executionArn: `${EXECUTION_PREFIX}${ticket.id}`,
        error: 'OperatorStopped',
        cause: 'stopped from the console during an incident',
      }),
    );

    // Act
    const reconciled = await client.reconcile();

    // Assess
    expect(reconciled).toEqual({ started: 0, resent: 0, failed: 1, stopped: 0 });
    const failed = await client.ticket(requester, ticket.id);
    expect(failed).toMatchObject({ status: 'closed', closure: 'failed' });
    expect(failed.timeline.at(-1)).toMatchObject({
      type: 'closed',
      actor: 'tollgate',
      from: 'pending_approval',
      reason: 'The workflow failed: OperatorStopped',
      data: {
        error: 'OperatorStopped',
        cause: 'The execution ended ABORTED: stopped from the console during an incident',
      },
    });
    expect((await client.call(manager, 'GET', '/approvals')).body).toMatchObject({ items: [] });
  });

  it('does not count an execution that already ended as started, and closes the still-submitted ticket as failed', async () => {
    // Prepare: the first Step Functions call fails, so the ticket is stored without an execution; one
    // then runs under its name with input naming no ticket, and fails without touching it.
    const server = await start({ env: { TOLLGATE_FAULTS: 'fail:workflow*1' } });
    const client = new TollgateClient(server.url);
    const { body: ticket } = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
    const stepFunctions = sfn((await endpoints(server.url)).stepfunctions);
    await stepFunctions.send(
      new StartExecutionCommand({
        stateMachineArn: STATE_MACHINE,
        name: ticket.id,
        input: JSON.stringify({ ticketId: 'no-such-ticket' }),
      }),
    );
    const execution = await eventually(async () => {
      const described = await stepFunctions.send(
        new DescribeExecutionCommand({ executionArn: `${EXECUTION_PREFIX}${ticket.id}` }),
      );
      return described.status === 'RUNNING' ? undefined : described;
    });

    // Act
    const reconciled = await client.reconcile();

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'FailureNotRecorded' });
    expect(reconciled).toEqual({ started: 0, resent: 0, failed: 1, stopped: 0 });
    const failed = await client.ticket(requester, ticket.id);
    expect(failed).toMatchObject({ status: 'closed', closure: 'failed' });
    expect(failed.timeline.at(-1)).toMatchObject({
      from: 'submitted',
      reason: 'The workflow failed: FailureNotRecorded',
    });
  });

  it('closes a waiting ticket as failed once its execution is gone and the ticket has been quiet for a reconcile period', async () => {
    // Prepare: time runs 1,000 times faster, so the period is 0.3 s and the schedule runs every second.
    const env = { TOLLGATE_TIME_SCALE: '0.001' };
    const first = await start({ env });
    const before = new TollgateClient(first.url);
    const { body: ticket } = await before.call<{ id: string }>(requester, 'POST', '/requests', body);
    await before.ticketWhen(requester, ticket.id, (t) => t.status === 'pending_approval');
    await first.kill();
    rmSync(join(first.dataDir, 'stepfunctions'), { recursive: true, force: true });

    // Act
    const second = await start({ dataDir: first.dataDir, env });
    const after = new TollgateClient(second.url);
    const failed = await after.ticketWhen(requester, ticket.id, (t) => t.status === 'closed');

    // Assess
    expect(failed.closure).toBe('failed');
    expect(failed.timeline.at(-1)).toMatchObject({
      from: 'pending_approval',
      reason: 'The workflow failed: ExecutionMissing',
    });
  });
});
