import { createHash } from 'node:crypto';
import { isStageName } from '../domain/policy/outcome';
import { resolveStage } from '../domain/routing';
import { applyChange, type Ticket } from '../domain/ticket';
import {
  applyApprovals,
  approvalWindowSeconds,
  closeAsPolicyRefused,
  completeFulfilment,
  eligibleFulfillers,
  fulfilmentWindowSeconds,
  nextStepFor,
  openFulfilment,
  openStage,
  openStageIndex,
  recordedAnswer,
  recordedOutcome,
  recordFailure,
  refuseBeforeFulfilment,
  stageToOpen,
  timeOut,
} from '../domain/workflow';
import { approvalRequestEmail, fulfilmentRequestEmail } from './emails';
import { MissingDeadlineError } from './errors';
import { approvalExplanation } from './explanations';
import { type PolicyDeps, refusalBeforeFulfilment } from './policy-decisions';
import type {
  Clock,
  Directory,
  Faults,
  GrantStore,
  LinkStore,
  Mailer,
  Secrets,
  TaskKind,
  TaskRecord,
  TaskStore,
  TicketStore,
  Workflow,
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
  workflow: Workflow;
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
 * a decision and open the next stage, grant or close after fulfilment, close on a timeout) in one
 * conditional write, then write what derives from the committed ticket. Safe to repeat: a ticket
 * that already moved on is left as it is, and the derived items are written again.
 */
export async function advance(
  deps: WorkflowDeps & PolicyDeps,
  ticketId: string,
  after: Milestone,
): Promise<StepResult> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const ticket = await updateTicket(deps.tickets, ticketId, async (current) => {
    // A timeout applies what was recorded before the deadline instead of closing over it.
    const milestone = after === 'timeout' ? (recordedOutcome(current) ?? after) : after;
    switch (milestone) {
      case 'intake':
        return fromIntake(deps, current, now);
      case 'approval':
        return afterDecision(deps, current, now);
      case 'fulfilment':
        return completeFulfilment(current, now, deps.settings.timeScale);
      case 'timeout':
        return timeOut(current, at);
    }
  });
  await writeDerivedItems(deps, ticket, after);
  return stepResult(ticket, now);
}

async function fromIntake(deps: WorkflowDeps & PolicyDeps, ticket: Ticket, now: Date): Promise<Ticket> {
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
      return openCheckedFulfilment(
        deps,
        applyChange(ticket, { type: 'auto_approved', at, actor: 'tollgate', to: 'fulfilling' }),
        fulfilmentDeadline,
        now,
      );
    case 'auto_rejected':
      return closeAsPolicyRefused(ticket, at);
    default:
      return openStage(ticket, 0, deadlineAfter(deps, now, approvalWindowSeconds[ticket.urgency]), at);
  }
}

/**
 * A denial closes, the last approval opens fulfilment, any other approval opens the next stage
 * with its people resolved now, passing over whoever decided an earlier stage.
 */
async function afterDecision(deps: WorkflowDeps & PolicyDeps, ticket: Ticket, now: Date): Promise<Ticket> {
  const at = now.toISOString();
  const { ticket: decided, next } = applyApprovals(ticket, at);
  // Only the write that approves opens fulfilment: a repeated step finds it opened already.
  if (next === 'fulfilment' && decided !== ticket) {
    return openCheckedFulfilment(
      deps,
      decided,
      deadlineAfter(deps, now, fulfilmentWindowSeconds[ticket.urgency]),
      now,
    );
  }
  const index = stageToOpen(decided);
  const stage = decided.approvals[index ?? -1];
  if (next !== 'approval' || index === null || !stage) return decided;
  const system = decided.system ? await deps.directory.system(decided.system) : undefined;
  const decidedBy = decided.approvals.flatMap((approval) => (approval.decidedBy ? [approval.decidedBy] : []));
  const assignment =
    system && isStageName(stage.stage)
      ? await resolveStage(deps.directory, stage.stage, { ...decided, system }, decidedBy)
      : null;
  const deadline = deadlineAfter(deps, now, approvalWindowSeconds[ticket.urgency]);
  return openStage(decided, index, deadline, at, assignment);
}

/** Toxic combinations and departures are checked again right before anyone provisions access. */
async function openCheckedFulfilment(
  deps: PolicyDeps,
  approved: Ticket,
  deadline: string,
  now: Date,
): Promise<Ticket> {
  const at = now.toISOString();
  const refusal = await refusalBeforeFulfilment(deps, approved, now);
  return refusal ? refuseBeforeFulfilment(approved, refusal, at) : openFulfilment(approved, deadline, at);
}

/**
 * Items derived from the committed ticket, never ahead of it: the grant of an active ticket, the
 * listing of everyone the ticket names, and the retirement of waits that are over.
 */
