import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoDelegationStore } from '../../functions/adapters/dynamodb/delegation-store';
import { DynamoDirectory } from '../../functions/adapters/dynamodb/directory-store';
import { DynamoIdempotencyStore } from '../../functions/adapters/dynamodb/idempotency-store';
import { DynamoSecurityEvents } from '../../functions/adapters/dynamodb/security-events';
import { DynamoTicketStore } from '../../functions/adapters/dynamodb/ticket-store';
import {
  DynamoGrantStore,
  DynamoLinkStore,
  DynamoTaskStore,
} from '../../functions/adapters/dynamodb/workflow-records';
import { randomSecrets, ulidIds } from '../../functions/adapters/system';
import { cancelRequest } from '../../functions/app/cancel';
import { decideApproval, reportFulfilment } from '../../functions/app/decisions';
import { TransientError } from '../../functions/app/errors';
import type {
  EmailMessage,
  ExecutionState,
  GrantSchedules,
  RevocationTarget,
  TicketStore,
  Workflow,
} from '../../functions/app/ports';
import { submitRequest } from '../../functions/app/submit-request';
import { advance, notifyAssignees, recordWorkflowFailure, taskId } from '../../functions/app/workflow-steps';
import { defaultDeadlines } from '../../functions/domain/deadlines';
import type { Identity } from '../../functions/domain/directory';
import { ConflictError, DeadlinePassedError } from '../../functions/domain/errors';
import type { Ticket } from '../../functions/domain/ticket';
import { findBrokenLink, type TimelineEvent } from '../../functions/domain/timeline';
import { LOCAL_TABLE_NAME, localCredentials, startLocalDynamo } from '../../functions/local/dynamodb';
import { seedIfEmpty } from '../../functions/local/seed';
import { localPolicyDeps } from '../support/policies';
import { people } from '../support/seed';

/**
 * The workflow's use cases driven step by step, as the state machine drives them, against the real
 * DynamoDB adapters on dynalite: each test names the step the execution takes and checks what the
 * ticket, its tasks and its grant say after it. The clock is set by each test, so deadlines are
 * crossed on purpose, never by waiting.
 */

const HOUR = 3600 * 1000;

class RecordingWorkflow implements Workflow {
  readonly signals: { token: string; output: Record<string, unknown> }[] = [];
  /** Tokens whose wait is over (the execution moved past them): a signal answers `gone`. */
  readonly closed = new Set<string>();
  async start(): Promise<'started'> {
    return 'started';
  }
  async status(): Promise<ExecutionState> {
    return { status: 'RUNNING' };
  }
  async signal(token: string, output: Record<string, unknown>): Promise<'delivered' | 'gone'> {
    if (this.closed.has(token)) return 'gone';
    this.signals.push({ token, output });
    return 'delivered';
  }
  readonly stops: { ticketId: string; error: string; cause: string }[] = [];
  async stop(ticketId: string, reason: { error: string; cause: string }): Promise<'stopped'> {
    this.stops.push({ ticketId, ...reason });
    return 'stopped';
  }
}

/** The schedules a test's grants were given, by grant id: AWS's Scheduler is not the subject here. */
class RecordingGrantSchedules implements GrantSchedules {
  readonly schedules = new Map<string, { at: Date; target: RevocationTarget }>();
  async schedule(grantId: string, at: Date, target: RevocationTarget): Promise<'created' | 'exists'> {
    if (this.schedules.has(grantId)) return 'exists';
    this.schedules.set(grantId, { at, target });
    return 'created';
  }
  async reschedule(grantId: string, at: Date, target: RevocationTarget): Promise<'updated' | 'absent'> {
    if (!this.schedules.has(grantId)) return 'absent';
    this.schedules.set(grantId, { at, target });
    return 'updated';
  }
  async cancel(grantId: string): Promise<'cancelled' | 'absent'> {
    return this.schedules.delete(grantId) ? 'cancelled' : 'absent';
  }
}

