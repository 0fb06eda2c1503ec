import type { WaitDeadlines } from './deadlines';
import { ConflictError, ForbiddenError } from './errors';
import type { GrantEndReason } from './lifecycle';
import { applyChange, type Revocation, type Ticket } from './ticket';

/**
 * The end of a grant. It is carried out by an execution of the revocation state machine named
 * after the grant and what ends it (its `until`, or a request), so a schedule that fires twice, or
 * the sweep finding a grant whose schedule was missed, starts it once; a request made while one
 * runs finds it and changes nothing. `expired` is recorded only once someone confirms the access is
 * gone; until then the ticket stays `revoking`, and past the revocation's deadline it is overdue.
 */

/** The execution that ends a time-bound grant at `until` (execution names allow letters, digits, - and _). */
export const expiryExecutionName = (grantId: string, until: string): string =>
  `${grantId}-${until.replace(/[-:.]/g, '')}`;

/** The execution that ends a grant someone asked to end (early revocation, a departure, a cancellation). */
export const requestedExecutionName = (grantId: string): string => `${grantId}-revoke`;

/** What a revocation execution is started with: by a schedule, the sweep or a request. */
export interface RevocationInput {
  ticketId: string;
  grantId: string;
  /** For an expiry, the `until` it ends, which must still be the grant's when it begins; null otherwise. */
  until: string | null;
}

/** The execution to start for a grant that is due now, with its input, or null when none is. */
export function dueRevocation(
  ticket: Pick<Ticket, 'id' | 'status' | 'grant' | 'revocation'>,
): { name: string; input: RevocationInput } | null {
  const grant = ticket.grant;
  if (!grant) return null;
  if (ticket.revocation) {
    if (ticket.revocation.deadline !== null || ticket.revocation.result !== null) return null;
    return {
      name: ticket.revocation.execution,
      input: { ticketId: ticket.id, grantId: grant.id, until: null },
    };
  }
  if (ticket.status !== 'active' || grant.until === null) return null;
  return {
    name: expiryExecutionName(grant.id, grant.until),
    input: { ticketId: ticket.id, grantId: grant.id, until: grant.until },
  };
}

/**
 * Someone asks for the access to end before its time: its holder, the system owner or security
 * (`revoked`), or the identity-change use case for a holder who left (`departed`). The ticket
 * records the request at once; the revocation execution it names opens the work.
 */
export function requestRevocation(
  ticket: Ticket,
  request: { reason: Exclude<GrantEndReason, 'expired'>; by: string; note: string | null; at: string },
): Ticket {
  if (!ticket.grant) throw new ConflictError('This request granted no access: there is nothing to revoke');
  if (ticket.revocation) {
    throw new ConflictError(
      ticket.revocation.result
        ? `This access was revoked already (${ticket.revocation.reason})`
        : 'This access is being revoked already',
    );
  }
  const revocation = newRevocation({
    reason: request.reason,
    requestedBy: request.by,
    requestedAt: request.at,
    note: request.note,
    execution: requestedExecutionName(ticket.grant.id),
  });
  return applyChange(
    ticket,
    {
      type: 'revocation_requested',
      at: request.at,
      actor: request.by,
      reason: request.note,
      data: { grant: ticket.grant.id, endReason: request.reason },
    },
    { revocation },
  );
}

function newRevocation(
  fields: Pick<Revocation, 'reason' | 'requestedBy' | 'requestedAt' | 'note' | 'execution'>,
): Revocation {
  return {
    ...fields,
    fulfillers: [],
    coveredBy: null,
    result: null,
    by: null,
    at: null,
    comment: null,
    deadline: null,
    reminderAt: null,
    escalationAt: null,
    phase: 'asked',
    escalatedTo: [],
    overdue: false,
  };
}

/**
 * The revocation execution `execution` begins: it owns the revocation the ticket asks for (its
 * expiry, when `until` is still the grant's and nobody asked before), and nothing else. Answers
 * the ticket unchanged when this execution has nothing to do: another one carries the revocation,
 * the grant was extended or already ended, or it began before (a repeated step).
 */
