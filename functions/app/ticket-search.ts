import { decodeTime } from 'ulid';
import type { Identity } from '../domain/directory';
import { ForbiddenError } from '../domain/errors';
import { isOpen, type Status, statuses } from '../domain/lifecycle';
import type { Period, TicketFacts, TicketListQuery, TicketPartition, TicketSummary } from './ports';

/** What GET /requests narrows by. `status` alone keeps the plain list; any other makes it a search. */
export interface SearchFilters {
  requester?: string;
  beneficiary?: string;
  system?: string;
  entitlement?: string;
  status?: Status;
  /** The period of submission, both ends included. */
  from?: Date;
  to?: Date;
  /** The number a ticket carries as `TG-{n}`. */
  number?: number;
}

export const searchFields = [
  'requester',
  'beneficiary',
  'system',
  'entitlement',
  'from',
  'to',
  'number',
] as const satisfies readonly (keyof SearchFilters)[];

/** How a search reads: one ticket by its number, or index partitions narrowed in the index. */
export type SearchPlan =
  | { by: 'number'; number: number }
  | { by: 'index'; query: Omit<TicketListQuery, 'afterId' | 'limit'> };

/** The latest time a ULID can carry: a period left open at its end runs to it. */
const LAST_ULID_TIME = 2 ** 48 - 1;

export const isOversight = (caller: Identity): boolean =>
  caller.roles.includes('auditor') || caller.roles.includes('security');

export const isSearch = (filters: SearchFilters): boolean =>
  searchFields.some((field) => filters[field] !== undefined);

/**
 * The narrowest partition the filters name, and the rest filtered in the index (gsi1-gsi4 project
 * the four facts set at intake) before any ticket is read. Without statistics the order is by what a
 * partition holds: a person's tickets are few; an open status holds only the tickets in flight; a
 * system holds its whole history, as a resolved status holds everyone's. Status is not projected,
 * so outside its own partition it is checked on the tickets read.
 */
export function planSearch(filters: SearchFilters): SearchPlan {
  if (filters.number !== undefined) return { by: 'number', number: filters.number };
  const partitions = narrowest(filters);
  const keyedBy = partitions[0]?.by;
  const facts: TicketFacts = {};
  for (const fact of ['requester', 'beneficiary', 'system', 'entitlement'] as const) {
    const value = filters[fact];
    if (value !== undefined && fact !== keyedBy) facts[fact] = value;
  }
  const period = periodOf(filters);
  return {
    by: 'index',
    query: {
      partitions,
      facts,
      ...(filters.status ? { status: filters.status } : {}),
      ...(period ? { period } : {}),
    },
  };
}

function narrowest(filters: SearchFilters): TicketPartition[] {
  if (filters.requester) return [{ by: 'requester', value: filters.requester }];
  if (filters.beneficiary) return [{ by: 'beneficiary', value: filters.beneficiary }];
  if (filters.status && isOpen(filters.status)) return [{ by: 'status', value: filters.status }];
  if (filters.system) return [{ by: 'system', value: filters.system }];
  return (filters.status ? [filters.status] : statuses).map((status) => ({ by: 'status', value: status }));
}

function periodOf(filters: SearchFilters): Period | undefined {
  if (!filters.from && !filters.to) return undefined;
  return { from: filters.from ?? new Date(0), to: filters.to ?? new Date(LAST_ULID_TIME) };
}

/**
 * Anyone searches the tickets they requested or benefit from (those of the service accounts they
 * own included), and a number finds only a ticket the caller may see. Naming anyone else, or
 * searching across people (by system, entitlement or period without naming oneself), is for
 * auditor and security.
 */
export function assertMaySearch(caller: Identity, filters: SearchFilters, owned: readonly string[]): void {
  if (isOversight(caller)) return;
  const namesSelf =
    filters.requester === caller.id ||
    (filters.beneficiary !== undefined && [caller.id, ...owned].includes(filters.beneficiary));
  if (namesSelf) return;
  if (filters.requester !== undefined || filters.beneficiary !== undefined) {
    throw new ForbiddenError("Only auditor and security search other people's tickets");
  }
  if ([filters.system, filters.entitlement, filters.from, filters.to].some((value) => value !== undefined)) {
    throw new ForbiddenError(
      'Only auditor and security search across people: name yourself as requester or beneficiary',
    );
  }
}

/** Whether a ticket, as it is now, meets every filter: what a lookup by number checks (a list, its index). */
export function matchesSearch(ticket: TicketSummary, filters: SearchFilters): boolean {
  const submitted = decodeTime(ticket.id);
  return (
    (['requester', 'beneficiary', 'system', 'entitlement', 'status'] as const).every(
      (field) => filters[field] === undefined || ticket[field] === filters[field],
    ) &&
    (!filters.from || submitted >= filters.from.getTime()) &&
    (!filters.to || submitted <= filters.to.getTime())
  );
}