let dataDir: string;
let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
let client: DynamoDBClient;
let db: ReturnType<typeof createDocumentClient>;
let directory: DynamoDirectory;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-steps-'));
  dynamo = await startLocalDynamo({ dataDir, store: 'memory', port: 0 });
  client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: localCredentials });
  db = createDocumentClient(client);
  directory = new DynamoDirectory(db, LOCAL_TABLE_NAME);
  await seedIfEmpty(directory);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Everything the workflow and decision use cases need, with a clock the test moves. */
function system(options: { tickets?: TicketStore } = {}) {
  let now = new Date('2026-03-02T09:00:00.000Z');
  const emails: EmailMessage[] = [];
  const workflow = new RecordingWorkflow();
  const grantSchedules = new RecordingGrantSchedules();
  const deps = {
    clock: { now: () => now },
    ids: ulidIds,
    secrets: randomSecrets,
    tickets: options.tickets ?? new DynamoTicketStore(db, LOCAL_TABLE_NAME),
    directory,
    idempotency: new DynamoIdempotencyStore(db, LOCAL_TABLE_NAME),
    tasks: new DynamoTaskStore(db, LOCAL_TABLE_NAME),
    links: new DynamoLinkStore(db, LOCAL_TABLE_NAME),
    grants: new DynamoGrantStore(db, LOCAL_TABLE_NAME),
    grantSchedules,
    revocations: {
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:grant-revocation',
      start: async () => 'started' as const,
    },
    delegations: new DynamoDelegationStore(db, LOCAL_TABLE_NAME),
    securityEvents: new DynamoSecurityEvents(db, LOCAL_TABLE_NAME),
    mailer: {
      send: async (message: EmailMessage) => {
        emails.push(message);
        return { messageId: String(emails.length) };
      },
    },
    workflow,
    webhooks: { send: async () => true },
    faults: { faultPoint: () => undefined },
    log: () => undefined,
    settings: {
      publicBaseUrl: 'https://tollgate.example.com',
      timeScale: 1,
      adminDefaultMaxDuration: 'P7D',
      deadlines: defaultDeadlines,
    },
  };
  const clock = { now: () => now };
  return {
    deps: { ...deps, ...localPolicyDeps(db, clock) },
    emails,
    workflow,
    grantSchedules,
    at: (iso: string | number) => {
      now = new Date(iso);
    },
    later: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

type System = ReturnType<typeof system>;

async function identity(id: string): Promise<Identity> {
  const found = await directory.identity(id);
  if (!found) throw new Error(`${id} is not in the demo directory`);
  return found;
}

async function fileAndOpen(sys: System, requester: string, body: Record<string, unknown>): Promise<Ticket> {
  const { ticket } = await submitRequest(sys.deps, { caller: await identity(requester), body });
  await advance(sys.deps, ticket.id, 'intake');
  return stored(sys, ticket.id);
}

async function stored(sys: System, id: string): Promise<Ticket> {
  const ticket = await sys.deps.tickets.get(id);
  if (!ticket) throw new Error(`ticket ${id} is not stored`);
  return ticket;
}

/** The state machine enters a wait: notify stores the task (with a token of its own) and emails. */
async function waitBegins(
  sys: System,
  ticketId: string,
  kind: 'approval' | 'fulfilment',
  stageIndex: number | null,
) {
  await notifyAssignees(sys.deps, {
    ticketId,
    kind,
    taskToken: `${ticketId}.${kind}.${stageIndex}`,
    stageIndex,
  });
}

async function decide(sys: System, ticket: Ticket, stage: number, who: string, decision: 'approve' | 'deny') {
  if (!(await sys.deps.tasks.get(taskId(ticket.id, 'approval', stage))))
    await waitBegins(sys, ticket.id, 'approval', stage);
  return decideApproval(sys.deps, {
    caller: await identity(who),
    taskId: taskId(ticket.id, 'approval', stage),
    decision,
    comment: null,
    via: 'inbox',
  });
}

/** Erin approves the one stage of Alex's request, and the state machine moves on to fulfilment. */
async function managerApproves(sys: System, ticket: Ticket) {
  await decide(sys, ticket, 0, people.erin, 'approve');
  await advance(sys.deps, ticket.id, 'approval');
}

async function reportDone(sys: System, ticket: Ticket, fulfiller: string) {
  await waitBegins(sys, ticket.id, 'fulfilment', null);
  return reportFulfilment(sys.deps, {
    caller: await identity(fulfiller),
    taskId: taskId(ticket.id, 'fulfilment', null),
    result: 'done',
    note: null,
    via: 'inbox',
  });
}

const githubWrite = {
  type: 'access',
  system: 'github',
  entitlement: 'github-write',
  justification: 'Push the release branch for 4.2',
};

describe('a decision against the final deadline', () => {
  it('is refused at the deadline with deadline_passed, and the ticket is left as it was', async () => {
    // Prepare
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'approval',
      taskToken: 'token-1',
      stageIndex: 0,
    });
    const before = await stored(sys, ticket.id);
    sys.at(ticket.approvals[0]?.deadline ?? 0);

    // Act
    const attempt = decide(sys, ticket, 0, people.erin, 'approve');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DeadlinePassedError);
    expect(await stored(sys, ticket.id)).toEqual(before);
  });

  it('recorded before the deadline is applied by the timeout step, which does not close the ticket', async () => {
    // Prepare: the decision lands a second before the deadline, and its delivery is lost.
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'approval',
      taskToken: 'token-2',
      stageIndex: 0,
    });
    sys.workflow.closed.add('token-2');
    sys.at(Date.parse(ticket.approvals[0]?.deadline ?? '') - 1000);
    await decide(sys, ticket, 0, people.erin, 'approve');

    // Act: the wait times out, and the state machine runs the timeout step.
    sys.later(2000);
    const step = await advance(sys.deps, ticket.id, 'timeout');

    // Assess
    const after = await stored(sys, ticket.id);
    expect(step.next).toBe('fulfilment');
    expect(after.status).toBe('fulfilling');
    expect(after.approvals[0]).toMatchObject({ decision: 'approve', decidedBy: people.erin });
    expect(after.timeline.map((event) => event.type)).not.toContain('closed');
  });

  it('with nothing recorded, the timeout step closes the ticket as timed_out', async () => {
    // Prepare
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    sys.at(ticket.approvals[0]?.deadline ?? 0);

    // Act
    await advance(sys.deps, ticket.id, 'timeout');

    // Assess
    expect(await stored(sys, ticket.id)).toMatchObject({ status: 'closed', closure: 'timed_out' });
  });

  it('applies a fulfilment report recorded before the fulfilment deadline at the timeout', async () => {
    // Prepare
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await managerApproves(sys, ticket);
    const fulfilling = await stored(sys, ticket.id);
    sys.at(Date.parse(fulfilling.fulfilment?.deadline ?? '') - 1);
    await reportDone(sys, ticket, people.ian);

    // Act
    sys.later(1000);
    await advance(sys.deps, ticket.id, 'timeout');

    // Assess
    expect(await stored(sys, ticket.id)).toMatchObject({ status: 'closed', closure: 'fulfilled' });
  });
});

