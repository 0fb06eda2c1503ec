import type { Status } from '../domain/lifecycle';
import type { TaskStore, TicketStore, TicketSummary, Workflow } from './ports';
import { taskId } from './workflow-steps';

export interface ReconcileDeps {
  tickets: TicketStore;
  tasks: TaskStore;
  workflow: Workflow;
}

/**
 * Primary course: make every in-flight ticket's execution match the ticket. A ticket still
 * `submitted` gets its execution started (one that exists counts as started); a decision or
 * fulfilment report recorded on the ticket but not yet acted on is delivered again.
 */
export async function reconcile(deps: ReconcileDeps): Promise<{ started: number; resent: number }> {
  let started = 0;
  let resent = 0;
  for await (const ticket of ticketsIn(deps.tickets, 'submitted')) {
    await deps.workflow.start(ticket.id);
    started++;
  }
  for (const status of ['pending_approval', 'fulfilling'] as const) {
    for await (const ticket of ticketsIn(deps.tickets, status)) {
      const pending = undeliveredSignal(ticket);
      if (!pending) continue;
      const task = await deps.tasks.get(pending.taskId);
      if (task && (await deps.workflow.signal(task.token, pending.output)) === 'delivered') resent++;
    }
  }
  return { started, resent };
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
