import type { Identity } from '../domain/directory';
import { nextStepFor, openStageIndex } from '../domain/workflow';
import type { TaskKind, TaskStore, TicketStore, TicketSummary } from './ports';

export interface InboxItem {
  id: string;
  ticket: TicketSummary;
  stage: string | null;
  deadline: string;
}

/** Primary course: the caller's open tasks of one kind, each checked against its ticket, soonest deadline first. */
export async function listInbox(
  deps: { tasks: TaskStore; tickets: TicketStore },
  caller: Identity,
  kind: TaskKind,
): Promise<{ items: InboxItem[]; next: null }> {
  const tasks = await deps.tasks.forAssignee(caller.id, kind);
  const items: InboxItem[] = [];
  for (const task of tasks) {
    const ticket = await deps.tickets.get(task.ticketId);
    if (!ticket || nextStepFor(ticket) !== kind) continue;
    if (kind === 'approval' && openStageIndex(ticket) !== task.stageIndex) continue;
    const { timeline, ...summary } = ticket;
    const stage = kind === 'approval' ? (ticket.approvals[task.stageIndex ?? 0]?.stage ?? null) : null;
    items.push({ id: task.id, ticket: summary, stage, deadline: task.deadline });
  }
  items.sort((a, b) => a.deadline.localeCompare(b.deadline));
  return { items, next: null };
}