describe('a fulfilment nobody reports', () => {
  it('reminds the fulfillers, then tells the system owner and the requester, and is still reported through a new link', async () => {
    // Prepare: Erin approves; Ian and Bo are asked to fulfil.
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await managerApproves(sys, ticket);
    await waitBegins(sys, ticket.id, 'fulfilment', null);
    const asked = sys.emails.length;

    // Act: a day passes, then another, and each time the wait's timer wakes the workflow.
    sys.later(24 * HOUR);
    const reminded = await advance(sys.deps, ticket.id, 'deadline');
    await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'fulfilment',
      taskToken: 'second',
      stageIndex: null,
    });
    const remindedEmails = sys.emails.length;
    sys.later(24 * HOUR);
    const escalated = await advance(sys.deps, ticket.id, 'deadline');
    await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'fulfilment',
      taskToken: 'third',
      stageIndex: null,
    });
    // A timer that wakes again in the same phase (the process restarted) asks nobody twice.
    await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'fulfilment',
      taskToken: 'fourth',
      stageIndex: null,
    });

    // Assess
    expect(reminded).toMatchObject({ next: 'fulfilment', timeoutSeconds: 24 * 3600 });
    expect(escalated).toMatchObject({ next: 'fulfilment', timeoutSeconds: 24 * 3600 });
    const subjects = sys.emails.map((email) => `${email.to[0]}: ${email.subject.split(' for ')[0]}`);
    expect(subjects.slice(asked, remindedEmails).sort()).toEqual([
      `${people.bo}: Reminder: To fulfil: github-write`,
      `${people.ian}: Reminder: To fulfil: github-write`,
    ]);
    expect(subjects.slice(remindedEmails).sort()).toEqual([
      `${people.alex}: Escalated: github-write`,
      `${people.bo}: Escalated: To fulfil: github-write`,
      `${people.erin}: Escalated: fulfilment overdue`,
      `${people.ian}: Escalated: To fulfil: github-write`,
    ]);
    const after = await stored(sys, ticket.id);
    expect(after.fulfilment).toMatchObject({ phase: 'escalated', escalatedTo: [people.erin] });
    expect(after.timeline.slice(-2).map((event) => event.type)).toEqual(['reminded', 'escalated']);
    expect((await sys.deps.tasks.get(taskId(ticket.id, 'fulfilment', null)))?.token).toBe('fourth');
    await reportDone(sys, ticket, people.ian);
    await advance(sys.deps, ticket.id, 'fulfilment');
    expect(await stored(sys, ticket.id)).toMatchObject({ status: 'closed', closure: 'fulfilled' });
  });
});

