import type { Identity } from '../domain/directory';
import { NotFoundError, ValidationError } from '../domain/errors';
import { statuses } from '../domain/lifecycle';
import { canView, type Ticket } from '../domain/ticket';
import type {
  CursorCodec,
  Directory,
  TicketPage,
  TicketPartition,
  TicketStore,
  TicketSummary,
} from './ports';
import {
  assertMaySearch,
  isOversight,
  isSearch,
  matchesSearch,
  planSearch,
  type SearchFilters,
  type SearchPlan,
} from './ticket-search';

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

export interface ListQuery extends SearchFilters {
  mine: boolean;
  limit: number;
  cursor?: string;
}

/** Reads of the store one page makes at most, reading on past tickets the caller may not see. */
const READS_PER_PAGE = 3;

/**
 * Primary course: the tickets the caller may see, newest first, one page at a time. Oversight roles
 * see every ticket (read from the status index); everyone else sees the tickets they requested or
 * benefit from, including those of the service accounts they own, and (unless `mine`) those that
 * name them as an approver or fulfiller. Any filter beside `status` makes it a search
 * (ticket-search.ts): one partition, narrowed in the index, or one ticket by its number.
 *
 * The partitions are read by who the caller is now, but a ticket is visible by the parties it
 * recorded: a service account's partition also holds tickets filed while someone else owned it,
 * which GET /requests/{id} hides from its new owner. So each ticket is checked as that read checks
 * it, and the store is read on past hidden tickets, READS_PER_PAGE times at most. Each read of the
 * store is bounded (a few index pages per partition), so no request reads on through history: a
 * search that matches few of the tickets it reads answers fewer than asked for, maybe none, with
 * `next` where its reading stopped; `next` is null once nothing is left to read.
 */
export async function listRequests(
  deps: ReadDeps,
  caller: Identity,
  query: ListQuery,
): Promise<{ items: TicketSummary[]; next: string | null }> {
  const { mine, limit, cursor, ...filters } = query;
  const owned = isOversight(caller)
    ? []
    : (await deps.directory.serviceAccountsOwnedBy(caller.id)).map((identity) => identity.id);
  // A malformed cursor is the request's fault whoever asks: 400 before any 403 on the search.
  const scope = cursorScope(query);
  let afterId = cursor ? cursorPosition(deps.cursors.decode(cursor), scope) : undefined;
  const searching = isSearch(filters);
  if (searching) assertMaySearch(caller, filters, owned);
  const plan: SearchPlan = searching
    ? planSearch(filters)
    : { by: 'index', query: { partitions: partitionsFor(caller, owned, query), status: query.status } };
  if (plan.by === 'number') {
    const ticket = await deps.tickets.getByNumber(plan.number);
    // A ticket the caller may not see is no more found than one never filed, as GET /requests/{id} has it.
    const found = ticket && canView(ticket, caller) && matchesSearch(ticket, filters) ? [ticket] : [];
    return { items: found.map(({ timeline, outbox, ...summary }) => summary), next: null };
  }
  const visible: TicketSummary[] = [];
  let page: TicketPage;
  for (let reads = 1; ; reads++) {
    page = await deps.tickets.list({ ...plan.query, afterId, limit: limit + 1 });
    visible.push(...page.items.filter((ticket) => canView(ticket, caller)));
    // Read on past hidden tickets, a few reads at most; a store page that came back short has
    // read its share of history already.
    const short = page.items.length <= limit;
    if (visible.length > limit || !page.lastId || short || reads >= READS_PER_PAGE) break;
    afterId = page.lastId;
  }
  const items = visible.slice(0, limit);
  const after = visible.length > limit ? items.at(-1)?.id : (page.lastId ?? undefined);
  return { items, next: after ? deps.cursors.encode({ ...scope, after }) : null };
}

function partitionsFor(caller: Identity, owned: string[], query: ListQuery): TicketPartition[] {
  if (isOversight(caller) && !query.mine) {
    return (query.status ? [query.status] : statuses).map((status) => ({ by: 'status', value: status }));
  }
  return [
    { by: 'requester', value: caller.id },
    ...[caller.id, ...owned].map((id): TicketPartition => ({ by: 'beneficiary', value: id })),
    ...(query.mine ? [] : [{ by: 'viewer', value: caller.id } as const]),
  ];
}

/** Everything that shapes the list, as a cursor records it. */
function cursorScope(query: ListQuery): Record<string, string | number | boolean | null> {
  return {
    mine: query.mine,
    status: query.status ?? null,
    requester: query.requester ?? null,
    beneficiary: query.beneficiary ?? null,
    system: query.system ?? null,
    entitlement: query.entitlement ?? null,
    from: query.from?.toISOString() ?? null,
    to: query.to?.toISOString() ?? null,
  };
}

/** A cursor is only good for the query that produced it. */
function cursorPosition(payload: Record<string, unknown>, scope: ReturnType<typeof cursorScope>): string {
  const sameQuery = Object.entries(scope).every(([field, value]) => payload[field] === value);
  if (!sameQuery || typeof payload.after !== 'string') {
    throw new ValidationError('The cursor does not belong to this query', {
      cursor: 'belongs to another query',
    });
  }
  return payload.after;
}
