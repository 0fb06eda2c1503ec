import type { Identity } from '../domain/directory';
import { NotFoundError, ValidationError } from '../domain/errors';
import { type Status, statuses } from '../domain/lifecycle';
import { canView, type Ticket } from '../domain/ticket';
import type { CursorCodec, Directory, TicketPartition, TicketStore, TicketSummary } from './ports';

export interface ReadDeps {
  tickets: TicketStore;
  directory: Directory;
  cursors: CursorCodec;
}

/** Primary course: the ticket, if the caller may see it; otherwise it does not exist for them. */
export async function getRequest(deps: ReadDeps, caller: Identity, id: string): Promise<Ticket> {
  const ticket = await deps.tickets.get(id);
  if (!ticket || !canView(ticket, caller)) throw new NotFoundError(`No request ${id}`);
  return ticket;
}

export interface ListQuery {
  status?: Status;
  mine: boolean;
  limit: number;
  cursor?: string;
}

/**
 * Primary course: the tickets the caller may see, newest first, one page at a time. Oversight roles
 * see every ticket (read from the status index); everyone else sees the tickets they requested or
 * benefit from, including those of the service accounts they own, and (unless `mine`) those that
 * name them as an approver or fulfiller.
 *
 * The partitions are read by who the caller is now, but a ticket is visible by the parties it
 * recorded: a service account's partition also holds tickets filed while someone else owned it,
 * which GET /requests/{id} hides from its new owner. So each ticket is checked as that read checks
 * it, and pages are read on until one visible ticket more than the page is found or none remain:
 * every page but the last is full, and `next` is only given when a visible ticket follows.
 */
export async function listRequests(
  deps: ReadDeps,
  caller: Identity,
  query: ListQuery,
): Promise<{ items: TicketSummary[]; next: string | null }> {
  const scope = { status: query.status ?? null, mine: query.mine };
  let afterId = query.cursor ? cursorPosition(deps.cursors.decode(query.cursor), scope) : undefined;
  const partitions = await partitionsFor(deps.directory, caller, query);
  const visible: TicketSummary[] = [];
  for (;;) {
    const page = await deps.tickets.list({
      partitions,
      status: query.status,
      afterId,
      limit: query.limit + 1,
    });
    visible.push(...page.items.filter((ticket) => canView(ticket, caller)));
    if (visible.length > query.limit || !page.lastId) break;
    afterId = page.lastId;
  }
  const items = visible.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items,
    next: visible.length > query.limit && last ? deps.cursors.encode({ ...scope, after: last.id }) : null,
  };
}

async function partitionsFor(
  directory: Directory,
  caller: Identity,
  query: ListQuery,
): Promise<TicketPartition[]> {
  const oversight = caller.roles.includes('auditor') || caller.roles.includes('security');
  if (oversight && !query.mine) {
    return (query.status ? [query.status] : statuses).map((status) => ({ by: 'status', value: status }));
  }
  const owned = await directory.serviceAccountsOwnedBy(caller.id);
  return [
    { by: 'requester', value: caller.id },
    ...[caller, ...owned].map((identity): TicketPartition => ({ by: 'beneficiary', value: identity.id })),
    ...(query.mine ? [] : [{ by: 'viewer', value: caller.id } as const]),
  ];
}

/** A cursor is only good for the query that produced it. */
function cursorPosition(
  payload: Record<string, unknown>,
  scope: { status: string | null; mine: boolean },
): string {
  if (payload.status !== scope.status || payload.mine !== scope.mine || typeof payload.after !== 'string') {
    throw new ValidationError('The cursor does not belong to this query', {
      cursor: 'belongs to another query',
    });
  }
  return payload.after;
}