describe('a retried notify step', () => {
  it('stores its new token and answers it at once with the decision made meanwhile', async () => {
    // Prepare: the first attempt emailed the approver, then failed; the approver decides before the retry.
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'approval',
      taskToken: 'first',
      stageIndex: 0,
    });
    sys.workflow.closed.add('first');
    await decide(sys, ticket, 0, people.erin, 'deny');

    // Act
    const retried = await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'approval',
      taskToken: 'second',
      stageIndex: 0,
    });

    // Assess
    expect(retried.notified).toBe(0);
    expect(sys.emails).toHaveLength(1);
    expect((await sys.deps.tasks.get(taskId(ticket.id, 'approval', 0)))?.token).toBe('second');
    expect(sys.workflow.signals).toEqual([{ token: 'second', output: { decision: 'deny' } }]);
  });

  it('answers at once when the ticket is no longer waiting at all, so the execution ends', async () => {
    // Prepare
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await recordWorkflowFailure(sys.deps, ticket.id, { name: 'States.Runtime', cause: 'test' });
    const emailedBefore = sys.emails.length;

    // Act
    await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'approval',
      taskToken: 'late',
      stageIndex: 0,
    });

    // Assess: nobody is asked to decide a closed ticket (the requester was told it failed, and asked to rate it).
    expect(sys.emails.slice(0, emailedBefore).map((email) => email.to[0])).toEqual([
      people.alex,
      people.alex,
    ]);
    expect(sys.emails).toHaveLength(emailedBefore);
    expect(sys.workflow.signals).toEqual([{ token: 'late', output: {} }]);
    expect((await sys.deps.tasks.get(taskId(ticket.id, 'approval', 0)))?.token).toBe('late');
  });
});