async function writeDerivedItems(deps: WorkflowDeps, ticket: Ticket, after: Milestone): Promise<void> {
  if (ticket.grant && ticket.status === 'active') {
    deps.faults.faultPoint('during-fulfilment');
    await deps.grants.put({
      ...ticket.grant,
      ticketId: ticket.id,
      holder: ticket.beneficiary,
      system: ticket.system ?? '',
      entitlement: ticket.entitlement ?? '',
    });
  }
  const open = openStageIndex(ticket);
  if (after === 'intake') {
    const named = [
      ...ticket.approvals.flatMap((approval) => approval.candidates),
      ...(ticket.fulfilment?.fulfillers ?? []),
    ];
    await deps.tickets.addViewers(ticket.id, named);
  } else {
    if (open !== null && open > 0)
      await deps.tickets.addViewers(ticket.id, ticket.approvals[open]?.candidates ?? []);
    await retireTasks(deps, ticket);
  }
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
 * the same token after everyone was emailed sends nothing twice. A retry with a new token after the
 * wait was already decided (or the ticket moved on) stores that token too and answers it at once
 * with what is on record, so no execution waits on a token that nobody holds.
 */
export async function notifyAssignees(
  deps: WorkflowDeps,
  input: { ticketId: string; kind: TaskKind; taskToken: string; stageIndex?: number | null },
) {
  const ticket = await deps.tickets.get(input.ticketId);
  if (!ticket) throw new Error(`No ticket ${input.ticketId}`);
  const stageIndex = input.kind === 'approval' ? (input.stageIndex ?? openStageIndex(ticket)) : null;
  const id = taskId(ticket.id, input.kind, stageIndex);
  const existing = await deps.tasks.get(id);
  const answer = recordedAnswer(ticket, input.kind, stageIndex);
  if (answer) {
    await deps.tasks.put({
      ...(existing ?? newTask(deps, ticket, input, stageIndex, [])),
      token: input.taskToken,
    });
    await deps.workflow.signal(input.taskToken, answer);
    return { notified: 0 };
  }
  if (existing?.token === input.taskToken && existing.notifiedAt) return { notified: 0 };
  const assignees =
    input.kind === 'approval'
      ? (ticket.approvals[stageIndex ?? -1]?.candidates ?? [])
      : eligibleFulfillers(ticket);
  const task = newTask(deps, ticket, input, stageIndex, assignees);
  await deps.tasks.put(task);

  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  const why =
    input.kind === 'approval'
      ? await approvalExplanation(deps.directory, ticket, stageIndex ?? 0, system)
      : '';
  for (const assignee of assignees) {
    const url = await mintLink(deps, {
      purpose: input.kind,
      ticketId: ticket.id,
      taskId: id,
      identity: assignee,
      expiresAt: task.deadline,
    });
    const request = { ticket, system, to: assignee, url, deadline: task.deadline };
    const email =
      input.kind === 'approval' ? approvalRequestEmail({ ...request, why }) : fulfilmentRequestEmail(request);
    await deps.mailer.send(email);
  }
  await deps.tasks.put({ ...task, notifiedAt: deps.clock.now().toISOString() });
  deps.faults.faultPoint(`${input.kind}-notified`);
  return { notified: assignees.length };
}

function newTask(
  deps: WorkflowDeps,
  ticket: Ticket,
  input: { kind: TaskKind; taskToken: string },
  stageIndex: number | null,
  assignees: string[],
): TaskRecord {
  return {
    id: taskId(ticket.id, input.kind, stageIndex),
    ticketId: ticket.id,
    kind: input.kind,
    stageIndex,
    token: input.taskToken,
    assignees,
    deadline: waitDeadline(ticket, input.kind, stageIndex) ?? ticket.updatedAt,
    createdAt: deps.clock.now().toISOString(),
    notifiedAt: null,
  };
}

/** The final deadline of a wait: a stage's, or the fulfilment's. */
function waitDeadline(ticket: Ticket, kind: TaskKind, stageIndex: number | null): string | null {
  return kind === 'approval'
    ? (ticket.approvals[stageIndex ?? -1]?.deadline ?? null)
    : (ticket.fulfilment?.deadline ?? null);
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

/** A wait always has a deadline: a missing one is a defect to surface, never a one-second wait. */
function stepResult(ticket: Ticket, now: Date): StepResult {
  const next = nextStepFor(ticket);
  const stageIndex = next === 'approval' ? openStageIndex(ticket) : null;
  if (next === 'done') return { ticketId: ticket.id, next, stageIndex, timeoutSeconds: 0 };
  const deadline = waitDeadline(ticket, next, stageIndex);
  if (!deadline) throw new MissingDeadlineError(ticket.id, next, stageIndex);
  const timeoutSeconds = Math.max(1, Math.ceil((Date.parse(deadline) - now.getTime()) / 1000));
  return { ticketId: ticket.id, next, stageIndex, timeoutSeconds };
}
