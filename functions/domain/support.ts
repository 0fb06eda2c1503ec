import { ConflictError, ForbiddenError, ValidationError } from './errors';
import { applyChange, type Ticket } from './ticket';

/**
 * The members of a support ticket's queue, as intake recorded them when it routed the ticket by its
 * category: the same people who see the ticket and may resolve it. None for an access ticket.
 */
export function queueMembers(ticket: Pick<Ticket, 'type' | 'fulfilment'>): string[] {
  return ticket.type === 'support' ? (ticket.fulfilment?.fulfillers ?? []) : [];
}

/** When the queue first answered the ticket: its first comment marked as the first response. */
export function firstResponseAt(ticket: Pick<Ticket, 'timeline'>): string | null {
  return (
    ticket.timeline.find((event) => event.type === 'commented' && event.data.firstResponse === true)?.at ??
    null
  );
}

export interface Assignment {
  by: string;
  to: string;
  /** Whether the directory has `to` active now: nobody hands work to someone who left. */
  toActive: boolean;
  at: string;
}

/**
 * A queue member takes a support ticket, or hands it to another member. Assigning it to whoever
 * holds it already changes nothing.
 */
export function assignTicket(ticket: Ticket, assignment: Assignment): Ticket {
  if (ticket.type !== 'support') {
    throw new ConflictError(
      'Only support tickets are assigned: an access request goes to its named fulfillers',
    );
  }
  const members = queueMembers(ticket);
  const queue = ticket.fulfilment?.queue ?? 'its queue';
  if (!members.includes(assignment.by)) {
    throw new ForbiddenError(`${assignment.by} is not a member of ${queue}, which serves this ticket`);
  }
  if (ticket.status === 'closed') throw new ConflictError(`This request is closed (${ticket.closure})`);
  if (!members.includes(assignment.to)) {
    throw new ValidationError('A support ticket is assigned within its queue', {
      to: `is not a member of ${queue} (members: ${members.join(', ')})`,
    });
  }
  if (!assignment.toActive) {
    throw new ValidationError('A support ticket is assigned to someone who can work on it', {
      to: 'is not active in the directory',
    });
  }
  if (ticket.assignee === assignment.to) return ticket;
  return applyChange(
    ticket,
    { type: 'assigned', at: assignment.at, actor: assignment.by, data: { to: assignment.to } },
    { assignee: assignment.to },
  );
}

/** A support ticket is resolved with a note: it is what the requester learns of what was done. */
export function assertResolutionNote(ticket: Pick<Ticket, 'type'>, note: string | null): void {
  if (ticket.type === 'support' && !note) {
    throw new ValidationError('A support ticket is resolved with a note', {
      note: 'is required to resolve a support ticket: say what was done, or why it failed',
    });
  }
}