describe('an execution that takes a step after its ticket was cancelled', () => {
  /** Alex cancels; the execution is not stopped yet (the stop failed, or is on its way). */
  async function cancelledWhileWaiting(sys: System) {
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await waitBegins(sys, ticket.id, 'approval', 0);
    const cancelled = await cancelRequest(
      {
        ...sys.deps,
        faults: {
          faultPoint: () => {
            throw new TransientError('stop failed');
          },
        },
      },
      { ticketId: ticket.id, actor: await identity(people.alex), reason: null, cause: 'requester' },
    );
    return { ticket, cancelled, emailsBefore: sys.emails.length };
  }

  it('reminds nobody and closes nothing when its timer wakes: the ticket stays cancelled', async () => {
    // Prepare
    const sys = system();
    const { ticket, cancelled, emailsBefore } = await cancelledWhileWaiting(sys);
    sys.at(ticket.approvals[0]?.deadline ?? 0);

    // Act
    const step = await advance(sys.deps, ticket.id, 'deadline');

    // Assess
    expect(step.next).toBe('done');
    expect(await stored(sys, ticket.id)).toEqual(cancelled);
    expect(sys.emails).toHaveLength(emailsBefore);
  });

  it('answers a new task token at once and emails nobody when a notify step runs again', async () => {
    // Prepare
    const sys = system();
    const { ticket, emailsBefore } = await cancelledWhileWaiting(sys);

    // Act
    const notified = await notifyAssignees(sys.deps, {
      ticketId: ticket.id,
      kind: 'approval',
      taskToken: 'after-cancel',
      stageIndex: 0,
    });

    // Assess
    expect(notified).toEqual({ notified: 0 });
    expect(sys.workflow.signals.at(-1)).toEqual({ token: 'after-cancel', output: {} });
    expect(sys.emails).toHaveLength(emailsBefore);
  });
});

describe('stages after the first', () => {
  const payrollAdmin = {
    type: 'access',
    system: 'payroll',
    entitlement: 'payroll-admin',
    justification: 'Run the year-end pay run',
    duration: 'PT4H',
  };

  it('open in the same write as the approval before them, with their people and deadline', async () => {
    // Prepare
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, payrollAdmin);
    await decide(sys, ticket, 0, people.erin, 'approve');

    // Act
    sys.later(60_000);
    const step = await advance(sys.deps, ticket.id, 'approval');

    // Assess
    const after = await stored(sys, ticket.id);
    expect(step).toMatchObject({ next: 'approval', stageIndex: 1 });
    // The wait first wakes up at the stage's reminder, a day in at normal urgency.
    expect(step.timeoutSeconds).toBe(24 * 3600);
    const opensAt = Date.parse('2026-03-02T09:01:00.000Z');
    expect(after.approvals[1]).toMatchObject({
      stage: 'system_owner',
      candidates: [people.fiona],
      phase: 'asked',
      reminderAt: new Date(opensAt + 24 * HOUR).toISOString(),
      escalationAt: new Date(opensAt + 48 * HOUR).toISOString(),
      deadline: new Date(opensAt + 72 * HOUR).toISOString(),
    });
    const [approved, opened] = after.timeline.slice(-2);
    expect(approved?.type).toBe('approved');
    expect(opened).toMatchObject({ type: 'stage_opened', data: { index: 1, candidates: [people.fiona] } });
    expect(approved && opened && opened.seq === approved.seq + 1).toBe(true);
  });

  it('run three stages to a grant, each decided by its own person, security last', async () => {
    // Prepare
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, {
      type: 'access',
      system: 'aws-prod',
      entitlement: 'aws-prod-admin',
      justification: 'Rotate the production KMS keys',
      duration: 'PT2H',
    });

    // Act: each stage is notified, decided by the one asked, and advanced.
    const asked: string[][] = [];
    for (const stage of [0, 1, 2]) {
      const current = await stored(sys, ticket.id);
      asked.push(current.approvals[stage]?.candidates ?? []);
      await notifyAssignees(sys.deps, {
        ticketId: ticket.id,
        kind: 'approval',
        taskToken: `stage-${stage}`,
        stageIndex: stage,
      });
      await decide(sys, current, stage, current.approvals[stage]?.candidates[0] ?? '', 'approve');
      await advance(sys.deps, ticket.id, 'approval');
    }
    await reportDone(sys, ticket, people.ivan);
    await advance(sys.deps, ticket.id, 'fulfilment');

    // Assess: Sam decided as system owner, so the security stage goes to Sara alone.
    expect(asked).toEqual([[people.erin], [people.sam], [people.sara]]);
    const after = await stored(sys, ticket.id);
    expect(after.status).toBe('active');
    // Each approver is asked in turn; the requester hears of the approval and of the grant, which
    // resolves the request, so they are asked to rate it.
    expect(sys.emails.map((email) => `${email.to[0]}: ${email.subject.split(':')[0]}`)).toEqual([
      `${people.erin}: Approval needed`,
      `${people.sam}: Approval needed`,
      `${people.sara}: Approval needed`,
      `${people.alex}: Approved`,
      `${people.ivan}: To fulfil`,
      `${people.alex}: Fulfilled`,
      `${people.alex}: Rate your request`,
    ]);
    expect(findBrokenLink(after.timeline as TimelineEvent[])).toBeNull();
    expect(await grantItem(`G${ticket.id}`)).toMatchObject({
      holder: people.alex,
      ticket: ticket.id,
      status: 'active',
    });
  });

  it('close as auto_rejected with no_eligible_approver when the next stage can go to nobody', async () => {
    // Prepare: Fiona (payroll's owner) files for Felix, her report; his manager is Fiona, so Dana
    // approves the manager stage, and the system-owner stage passes Fiona over to Dana, who decided.
    const sys = system();
    const ticket = await fileAndOpen(sys, people.fiona, { ...payrollAdmin, beneficiary: people.felix });
    const securityGone = await Promise.all([identity(people.sam), identity(people.sara)]);
    await decide(sys, ticket, 0, ticket.approvals[0]?.candidates[0] ?? '', 'approve');
    for (const member of securityGone)
      await directory.put({ identities: [{ ...member, status: 'suspended' }] });

    try {
      // Act
      await advance(sys.deps, ticket.id, 'approval');
    } finally {
      for (const member of securityGone) await directory.put({ identities: [member] });
    }

    // Assess
    const after = await stored(sys, ticket.id);
    expect(ticket.approvals[0]?.candidates).toEqual([people.dana]);
    expect(after).toMatchObject({ status: 'closed', closure: 'auto_rejected' });
    expect(after.timeline.at(-1)?.reason).toBe('no_eligible_approver');
  });
});

