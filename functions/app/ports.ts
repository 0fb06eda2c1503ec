import type { DirectoryView, Identity, Role, System } from '../domain/directory';
import type { Status } from '../domain/lifecycle';
import type { Ticket } from '../domain/ticket';

export interface Clock {
  now(): Date;
}

export interface Ids {
  /** A ULID: sortable by creation time, and a valid Step Functions execution name. */
  ticketId(): string;
}

export interface SupportQueue {
  id: string;
  name: string;
  categories: string[];
  members: string[];
}

export interface Directory extends DirectoryView {
  identity(id: string): Promise<Identity | undefined>;
  identitiesWithRole(role: Role): Promise<Identity[]>;
  system(id: string): Promise<System | undefined>;
  catalog(): Promise<System[]>;
  supportQueues(): Promise<SupportQueue[]>;
  serviceAccountsOwnedBy(ownerId: string): Promise<Identity[]>;
}

/** One index partition of tickets, newest first. */
export type TicketPartition = { by: 'requester' | 'beneficiary' | 'status'; value: string };

/** A ticket without its timeline: what lists carry. */
export type TicketSummary = Omit<Ticket, 'timeline'>;

export interface TicketPage {
  items: TicketSummary[];
  /** Set when more tickets follow: the id of the last one returned, to continue after. */
  lastId: string | null;
}

export interface TicketStore {
  get(id: string): Promise<Ticket | undefined>;
  /** Writes a new ticket; throws TicketExistsError when one with this id is already stored. */
  create(ticket: Ticket): Promise<void>;
  /** One conditional write: succeeds only if the stored version is `ticket.version - 1`. */
  save(ticket: Ticket): Promise<void>;
  /** The union of the partitions, newest first, without duplicates. */
  list(query: {
    partitions: TicketPartition[];
    status?: Status;
    afterId?: string;
    limit: number;
  }): Promise<TicketPage>;
}

export interface IdempotencyRecord {
  caller: string;
  key: string;
  bodyHash: string;
  ticketId: string;
  expiresAt: string;
  response: unknown | null;
}

export interface IdempotencyStore {
  /**
   * Stores the record unless a live one exists for (caller, key); answers the record in force,
   * which is the given one when this call won.
   */
  reserve(record: IdempotencyRecord, now: Date): Promise<IdempotencyRecord>;
  complete(caller: string, key: string, response: unknown): Promise<void>;
}

export interface CursorCodec {
  encode(payload: Record<string, unknown>): string;
  /** Throws ValidationError (field `cursor`) for anything it did not sign. */
  decode(cursor: string): Record<string, unknown>;
}