export function revocationToBegin(
  ticket: Ticket,
  execution: string,
  until: string | null,
  at: string,
): Ticket | null {
  if (!ticket.grant) return null;
  if (ticket.revocation) {
    const mine = ticket.revocation.execution === execution;
    return mine && ticket.revocation.deadline === null && ticket.revocation.result === null ? ticket : null;
  }
  const expiryStillDue =
    until !== null &&
    ticket.status === 'active' &&
    ticket.grant.until === until &&
    execution === expiryExecutionName(ticket.grant.id, until);
  if (!expiryStillDue) return null;
  return {
    ...ticket,
    revocation: newRevocation({
      reason: 'expired',
      requestedBy: 'tollgate',
      requestedAt: at,
      note: null,
      execution,
    }),
  };
}

/**
 * Opens the revocation: the ticket moves to `revoking` (a closed one, whose access was standing or
 * whose request was cancelled, stays closed), and `fulfillers` are asked to remove the access by
 * its deadlines. When another active grant (`coveredBy`) still provides the same access, nothing is
 * to be removed: the revocation closes at once, without work.
 */
export function openRevocation(
  ticket: Ticket,
  opening: { fulfillers: string[]; coveredBy: string | null; deadlines: WaitDeadlines; at: string },
): Ticket {
  const revocation = ticket.revocation;
  if (!revocation || !ticket.grant) return ticket;
  const { at, coveredBy } = opening;
  const toRevoking = ticket.status === 'active' ? { to: 'revoking' as const } : {};
  const started = applyChange(
    ticket,
    {
      type: 'revocation_started',
      at,
      actor: 'tollgate',
      reason: coveredBy
        ? `${coveredBy} still provides ${ticket.entitlement} to ${ticket.beneficiary}: there is no access to remove`
        : null,
      ...toRevoking,
      data: {
        grant: ticket.grant.id,
        endReason: revocation.reason,
        ...(coveredBy ? { coveredBy } : { fulfillers: opening.fulfillers, ...opening.deadlines }),
      },
    },
    {
      revocation: coveredBy
        ? { ...revocation, coveredBy, result: 'covered', at, deadline: opening.deadlines.deadline }
        : { ...revocation, fulfillers: opening.fulfillers, ...opening.deadlines, phase: 'asked' },
    },
  );
  return coveredBy ? endGrant(started, at) : started;
}

/** The wait of an open revocation that nobody has confirmed yet. */
export function openRevocationWait(ticket: Pick<Ticket, 'revocation'>): Revocation | null {
  const revocation = ticket.revocation;
  return revocation?.deadline && revocation.result === null ? revocation : null;
}

/** Everyone asked to remove the access so far: the fulfillers, and whoever an escalation reached. */
export const revocationAsked = (revocation: Revocation): string[] => [
  ...new Set([...revocation.fulfillers, ...revocation.escalatedTo]),
];

/**
 * Only someone asked may confirm, never the holder (nobody attests to the end of their own access),
 * and only while the revocation waits. A confirmation is welcome at any time, overdue included.
 */
export function assertMayConfirmRevocation(ticket: Ticket, callerId: string): void {
  const revocation = ticket.revocation;
  if (!revocation || !revocationAsked(revocation).includes(callerId)) {
    throw new ForbiddenError(`${callerId} is not asked to revoke this access`);
  }
  if (callerId === ticket.beneficiary || callerId === ticket.beneficiaryOwner) {
    throw new ForbiddenError('Nobody confirms the end of their own access');
  }
  assertNotConfirmed(revocation);
}

function assertNotConfirmed(revocation: Revocation): void {
  if (revocation.result !== null) {
    throw new ConflictError(`The revocation was already confirmed by ${revocation.by ?? 'tollgate'}`);
  }
}

/**
 * The integration that provisions the system reports the access removed: welcome while the
 * revocation waits, as a person's confirmation is. It cannot report a removal that failed: the
 * access has to go, so the wait goes on, to the fallback fulfillers from its escalation.
 */
