import { describe, expect, it } from 'vitest';
import { HmacCursorCodec } from '../../../functions/adapters/cursor-codec';
import { listInbox } from '../../../functions/app/inbox';
import type { TaskRecord, TaskStore, TicketStore } from '../../../functions/app/ports';
import type { Ticket } from '../../../functions/domain/ticket';
import { person } from '../domain/fixtures';
import { ticket, unopenedWait } from '../domain/tickets';

const approver = person('erin@x.com');
const DEADLINE = '2026-01-04T00:00:00.000Z';

/** A ticket waiting for its first stage, and the task that waits with it. */
function waiting(id: string, deadline = DEADLINE): { ticket: Ticket; task: TaskRecord } {
  return {
    ticket: ticket({
      id,
      status: 'pending_approval',
      approvals: [
        {
          stage: 'manager',
          candidates: [approver.id],
          decidedBy: null,
          decision: null,
          at: null,
          comment: null,
          via: null,
          deadline,
          ...unopenedWait,
          path: [approver.id],
        },
      ],
    }),
    task: {
      id: `${id}.approval.0`,
      ticketId: id,
      kind: 'approval',
      stageIndex: 0,
      token: `token-${id}`,
      assignees: [approver.id],
      deadline,
      createdAt: '2026-01-01T00:00:00.000Z',
      notifiedAt: '2026-01-01T00:00:00.000Z',
    },
  };
}

/** In-memory task and ticket stores; the task store answers in no particular order, as a query may. */
function storesOf(entries: { ticket: Ticket; task: TaskRecord }[]) {
  const tickets = new Map(entries.map((entry) => [entry.ticket.id, entry.ticket]));
  const taskStore: Pick<TaskStore, 'forAssignee'> = {
    forAssignee: async (identityId, kind) =>
      entries
        .map((entry) => entry.task)
        .filter((task) => task.kind === kind && task.assignees.includes(identityId))
        .reverse(),
  };
  const ticketStore: Pick<TicketStore, 'get'> = { get: async (id) => tickets.get(id) };
  return {
    tasks: taskStore as TaskStore,
    tickets: ticketStore as TicketStore,
    cursors: new HmacCursorCodec('a-test-signing-secret-of-32-characters'),
  };
}

async function pageThrough(deps: ReturnType<typeof storesOf>, limit: number) {
  const pages: { ids: string[]; next: string | null }[] = [];
  let cursor: string | undefined;
  do {
    const page = await listInbox(deps, approver, 'approval', { limit, ...(cursor ? { cursor } : {}) });
    pages.push({ ids: page.items.map((item) => item.id), next: page.next });
    cursor = page.next ?? undefined;
  } while (cursor && pages.length < 20);
  return pages;
}

describe('listInbox', () => {
  it('pages tasks that share one deadline by task id, each exactly once', async () => {
    // Prepare
    const entries = ['01A', '01C', '01E', '01B', '01D'].map((id) => waiting(id));
    const deps = storesOf(entries);

    // Act
    const pages = await pageThrough(deps, 2);

    // Assess
    expect(pages.map((page) => page.ids)).toEqual([
      ['01A.approval.0', '01B.approval.0'],
      ['01C.approval.0', '01D.approval.0'],
      ['01E.approval.0'],
    ]);
    expect(pages.at(-1)?.next).toBeNull();
  });

  it('gives no next when the tasks after a full page no longer wait', async () => {
    // Prepare: the third task's ticket was decided, so only two tasks are open.
    const entries = ['01A', '01B', '01C'].map((id) => waiting(id));
    const decided = entries[2] as { ticket: Ticket; task: TaskRecord };
    decided.ticket = { ...decided.ticket, status: 'fulfilling' };
    const deps = storesOf(entries);

    // Act
    const page = await listInbox(deps, approver, 'approval', { limit: 2 });

    // Assess
    expect(page.items.map((item) => item.id)).toEqual(['01A.approval.0', '01B.approval.0']);
    expect(page.next).toBeNull();
  });

  it('continues after the cursor position even when a task of the first page closed meanwhile', async () => {
    // Prepare
    const entries = ['01A', '01B', '01C', '01D'].map((id, index) =>
      waiting(id, `2026-01-0${index + 4}T00:00:00.000Z`),
    );
    const deps = storesOf(entries);
    const first = await listInbox(deps, approver, 'approval', { limit: 2 });
    const closed = entries[0] as { ticket: Ticket; task: TaskRecord };
    closed.ticket = { ...closed.ticket, status: 'closed' };

    // Act
    const second = await listInbox(deps, approver, 'approval', { limit: 2, cursor: first.next ?? '' });

    // Assess
    expect(second.items.map((item) => item.id)).toEqual(['01C.approval.0', '01D.approval.0']);
    expect(second.next).toBeNull();
  });
});
