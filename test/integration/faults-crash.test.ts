import { DescribeExecutionCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it, type TestContext } from 'vitest';
import type { ReconcileResult } from '../../functions/app/reconcile';
import { chainProblems } from '../support/chain';
import { fulfilledTimeline, githubFlow } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import { removeDataDir, startTollgate, type TollgateProcess } from '../support/tollgate-process';
import { eventually, type Ticket, TollgateClient } from '../support/workflow-client';

/**
 * Issue 5, item 1: the process kills itself (SIGKILL, from TOLLGATE_FAULTS) at each step of the flow,
 * is restarted without faults on the same data folder, and every ticket still completes exactly once.
 */

const { requester, manager, fulfiller } = githubFlow;
const otherFulfiller = 'bo.dev@example.com';
const auditor = 'aude.audit@example.com';
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:access-request';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:000000000000:execution:access-request:';

const githubWrite = githubFlow.request;

type Hooks = Pick<TestContext, 'onTestFinished' | 'onTestFailed'>;

/** Every process started on each data folder, so a folder is removed only after all of them are gone. */
const processesByDir = new Map<string, TollgateProcess[]>();

/**
 * Starts a system whose processes and data folder go away when the test finishes (the tests run
 * concurrently); a failed test prints what each of its processes logged.
 */
async function start(hooks: Hooks, options: Parameters<typeof startTollgate>[0] = {}) {
  const server = await startTollgate(options);
  const siblings = processesByDir.get(server.dataDir) ?? [];
  processesByDir.set(server.dataDir, [...siblings, server]);
  hooks.onTestFailed(() => {
    const faults = options.env?.TOLLGATE_FAULTS ?? 'no faults';
    console.error(`--- output of the process with ${faults} on ${server.dataDir}:\n${server.output()}`);
  });
  if (!options.dataDir) {
    hooks.onTestFinished(async () => {
      await Promise.all((processesByDir.get(server.dataDir) ?? []).map((each) => each.kill()));
      processesByDir.delete(server.dataDir);
      removeDataDir(server.dataDir);
    });
  }
  return server;
}

function stepFunctions(endpoint: string) {
  return localSfnClient(endpoint);
}

/** The happy path as the people in it walk it: file, approve by the emailed link, fulfil by the emailed link. */
async function walkTheFlow(
  client: TollgateClient,
  body: Record<string, unknown>,
  steps: string[],
): Promise<void> {
  const filed = await client.call<{ id: string }>(requester, 'POST', '/requests', body);
  const id = filed.body.id;
  steps.push(`filed ${id}: ${filed.status}`);
  const approved = await client.submitLink(await client.linkFor(manager, id, 'Approval needed'), {
    decision: 'approve',
  });
  steps.push(`approved: ${approved.status}`);
  // Both fulfillers are emailed before Ian acts: a report racing the crash after the emails would need reconcile.
  await client.linkFor(otherFulfiller, id, 'To fulfil');
  const fulfilled = await client.submitLink(await client.linkFor(fulfiller, id, 'To fulfil'), {
    result: 'done',
  });
  steps.push(`fulfilled: ${fulfilled.status}`);
  await client.ticketWhen(requester, id, (t) => t.status === 'closed' || t.status === 'active');
}