export function assertMayConfirmRevocationByWebhook(ticket: Ticket, result: 'done' | 'failed'): void {
  const revocation = ticket.revocation;
  if (!revocation || revocation.deadline === null)
    throw new ConflictError('This access is not being revoked');
  assertNotConfirmed(revocation);
  if (result === 'failed') {
    throw new ConflictError(
      'A revocation cannot fail: the access has to go. Report fulfilment.completed once it is removed; until then the revocation waits, and its escalation asks the fallback fulfillers',
    );
  }
}

export function recordRevocationConfirmed(
  ticket: Ticket,
  confirmation: { by: string; comment: string | null; at: string; via: 'link' | 'inbox' | 'webhook' },
): Ticket {
  const revocation = ticket.revocation;
  if (!revocation) return ticket;
  return applyChange(
    ticket,
    {
      type: 'revocation_confirmed',
      at: confirmation.at,
      actor: confirmation.by,
      reason: confirmation.comment,
      data: { grant: ticket.grant?.id, via: confirmation.via },
    },
    {
      revocation: {
        ...revocation,
        result: 'done',
        by: confirmation.by,
        at: confirmation.at,
        comment: confirmation.comment,
      },
    },
  );
}

/**
 * After the confirmation (or with nothing to remove): the grant ends, and a `revoking` ticket closes
 * as `expired` (its time was up) or `revoked` (ended early, a departure included). Repeating it
 * changes nothing.
 */
export function endGrant(ticket: Ticket, at: string): Ticket {
  const revocation = ticket.revocation;
  if (!revocation || !grantEndDue(ticket)) return ticket;
  const ended = applyChange(ticket, {
    type: 'grant_ended',
    at,
    actor: 'tollgate',
    data: { grant: ticket.grant?.id, endReason: revocation.reason },
  });
  if (ended.status !== 'revoking') return ended;
  return applyChange(ended, {
    type: 'closed',
    at,
    actor: revocation.by ?? 'tollgate',
    reason: revocation.comment ?? revocation.note,
    to: 'closed',
    closure: revocation.reason === 'expired' ? 'expired' : 'revoked',
  });
}

/** The revocation has its result, and the grant has not ended yet: endGrant is the step to apply. */
export const grantEndDue = (ticket: Pick<Ticket, 'revocation' | 'timeline'>): boolean =>
  ticket.revocation?.result != null && !ticket.timeline.some((event) => event.type === 'grant_ended');

/**
 * The revocation passed its final deadline unconfirmed: it is flagged overdue, and `security` is
 * asked too. The wait goes on: the access must go either way.
 */
export function markRevocationOverdue(ticket: Ticket, security: readonly string[], at: string): Ticket {
  const revocation = openRevocationWait(ticket);
  if (!revocation || revocation.overdue) return ticket;
  return applyChange(
    ticket,
    {
      type: 'revocation_overdue',
      at,
      actor: 'tollgate',
      reason:
        security.length === 0
          ? 'Nobody in security is eligible to ask'
          : `Nobody confirmed the revocation by ${revocation.deadline}`,
      data: { grant: ticket.grant?.id, to: [...security] },
    },
    {
      revocation: {
        ...revocation,
        phase: 'overdue',
        overdue: true,
        escalatedTo: [...new Set([...revocation.escalatedTo, ...security])],
      },
    },
  );
}

/** Why the access is to go, in a sentence for those asked to remove it. */
export function revocationCause(ticket: Pick<Ticket, 'beneficiary' | 'grant' | 'revocation'>): string {
  const revocation = ticket.revocation;
  if (revocation?.reason === 'expired')
    return `The grant ${ticket.grant?.id} ended at ${ticket.grant?.until}.`;
  if (revocation?.reason === 'departed') return `${ticket.beneficiary} has left, so all their access ends.`;
  return `${revocation?.requestedBy} asked for this access to end${revocation?.note ? `: ${revocation.note}` : '.'}`;
}
