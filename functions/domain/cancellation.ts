import { CancelledError, ConflictError, ForbiddenError } from './errors';
import { requestRevocation } from './revocation';
import { applyChange, type Ticket } from './ticket';
import { eligibleFulfillers, openStageIndex, openWait } from './workflow';

/**
 * Who withdraws a ticket: its requester, or the identity-change use case for a beneficiary who left
 * (whoever reported the change is the actor then, and it is not the requester's to refuse).
 */
export type CancelCause = 'requester' | 'identity_change';

/**
 * Cancels a ticket that has not closed. The ticket closes as `cancelled` at once, whatever the
 * execution is doing: the execution is stopped afterwards, and a step it still runs finds the
 * ticket closed and changes nothing. Access already provisioned stays until it is revoked, so an
 * active ticket also records that its revocation follows.
 */
export function cancel(
  ticket: Ticket,
  cancellation: { by: string; cause: CancelCause; reason: string | null; at: string },
): Ticket {
  const { by, cause, reason, at } = cancellation;
  if (cause === 'requester' && by !== ticket.requester) {
    throw new ForbiddenError('Only the requester may cancel a request');
  }
  if (ticket.closure === 'cancelled') throw new CancelledError('This request was cancelled already');
  if (ticket.status === 'closed') {
    throw new ConflictError(`This request is closed already (${ticket.closure}): there is nothing to cancel`);
  }
  if (ticket.status === 'revoking') {
    throw new ConflictError('The access this request granted is being revoked already');
  }
  const cancelled = applyChange(ticket, {
    type: 'cancelled',
    at,
    actor: by,
    reason,
    to: 'closed',
    closure: 'cancelled',
    data: { cause },
  });
  if (ticket.status !== 'active' || !ticket.grant) return cancelled;
  return requestRevocation(cancelled, {
    reason: 'revoked',
    by,
    note: 'Access was provisioned before the request was cancelled',
    at,
  });
}

/**
 * A cancelled ticket's execution is stopped after the cancellation is committed; until a stop is
 * recorded, it is due (the reconcile schedule retries one that failed).
 */
export function executionStopDue(ticket: Pick<Ticket, 'closure' | 'timeline'>): boolean {
  return (
    ticket.closure === 'cancelled' && !ticket.timeline.some((event) => event.type === 'execution_stopped')
  );
}

/**
 * Records that the cancelled ticket's execution has ended: `stopped` by this stop (or ended
 * before it), or `absent` when none was ever started. Repeating it changes nothing.
 */
export function recordExecutionStopped(ticket: Ticket, at: string, execution: 'stopped' | 'absent'): Ticket {
  if (!executionStopDue(ticket)) return ticket;
  return applyChange(ticket, { type: 'execution_stopped', at, actor: 'tollgate', data: { execution } });
}

/**
 * Who the ticket was waiting on when it was cancelled (read before the cancellation): the open
 * stage's approvers, escalation included, or the eligible fulfillers and whoever the overdue
 * fulfilment was escalated to. They are told that nothing is left for them to do.
 */
export function waitingOn(ticket: Ticket): { kind: 'approval' | 'fulfilment'; people: string[] } | null {
  const wait = openWait(ticket);
  if (!wait || wait.kind === 'revoke') return null;
  const asked =
    wait.kind === 'approval'
      ? (ticket.approvals[openStageIndex(ticket) ?? -1]?.candidates ?? [])
      : eligibleFulfillers(ticket);
  return { kind: wait.kind, people: [...new Set([...asked, ...(wait.escalatedTo ?? [])])] };
}
