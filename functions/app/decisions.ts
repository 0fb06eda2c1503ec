import type { Identity } from '../domain/directory';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import { assertMayConfirmRevocation, recordRevocationConfirmed } from '../domain/revocation';
import { assertResolutionNote } from '../domain/support';
import { canView, type Ticket } from '../domain/ticket';
import {
  assertMayDecide,
  assertMayFulfil,
  type Decision,
  recordDecision,
  recordFulfilment,
  type Via,
} from '../domain/workflow';
import type {
  Clock,
  Faults,
  SecurityEvent,
  SecurityEvents,
  TaskKind,
  TaskRecord,
  TaskStore,
  TicketStore,
  Workflow,
} from './ports';
import { updateTicket } from './ticket-updates';

export interface DecisionDeps {
  clock: Clock;
  tickets: TicketStore;
  tasks: TaskStore;
  workflow: Workflow;
  faults: Faults;
  securityEvents: SecurityEvents;
  log: (message: string, details: Record<string, unknown>) => void;
}

/**
 * Primary course: record the approver's decision on the ticket (one conditional write, so of two
 * simultaneous decisions exactly one lands), then resume the execution waiting on it.
 */
export async function decideApproval(
  deps: DecisionDeps,
  input: { caller: Identity; taskId: string; decision: Decision; comment: string | null; via: Via },
): Promise<Ticket> {
  return reportingRefusals(deps, 'decision_refused', input, () => recordApproval(deps, input));
}

async function recordApproval(
  deps: DecisionDeps,
  input: Parameters<typeof decideApproval>[1],
): Promise<Ticket> {
  const task = await visibleTask(deps, input.caller, input.taskId, 'approval');
  const now = deps.clock.now();
  const at = now.toISOString();
  const stageIndex = task.stageIndex ?? 0;
  const ticket = await updateTicket(deps.tickets, task.ticketId, (current) => {
    assertMayDecide(current, stageIndex, input.caller, now);
    return recordDecision(current, stageIndex, {
      by: input.caller.id,
      decision: input.decision,
      comment: input.comment,
      via: input.via,
      at,
    });
  });
  await resume(deps, task, { decision: input.decision });
  return ticket;
}

/** Primary course: record the fulfiller's report on the ticket, then resume the execution. */
export async function reportFulfilment(
  deps: DecisionDeps,
  input: { caller: Identity; taskId: string; result: 'done' | 'failed'; note: string | null; via: Via },
): Promise<Ticket> {
  return reportingRefusals(deps, 'fulfilment_refused', input, () => recordReport(deps, input));
}

async function recordReport(
  deps: DecisionDeps,
  input: Parameters<typeof reportFulfilment>[1],
): Promise<Ticket> {
  const task = await visibleTask(deps, input.caller, input.taskId, 'fulfilment');
  const now = deps.clock.now();
  const at = now.toISOString();
  const ticket = await updateTicket(deps.tickets, task.ticketId, (current) => {
    assertMayFulfil(current, input.caller, now);
    assertResolutionNote(current, input.note);
    return recordFulfilment(current, {
      by: input.caller.id,
      result: input.result,
      note: input.note,
      at,
      via: input.via,
    });
  });
  await resume(deps, task, { result: input.result });
  return ticket;
}

/**
 * Primary course: record that the access is gone (a fulfiller, or whoever the revocation escalated
 * to, never the holder), then resume the revocation execution, which ends the grant.
 */
export async function confirmRevocation(
  deps: DecisionDeps,
  input: { caller: Identity; taskId: string; comment: string | null; via: Via },
): Promise<Ticket> {
  return reportingRefusals(deps, 'revocation_refused', input, async () => {
    const task = await visibleTask(deps, input.caller, input.taskId, 'revoke');
    const at = deps.clock.now().toISOString();
    const ticket = await updateTicket(deps.tickets, task.ticketId, (current) => {
      assertMayConfirmRevocation(current, input.caller.id);
      return recordRevocationConfirmed(current, {
        by: input.caller.id,
        comment: input.comment,
        at,
        via: input.via,
      });
    });
    await resume(deps, task, { result: 'done' });
    return ticket;
  });
}

/**
 * Someone not entitled to decide (or report, or reassign) was refused, and the ticket was not
 * touched: the refusal is logged and kept for security as it happened, then answered as it was
 * (403 or 404).
 */
export async function reportingRefusals(
  deps: Pick<DecisionDeps, 'clock' | 'tasks' | 'securityEvents' | 'log'>,
  type: SecurityEvent['type'],
  input: { caller: Identity; taskId: string },
  act: () => Promise<Ticket>,
): Promise<Ticket> {
  try {
    return await act();
  } catch (error) {
    if (!(error instanceof ForbiddenError) && !(error instanceof NotFoundError)) throw error;
    const event = {
      type,
      at: deps.clock.now().toISOString(),
      actor: input.caller.id,
      ticketId: error instanceof ForbiddenError ? await ticketOf(deps, input.taskId) : null,
      taskId: input.taskId,
      answered: error instanceof ForbiddenError ? (403 as const) : (404 as const),
      reason: error.message,
    };
    deps.log('Refused an action on a ticket: recorded for security', { ...event });
    await deps.securityEvents
      .record(event)
      .catch((failure: Error) =>
        deps.log('Could not record a refusal for security', { taskId: input.taskId, error: failure.name }),
      );
    throw error;
  }
}

const ticketOf = async (deps: Pick<DecisionDeps, 'tasks'>, taskId: string) =>
  (await deps.tasks.get(taskId))?.ticketId ?? null;

/**
 * The decision is already safe on the ticket; if the execution cannot be reached now, the
 * reconcile job delivers it later, so the person who decided is not asked to try again.
 */
export async function resume(
  deps: Pick<DecisionDeps, 'faults' | 'workflow' | 'log'>,
  task: TaskRecord,
  output: Record<string, unknown>,
): Promise<void> {
  deps.faults.faultPoint('before-resume');
  try {
    await deps.workflow.signal(task.token, output);
  } catch (error) {
    deps.log('Decision recorded but not yet delivered to the workflow; reconcile will resend it', {
      ticketId: task.ticketId,
      taskId: task.id,
      error: (error as Error).name,
    });
  }
}

/** The task, if the caller may see its ticket: to anyone else it does not exist. */
export async function visibleTask(
  deps: Pick<DecisionDeps, 'tasks' | 'tickets'>,
  caller: Identity,
  taskId: string,
  kind: TaskKind,
): Promise<TaskRecord> {
  const task = await deps.tasks.get(taskId);
  const ticket = task?.kind === kind ? await deps.tickets.get(task.ticketId) : undefined;
  if (!task || !ticket || !canView(ticket, caller)) throw new NotFoundError(`No ${kind} task ${taskId}`);
  return task;
}
