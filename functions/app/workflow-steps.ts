import { createHash } from 'node:crypto';
import { addDuration, parseDuration } from '../domain/duration';
import { applyChange, type Ticket } from '../domain/ticket';
import {
  applyApprovals,
  approvalWindowSeconds,
  completeFulfilment,
  eligibleFulfillers,
  fulfilmentWindowSeconds,
  nextStepFor,
  openFulfilment,
  openStage,
  openStageIndex,
  recordFailure,
  timeOut,
} from '../domain/workflow';
import { approvalRequestEmail, fulfilmentRequestEmail } from './emails';
import type {
  Clock,
  Directory,
  Faults,
  GrantStore,
  LinkStore,
  Mailer,
  Secrets,
  TaskKind,
  TaskStore,
  TicketStore,
} from './ports';
import { updateTicket } from './ticket-updates';

export interface WorkflowDeps {
  clock: Clock;
  tickets: TicketStore;
  directory: Directory;
  tasks: TaskStore;
  links: LinkStore;
  grants: GrantStore;
  mailer: Mailer;
  secrets: Secrets;
  faults: Faults;
  /** Where emailed links point, and the factor that shortens every wait in demos and tests. */
  settings: { publicBaseUrl: string; timeScale: number };
}

/** What the state machine reads to choose its next state and how long the next wait may last. */
export interface StepResult {
  ticketId: string;
  next: 'approval' | 'fulfilment' | 'done';
  stageIndex: number | null;
  timeoutSeconds: number;
}

export type Milestone = 'intake' | 'approval' | 'fulfilment' | 'timeout';

/**
 * Primary course: apply what the last milestone means for the ticket (open the first stage, act on
 * a decision, grant or close after fulfilment, close on a timeout) in one conditional write.
 * Safe to repeat: a ticket that already moved on is left as it is.
 */
export async function advance(deps: WorkflowDeps, ticketId: string, after: Milestone): Promise<StepResult> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const grant = after === 'fulfilment' ? await writeGrantIfTimeBound(deps, ticketId, now) : null;
  const ticket = await updateTicket(deps.tickets, ticketId, (current) => {
    switch (after) {
      case 'intake':
        return fromIntake(deps, current, now);
      case 'approval': {
        const { ticket: decided, next } = applyApprovals(current, at);
        return next === 'fulfilment'
          ? openFulfilment(decided, deadlineAfter(deps, now, fulfilmentWindowSeconds[current.urgency]), at)
          : decided;
      }
      case 'fulfilment':
        return completeFulfilment(current, at, grant);
      case 'timeout':
        return timeOut(current, at);
    }
  });
  if (after === 'intake') {
    const named = [
      ...ticket.approvals.flatMap((approval) => approval.candidates),
      ...(ticket.fulfilment?.fulfillers ?? []),
    ];
    await deps.tickets.addViewers(ticket.id, named);
  } else {
    await retireTasks(deps, ticket);
  }
  return stepResult(ticket, now);
}

function fromIntake(deps: WorkflowDeps, ticket: Ticket, now: Date): Ticket {
  if (ticket.status !== 'submitted') return ticket;
  const at = now.toISOString();
  const fulfilmentDeadline = deadlineAfter(deps, now, fulfilmentWindowSeconds[ticket.urgency]);
  if (ticket.type === 'support') {
    return openFulfilment(
      applyChange(ticket, { type: 'queued', at, actor: 'tollgate', to: 'fulfilling' }),
      fulfilmentDeadline,
      at,
    );
  }
  switch (ticket.decision?.outcome) {
    case 'auto_approved':
      return openFulfilment(
        applyChange(ticket, { type: 'auto_approved', at, actor: 'tollgate', to: 'fulfilling' }),
        fulfilmentDeadline,
        at,
      );
    case 'auto_rejected':
      return applyChange(ticket, {
        type: 'closed',
        at,
        actor: 'tollgate',
        reason: ticket.decision.reason,
        to: 'closed',
        closure: 'auto_rejected',
      });
    default:
      return openStage(ticket, 0, deadlineAfter(deps, now, approvalWindowSeconds[ticket.urgency]), at);
  }
}

/** The grant record comes first: its id derives from the ticket, so a retried step rewrites the same one. */
async function writeGrantIfTimeBound(deps: WorkflowDeps, ticketId: string, now: Date) {
  const ticket = await deps.tickets.get(ticketId);
  const duration = ticket?.duration ? parseDuration(ticket.duration) : null;
  if (ticket?.type !== 'access' || ticket.fulfilment?.result !== 'done' || duration === null) return null;
  if (ticket.grant) return ticket.grant;
  // The calendar decides how long the span is (a month from 31 January ends with February); the
  // time scale then shortens that span.
  const span = addDuration(now, duration).getTime() - now.getTime();
  const grant = {
    id: `G${ticket.id}`,
    from: now.toISOString(),
    until: deadlineAfter(deps, now, span / 1000),
  };
  deps.faults.crashPoint('during-fulfilment');
  await deps.grants.put({
    ...grant,
    ticketId: ticket.id,
    holder: ticket.beneficiary,
    system: ticket.system ?? '',
    entitlement: ticket.entitlement ?? '',
  });
  return grant;
}