describe('derived items follow the ticket', () => {
  const timeBound = { ...githubWrite, duration: 'P1D' };

  it('writes no grant when the write that activates the ticket fails, and none after the ticket fails', async () => {
    // Prepare: every ticket save fails once the fulfilment is reported.
    const tickets = new DynamoTicketStore(db, LOCAL_TABLE_NAME);
    let failSaves = false;
    const failing: TicketStore = Object.assign(Object.create(tickets), {
      save: (ticket: Ticket, version: number) => {
        if (failSaves && ticket.status === 'active') throw new TransientError('store unavailable');
        return tickets.save(ticket, version);
      },
    });
    const sys = system({ tickets: failing });
    const ticket = await fileAndOpen(sys, people.alex, timeBound);
    await managerApproves(sys, ticket);
    await reportDone(sys, ticket, people.ian);
    failSaves = true;

    // Act: the step fails, and the state machine records the failure.
    await expect(advance(sys.deps, ticket.id, 'fulfilment')).rejects.toBeInstanceOf(TransientError);
    await recordWorkflowFailure(sys.deps, ticket.id, { name: 'TransientError', cause: 'store unavailable' });

    // Assess
    expect(await stored(sys, ticket.id)).toMatchObject({ status: 'closed', closure: 'failed', grant: null });
    expect(await grantItem(`G${ticket.id}`)).toBeUndefined();
  });

  it('writes the grant of an active ticket again when the step is repeated', async () => {
    // Prepare: the ticket became active, and the grant write was lost with the process.
    const grants = new DynamoGrantStore(db, LOCAL_TABLE_NAME);
    const sys = system();
    let grantWrites = 0;
    sys.deps.grants = Object.assign(Object.create(grants), {
      put: async (grant: Parameters<typeof grants.put>[0]) => {
        grantWrites++;
        if (grantWrites === 1) throw new TransientError('lost');
        return grants.put(grant);
      },
    });
    const ticket = await fileAndOpen(sys, people.alex, timeBound);
    await managerApproves(sys, ticket);
    await reportDone(sys, ticket, people.bo);
    await expect(advance(sys.deps, ticket.id, 'fulfilment')).rejects.toBeInstanceOf(TransientError);

    // Act
    await advance(sys.deps, ticket.id, 'fulfilment');

    // Assess
    const after = await stored(sys, ticket.id);
    expect(after.status).toBe('active');
    expect(await grantItem(`G${ticket.id}`)).toMatchObject({
      until: after.grant?.until,
      holder: people.alex,
    });
  });

  it('leaves a grant that moved on as it is when the step that created it is repeated', async () => {
    // Prepare: the grant was written, then its revocation began (as issue 13's revocation will set it).
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, timeBound);
    await managerApproves(sys, ticket);
    await reportDone(sys, ticket, people.bo);
    await advance(sys.deps, ticket.id, 'fulfilment');
    await db.send(
      new UpdateCommand({
        TableName: LOCAL_TABLE_NAME,
        Key: { pk: `GRANT#G${ticket.id}`, sk: 'GRANT' },
        UpdateExpression: 'SET #status = :revoking',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':revoking': 'revoking' },
      }),
    );

    // Act
    await advance(sys.deps, ticket.id, 'fulfilment');

    // Assess
    expect(await grantItem(`G${ticket.id}`)).toMatchObject({ status: 'revoking', holder: people.alex });
  });

  it('spends a link once: a second use is a conflict, and a release gives back only its own use', async () => {
    // Prepare
    const links = new DynamoLinkStore(db, LOCAL_TABLE_NAME);
    const link = {
      hash: `test-${Date.now()}`,
      purpose: 'approval' as const,
      ticketId: 'T',
      taskId: 'T.approval.0',
      identity: people.erin,
      expiresAt: '2099-01-01T00:00:00.000Z',
      usedAt: null,
      createdAt: '2026-03-02T09:00:00.000Z',
    };
    await links.put(link);

    // Act
    await links.markUsed(link.hash, 'first');
    const second = links.markUsed(link.hash, 'second');

    // Assess
    await expect(second).rejects.toBeInstanceOf(ConflictError);
    await links.release(link.hash, 'second');
    expect((await links.get(link.hash))?.usedAt).toBe('first');
    await links.release(link.hash, 'first');
    expect((await links.get(link.hash))?.usedAt).toBeNull();
  });
});