/** Walks the flow on a server set to crash, until the fault (not a timer of ours) ends the process. */
async function walkUntilTheCrash(server: TollgateProcess, body: Record<string, unknown>, hooks: Hooks) {
  const steps: string[] = [];
  hooks.onTestFailed(() => console.error(`--- the walk before the crash: ${steps.join('; ')}`));
  const walk = walkTheFlow(new TollgateClient(server.url), body, steps).then(
    () => 'the flow completed',
    (error: Error) => `the flow broke off: ${error.message}`,
  );
  const first = await Promise.race([walk, server.exited().then(() => 'exited')]);
  steps.push(first);
  // A broken-off walk is the crash seen from the client side, and the exit follows (the test's
  // timeout bounds the wait). A point after the last commit (the grant is written after the ticket
  // says `active`, and the requester is emailed in between) lets the walk see the end first: the
  // exit must follow within seconds, or the point was missed.
  if (first === 'the flow completed') {
    const exitedSoon = await Promise.race([
      server.exited().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    if (!exitedSoon) throw new Error(`The process did not crash: ${first}`);
  }
  await server.exited();
  return server.child.signalCode;
}

async function theOnlyTicket(client: TollgateClient): Promise<string> {
  const mine = await client.call<{ items: { id: string }[] }>(requester, 'GET', '/requests?mine=true');
  expect(mine.body.items).toHaveLength(1);
  return mine.body.items[0]?.id ?? '';
}

/** Finishes whatever is left of the flow on the restarted server, looking at the ticket to see where it stands. */
async function finishTheFlow(client: TollgateClient, id: string): Promise<void> {
  const waiting = await client.ticketWhen(requester, id, (t) => t.status !== 'submitted');
  if (waiting.status === 'pending_approval' && waiting.approvals[0]?.decision === null) {
    const link = client.onThisServer(await client.linkFor(manager, id, 'Approval needed'));
    const approved = await client.submitLink(link, { decision: 'approve' });
    expect(approved.status).toBe(200);
  }
  const fulfilling = await client.ticketWhen(requester, id, (t) => t.status !== 'pending_approval');
  if (fulfilling.status === 'fulfilling' && !fulfilling.fulfilment?.result) {
    const link = client.onThisServer(await client.linkFor(fulfiller, id, 'To fulfil'));
    const fulfilled = await client.submitLink(link, { result: 'done' });
    expect(fulfilled.status).toBe(200);
  }
}

/** Every ticket waiting for a person has an execution running to receive the answer. */
async function waitingTicketsWithoutExecution(client: TollgateClient, sfn: SFNClient): Promise<string[]> {
  const running = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING' }),
  );
  const names = new Set((running.executions ?? []).map((execution) => execution.name));
  const orphans: string[] = [];
  for (const status of ['pending_approval', 'fulfilling']) {
    const list = await client.call<{ items: { id: string }[] }>(
      auditor,
      'GET',
      `/requests?status=${status}&limit=100`,
    );
    expect(list.status).toBe(200);
    for (const item of list.body.items) if (!names.has(item.id)) orphans.push(item.id);
  }
  return orphans;
}

interface CrashCase {
  step: string;
  point: string;
  body: Record<string, unknown>;
  /** What the reconcile schedule must do after the restart; null where the flow resumes on its own. */
  reconcile: ReconcileResult | null;
  end: { status: string; closure: string | null; timeline: string[] };
}

const fulfilled = { status: 'closed', closure: 'fulfilled', timeline: fulfilledTimeline };

const cases: CrashCase[] = [
  {
    step: 'right after intake, before the execution starts',
    point: 'after-intake',
    body: githubWrite,
    reconcile: { started: 1, resent: 0, failed: 0, stopped: 0 },
    end: fulfilled,
  },
  {
    step: 'while an approval email is being written',
    point: 'while-emailing',
    body: githubWrite,
    reconcile: null,
    end: fulfilled,
  },
  {
    step: 'while waiting for approval, after the approval emails were sent',
    point: 'approval-notified',
    body: githubWrite,
    reconcile: null,
    end: fulfilled,
  },
  {
    step: 'between recording the decision and resuming the execution',
    point: 'before-resume',
    body: githubWrite,
    reconcile: { started: 0, resent: 1, failed: 0, stopped: 0 },
    end: fulfilled,
  },
  {
    step: 'while waiting for fulfilment, after the fulfilment emails were sent',
    point: 'fulfilment-notified',
    body: githubWrite,
    reconcile: null,
    end: fulfilled,
  },
  {
    // The point sits where the grant is written; this ticket asks for a day, so it ends active.
    step: 'during fulfilment, before the grant is written',
    point: 'during-fulfilment',
    body: { ...githubWrite, duration: 'P1D' },
    reconcile: null,
    end: { status: 'active', closure: null, timeline: [...fulfilledTimeline.slice(0, -1), 'granted'] },
  },
];

/** At most `size` bodies at once: the cases overlap their waits without starving two cores of CPU. */
function pool(size: number) {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= size) await new Promise<void>((resolve) => queue.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

const inTurn = pool(2);

describe('the flow under a SIGKILL at each of its steps', () => {
  it.concurrent.for(cases)(
    'completes exactly once after a crash $step ($point)',
    { timeout: 90_000 },
    ({ point, body, reconcile, end }, context) =>
      inTurn(async () => {
        // Prepare
        const crashing = await start(context, { env: { TOLLGATE_FAULTS: `crash:${point}` } });
        const signal = await walkUntilTheCrash(crashing, body, context);

        // Act
        const restarted = await start(context, { dataDir: crashing.dataDir });
        const client = new TollgateClient(restarted.url);
        const sfn = stepFunctions((await client.endpoints()).stepfunctions);
        const id = await theOnlyTicket(client);
        const reconciled = reconcile ? await client.reconcile() : null;
        const recovered = await client.ticketWhen(requester, id, (t) => t.status !== 'submitted');
        const orphansWhileInFlight = await waitingTicketsWithoutExecution(client, sfn);
        await finishTheFlow(client, id);
        const ticket = await client.ticketWhen(requester, id, (t) => t.status === end.status);

        // Assess
        expect(signal).toBe('SIGKILL');
        expect(crashing.output()).toContain(`TOLLGATE_FAULTS: crashing at ${point}`);
        expect(reconciled).toEqual(reconcile);
        expect(['pending_approval', 'fulfilling', end.status]).toContain(recovered.status);
        expect(orphansWhileInFlight).toEqual([]);
        expectCompletedOnce(ticket, end);
        const execution = await eventually(async () => {
          const described = await sfn.send(
            new DescribeExecutionCommand({ executionArn: `${EXECUTION_PREFIX}${id}` }),
          );
          return described.status === 'RUNNING' ? undefined : described;
        });
        expect(execution.status).toBe('SUCCEEDED');
        const running = await sfn.send(
          new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING' }),
        );
        expect((running.executions ?? []).map((e) => e.name)).not.toContain(id);
        expect(await waitingTicketsWithoutExecution(client, sfn)).toEqual([]);
        // Nobody was emailed twice: a rerun notify step sends nothing, and a message cut off mid-write never shows;
        // the requester heard of the approval and the fulfilment once, and was asked once to rate the request.
        const emails = (await client.outbox()).filter((message) => message.subject.includes(id));
        expect(
          emails.map((message) => `${message.to.join()} ${message.subject.split(':')[0]}`).sort(),
        ).toEqual([
          `${requester} Approved`,
          `${requester} Fulfilled`,
          `${requester} Rate your request`,
          `${otherFulfiller} To fulfil`,
          `${manager} Approval needed`,
          `${fulfiller} To fulfil`,
        ]);
      }),
  );
});

function expectCompletedOnce(ticket: Ticket, end: CrashCase['end']): void {
  expect(ticket.status).toBe(end.status);
  expect(ticket.closure).toBe(end.closure);
  expect(ticket.approvals.filter((approval) => approval.decision !== null)).toEqual([
    expect.objectContaining({ decidedBy: manager, decision: 'approve', via: 'link' }),
  ]);
  expect(ticket.fulfilment).toMatchObject({ result: 'done', by: fulfiller });
  expect(ticket.timeline.map((event) => event.type)).toEqual(end.timeline);
  expect(chainProblems(ticket.timeline)).toEqual([]);
  expect(ticket.timeline[0]?.prev).toBe('0'.repeat(64));
  if (end.status === 'active') expect(ticket.grant).toMatchObject({ id: `G${ticket.id}` });
}

describe('a store failure injected into an HTTP handler', () => {
  it('answers 500 with a correlation id that is in the log, shows no stack trace, and stores nothing', async (context) => {
    // Prepare
    const failing = await start(context, { env: { TOLLGATE_FAULTS: 'fail:tickets' } });
    const client = new TollgateClient(failing.url);
    const headers = { 'idempotency-key': 'store-down-1' };

    // Act
    const answer = await client.call<{ error: { code: string; message: string; correlationId: string } }>(
      requester,
      'POST',
      '/requests',
      githubWrite,
      headers,
    );
    const correlationId = answer.body.error?.correlationId ?? '(none)';
    const logged = await eventually(async () =>
      failing.output().includes(correlationId) ? failing.output() : undefined,
    ).catch(() => failing.output());
    await failing.kill();
    const restarted = await start(context, { dataDir: failing.dataDir });
    const after = new TollgateClient(restarted.url);
    const mineAfterRestart = await after.call<{ items: unknown[] }>(requester, 'GET', '/requests?mine=true');
    const everything = await after.call<{ items: unknown[] }>(auditor, 'GET', '/requests?limit=100');
    const retried = await after.call<{ id: string }>(requester, 'POST', '/requests', githubWrite, headers);
    const mineAfterRetry = await after.call<{ items: { id: string }[] }>(
      requester,
      'GET',
      '/requests?mine=true',
    );

    // Assess
    expect(answer.status).toBe(500);
    expect(answer.body.error.code).toBe('internal_error');
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.body.error.message).toContain(correlationId);
    const text = JSON.stringify(answer.body);
    expect(text).not.toMatch(/\bat .+:\d+:\d+/);
    expect(text).not.toMatch(/TransientError|Injected fault|\.ts\b/);
    expect(logged).toContain(correlationId);
    expect(mineAfterRestart.body.items).toEqual([]);
    expect(everything.body.items).toEqual([]);
    // The Idempotency-Key reserved before the failed write files the ticket once when the caller retries.
    expect(retried.status).toBe(201);
    expect(mineAfterRetry.body.items.map((item) => item.id)).toEqual([retried.body.id]);
  });
});