/**
 * Primary course: record the failure on the ticket, so no execution ends without the ticket knowing.
 * `recorded` is false when the ticket had already moved past where a failure could close it.
 */
export async function recordWorkflowFailure(
  deps: WorkflowDeps,
  ticketId: string,
  error: { name: string; cause: string },
): Promise<StepResult & { recorded: boolean }> {
  const now = deps.clock.now();
  let recorded = false;
  const ticket = await updateTicket(deps.tickets, ticketId, (current) => {
    const failed = recordFailure(current, now.toISOString(), error);
    recorded = failed !== current;
    return failed;
  });
  await retireTasks(deps, ticket);
  return { ...stepResult(ticket, now), recorded };
}

/**
 * Primary course: store the task token, then email each assignee a link of their own. A retry with
 * the same token after everyone was emailed sends nothing twice.
 */
export async function notifyAssignees(
  deps: WorkflowDeps,
  input: { ticketId: string; kind: TaskKind; taskToken: string },
) {
  const ticket = await deps.tickets.get(input.ticketId);
  if (!ticket) throw new Error(`No ticket ${input.ticketId}`);
  const stageIndex = input.kind === 'approval' ? openStageIndex(ticket) : null;
  const deadline =
    input.kind === 'approval' ? ticket.approvals[stageIndex ?? -1]?.deadline : ticket.fulfilment?.deadline;
  if (!deadline || nextStepFor(ticket) !== input.kind) return { notified: 0 };

  const id = taskId(ticket.id, input.kind, stageIndex);
  const existing = await deps.tasks.get(id);
  if (existing?.token === input.taskToken && existing.notifiedAt) return { notified: 0 };
  const assignees =
    input.kind === 'approval'
      ? (ticket.approvals[stageIndex ?? -1]?.candidates ?? [])
      : eligibleFulfillers(ticket);
  const task = {
    id,
    ticketId: ticket.id,
    kind: input.kind,
    stageIndex,
    token: input.taskToken,
    assignees,
    deadline,
    createdAt: deps.clock.now().toISOString(),
    notifiedAt: null,
  };
  await deps.tasks.put(task);

  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  for (const assignee of assignees) {
    const url = await mintLink(deps, {
      purpose: input.kind,
      ticketId: ticket.id,
      taskId: id,
      identity: assignee,
      expiresAt: deadline,
    });
    const email = (input.kind === 'approval' ? approvalRequestEmail : fulfilmentRequestEmail)({
      ticket,
      system,
      to: assignee,
      url,
      deadline,
    });
    await deps.mailer.send(email);
  }
  await deps.tasks.put({ ...task, notifiedAt: deps.clock.now().toISOString() });
  deps.faults.crashPoint(`${input.kind}-notified`);
  return { notified: assignees.length };
}

export const taskId = (ticketId: string, kind: TaskKind, stageIndex: number | null) =>
  kind === 'approval' ? `${ticketId}.approval.${stageIndex}` : `${ticketId}.fulfilment`;

export const hashLinkToken = (token: string) => createHash('sha256').update(token).digest('hex');

async function mintLink(
  deps: WorkflowDeps,
  link: { purpose: TaskKind; ticketId: string; taskId: string; identity: string; expiresAt: string },
): Promise<string> {
  const token = deps.secrets.linkToken();
  await deps.links.put({
    ...link,
    hash: hashLinkToken(token),
    usedAt: null,
    createdAt: deps.clock.now().toISOString(),
  });
  return `${deps.settings.publicBaseUrl}/a/${token}`;
}

async function retireTasks(deps: WorkflowDeps, ticket: Ticket): Promise<void> {
  const waiting = nextStepFor(ticket);
  const ids = [
    ...ticket.approvals.map((_, index) => taskId(ticket.id, 'approval', index)),
    taskId(ticket.id, 'fulfilment', null),
  ];
  for (const id of ids) {
    const task = await deps.tasks.get(id);
    const stillWaiting =
      task &&
      task.kind === waiting &&
      (task.kind !== 'approval' || task.stageIndex === openStageIndex(ticket));
    if (task && !stillWaiting) await deps.tasks.retire(task);
  }
}

function deadlineAfter(deps: WorkflowDeps, now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000 * deps.settings.timeScale).toISOString();
}

function stepResult(ticket: Ticket, now: Date): StepResult {
  const next = nextStepFor(ticket);
  const stageIndex = next === 'approval' ? openStageIndex(ticket) : null;
  const deadline =
    next === 'approval'
      ? ticket.approvals[stageIndex ?? -1]?.deadline
      : next === 'fulfilment'
        ? ticket.fulfilment?.deadline
        : null;
  const timeoutSeconds = deadline ? Math.max(1, Math.ceil((Date.parse(deadline) - now.getTime()) / 1000)) : 1;
  return { ticketId: ticket.id, next, stageIndex, timeoutSeconds };
}
