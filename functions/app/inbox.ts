import type { Identity } from '../domain/directory';
import { ValidationError } from '../domain/errors';
import { nextStepFor, openStageIndex } from '../domain/workflow';
import type { CursorCodec, TaskKind, TaskRecord, TaskStore, TicketStore, TicketSummary } from './ports';

export interface InboxItem {
  id: string;
  ticket: TicketSummary;
  stage: string | null;
  deadline: string;
}

export interface InboxQuery {
  limit: number;
  cursor?: string;
}

/** Where a page ended: tasks sort by deadline, then by id, so no two share a position. */
interface Position {
  deadline: string;
  id: string;
}

/**
 * Primary course: the caller's open tasks of one kind, each checked against its ticket, soonest
 * deadline first, one page at a time. The cursor holds the last task's position rather than an
 * index, so a task that closes between two pages moves no other task across the page boundary.
 * Tickets are read only until the page and one task more are found: `next` is given only when an
 * open task follows.
 */
export async function listInbox(
  deps: { tasks: TaskStore; tickets: TicketStore; cursors: CursorCodec },
  caller: Identity,
  kind: TaskKind,
  query: InboxQuery,
): Promise<{ items: InboxItem[]; next: string | null }> {
  const after = query.cursor ? cursorPosition(deps.cursors.decode(query.cursor), kind) : undefined;
  const tasks = (await deps.tasks.forAssignee(caller.id, kind))
    .filter((task) => !after || compare(task, after) > 0)
    .sort(compare);
  const items: InboxItem[] = [];
  let more = false;
  for (const task of tasks) {
    const item = await openItem(deps.tickets, task, kind, caller.id);
    if (!item) continue;
    if (items.length === query.limit) {
      more = true;
      break;
    }
    items.push(item);
  }
  const last = items.at(-1);
  return {
    items,
    next: more && last ? deps.cursors.encode({ inbox: kind, deadline: last.deadline, after: last.id }) : null,
  };
}

/**
 * The task as an inbox item, or undefined once its ticket no longer waits for it, or its stage no
 * longer asks the reader (it was reassigned to someone else).
 */
async function openItem(
  tickets: TicketStore,
  task: TaskRecord,
  kind: TaskKind,
  reader: string,
): Promise<InboxItem | undefined> {
  const ticket = await tickets.get(task.ticketId);
  if (!ticket || nextStepFor(ticket) !== kind) return undefined;
  if (kind === 'approval') {
    const index = openStageIndex(ticket);
    if (index === null || index !== task.stageIndex || !ticket.approvals[index]?.candidates.includes(reader))
      return undefined;
  }
  const { timeline, outbox, ...summary } = ticket;
  const stage = kind === 'approval' ? (ticket.approvals[task.stageIndex ?? 0]?.stage ?? null) : null;
  return { id: task.id, ticket: summary, stage, deadline: task.deadline };
}

const compare = (a: Position, b: Position): number =>
  a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** A cursor is only good for the inbox that produced it: not for the other kind, nor for GET /requests. */
function cursorPosition(payload: Record<string, unknown>, kind: TaskKind): Position {
  if (payload.inbox !== kind || typeof payload.deadline !== 'string' || typeof payload.after !== 'string') {
    throw new ValidationError('The cursor does not belong to this list', {
      cursor: 'belongs to another list',
    });
  }
  return { deadline: payload.deadline, id: payload.after };
}