describe('a repeated step', () => {
  it('after the last approval opens fulfilment once, with one deadline', async () => {
    // Prepare
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await managerApproves(sys, ticket);
    const first = await stored(sys, ticket.id);

    // Act
    sys.later(5000);
    await advance(sys.deps, ticket.id, 'approval');

    // Assess
    expect(await stored(sys, ticket.id)).toEqual(first);
  });
});

describe('a wait without a deadline', () => {
  it('is an error named MissingDeadlineError, never a one-second wait', async () => {
    // Prepare: a ticket in fulfilment whose deadline was lost.
    const sys = system();
    const ticket = await fileAndOpen(sys, people.alex, githubWrite);
    await managerApproves(sys, ticket);
    const fulfilling = await stored(sys, ticket.id);
    await sys.deps.tickets.save(
      { ...fulfilling, fulfilment: fulfilling.fulfilment && { ...fulfilling.fulfilment, deadline: null } },
      fulfilling.version,
    );

    // Act
    const step = advance(sys.deps, ticket.id, 'approval');

    // Assess
    await expect(step).rejects.toMatchObject({ name: 'MissingDeadlineError' });
  });
});

async function grantItem(id: string) {
  const { Item } = await db.send(
    new GetCommand({ TableName: LOCAL_TABLE_NAME, Key: { pk: `GRANT#${id}`, sk: 'GRANT' } }),
  );
  return Item;
}
