import type { Status } from '../domain/lifecycle';
import { stopCancelledExecution } from './cancel';
import type { ExecutionState, TicketStore, TicketSummary } from './ports';
import { recordWorkflowFailure, taskId, type WorkflowDeps } from './workflow-steps';

/** Reconcile records failures as the workflow's own step does, so it needs what that step needs. */
export type ReconcileDeps = WorkflowDeps;

export interface ReconcileResult {
  started: number;
  resent: number;
  /** Tickets closed as `failed` because their execution had ended without the ticket knowing. */
  failed: number;
  /** Executions of cancelled tickets stopped now, because the stop right after the cancellation failed. */
  stopped: number;
}

/**
 * DescribeExecution is eventually consistent, so a missing execution counts as gone only for a
 * ticket that has not moved for one reconcile period (5 minutes, shortened by the time scale).
 */
const MISSING_AFTER_MS = 5 * 60 * 1000;

/**
 * Primary course: make every in-flight ticket's execution match the ticket. A ticket still
 * `submitted` gets its execution started; a decision or fulfilment report recorded on the ticket
 * but not yet acted on is delivered again; a ticket whose execution has ended (failed, stopped,
 * timed out, or gone, with no step left to record it) is closed as `failed` with its cause; the
 * execution of a cancelled ticket is stopped if the stop after the cancellation did not happen.
 * A cancelled ticket is closed, so an execution it stopped (ABORTED) never makes it `failed`.
 */
export async function reconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  const result: ReconcileResult = { started: 0, resent: 0, failed: 0, stopped: 0 };
  for await (const ticket of ticketsIn(deps.tickets, 'submitted')) {
    if ((await deps.workflow.start(ticket.id)) === 'started') {
      result.started++;
      continue;
    }
    // Its name is taken by an execution that ended: one that never moved the ticket on.
    const execution = await deps.workflow.status(ticket.id);
    if (execution.status !== 'RUNNING' && execution.status !== 'absent') {
      if (await recordEnded(deps, ticket, execution)) result.failed++;
    }
  }
  for (const status of ['pending_approval', 'fulfilling'] as const) {
    for await (const ticket of ticketsIn(deps.tickets, status)) {
      const execution = await deps.workflow.status(ticket.id);
      if (execution.status === 'RUNNING') {
        if (await resendUndelivered(deps, ticket)) result.resent++;
      } else if (execution.status !== 'absent' || movedLongAgo(deps, ticket)) {
        if (await recordEnded(deps, ticket, execution)) result.failed++;
      }
    }
  }
  for (const id of await deps.tickets.executionsToStop()) {
    const ticket = await deps.tickets.get(id);
    if (ticket && (await stopCancelledExecution(deps, ticket)) !== ticket) result.stopped++;
  }
  return result;
}

async function resendUndelivered(deps: ReconcileDeps, ticket: TicketSummary): Promise<boolean> {
  const pending = undeliveredSignal(ticket);
  if (!pending) return false;
  const task = await deps.tasks.get(pending.taskId);
  return task !== undefined && (await deps.workflow.signal(task.token, pending.output)) === 'delivered';
}

/** A ticket in flight whose execution has ended has no step left to record why: this records it. */
async function recordEnded(
  deps: ReconcileDeps,
  ticket: TicketSummary,
  execution: Exclude<ExecutionState, { status: 'RUNNING' }>,
): Promise<boolean> {
  const error =
    execution.status === 'absent'
      ? { name: 'ExecutionMissing', cause: 'No execution of this ticket exists any more' }
      : {
          name: execution.error ?? ENDED_WITHOUT_ERROR[execution.status],
          cause: `The execution ended ${execution.status}${execution.cause ? `: ${execution.cause}` : ''}`,
        };
  const { recorded } = await recordWorkflowFailure(deps, ticket.id, error);
  return recorded;
}

/** Names for an execution that ended without an error of its own: stopped without one, or done too early. */
const ENDED_WITHOUT_ERROR = {
  SUCCEEDED: 'ExecutionEndedEarly',
  FAILED: 'ExecutionFailed',
  ABORTED: 'ExecutionAborted',
  TIMED_OUT: 'ExecutionTimedOut',
} as const;

function movedLongAgo(deps: ReconcileDeps, ticket: TicketSummary): boolean {
  const quietMs = deps.clock.now().getTime() - Date.parse(ticket.updatedAt);
  return quietMs > MISSING_AFTER_MS * deps.settings.timeScale;
}

/** A decision the workflow has not acted on yet: the ticket would have moved on otherwise. */
function undeliveredSignal(
  ticket: TicketSummary,
): { taskId: string; output: Record<string, unknown> } | null {
  if (ticket.status === 'fulfilling' && ticket.fulfilment?.result) {
    return { taskId: taskId(ticket.id, 'fulfilment', null), output: { result: ticket.fulfilment.result } };
  }
  if (ticket.status === 'pending_approval') {
    const index = ticket.approvals.findLastIndex((approval) => approval.decision !== null);
    const decided = ticket.approvals[index];
    const nextOpened = ticket.approvals[index + 1]?.deadline;
    if (decided?.decision && !nextOpened)
      return { taskId: taskId(ticket.id, 'approval', index), output: { decision: decided.decision } };
  }
  return null;
}

async function* ticketsIn(tickets: TicketStore, status: Status): AsyncGenerator<TicketSummary> {
  let afterId: string | undefined;
  do {
    const page = await tickets.list({ partitions: [{ by: 'status', value: status }], afterId, limit: 100 });
    yield* page.items;
    afterId = page.lastId ?? undefined;
  } while (afterId);
}
