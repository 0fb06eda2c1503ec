import { deadlinesFrom } from '../domain/deadlines';
import type { Identity } from '../domain/directory';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import { type GrantView, grantFrom, grantView } from '../domain/grants';
import type { GrantEndReason } from '../domain/lifecycle';
import {
  dueRevocation,
  openRevocation,
  type RevocationInput,
  requestRevocation,
  revocationToBegin,
} from '../domain/revocation';
import { revokersOf } from '../domain/routing';
import type { Ticket } from '../domain/ticket';
import type { Clock, Directory, GrantSchedules, GrantStore, Revocations, TicketStore } from './ports';
import { updateTicket } from './ticket-updates';
import {
  type StepResult,
  stepResult,
  tellRequester,
  type WorkflowDeps,
  writeDerivedItems,
} from './workflow-steps';

/**
 * Primary course (the first step of a revocation execution): take on the revocation the ticket
 * asks for, or its expiry, and ask for the access to be removed: the system's fulfillers, else its
 * owner, else security; nobody removes their own. Alternate courses: another active grant still
 * provides the same access, so the revocation closes without work; or this execution has nothing
 * to do (the grant was extended, or another execution carries its end), and it ends.
 */
export async function beginRevocation(
  deps: WorkflowDeps,
  input: RevocationInput & { execution: string },
): Promise<StepResult> {
  const now = deps.clock.now();
  const at = now.toISOString();
  let lastSeqBefore = 0;
  const ticket = await updateTicket(deps.tickets, input.ticketId, async (current) => {
    lastSeqBefore = current.timeline.at(-1)?.seq ?? 0;
    const owned = revocationToBegin(current, input.execution, input.until, at);
    if (!owned?.revocation || !owned.grant || !owned.system || !owned.entitlement) return current;
    const others = await deps.grants.activeGrantsOf(owned.beneficiary, owned.system, owned.entitlement);
    const covering = others.find((grant) => grant.id !== owned.grant?.id);
    const system = await deps.directory.system(owned.system);
    return openRevocation(owned, {
      fulfillers: covering ? [] : await revokersOf(deps.directory, system, owned),
      coveredBy: covering?.id ?? null,
      deadlines: deadlinesFrom(deps.settings.deadlines.revoke[owned.urgency], now, deps.settings.timeScale),
      at,
    });
  });
  await tellRequester(deps, ticket, lastSeqBefore);
  await writeDerivedItems(deps, ticket, 'revoke');
  return stepResult(deps, ticket, now);
}

/** How many due grants one sweep reads at most; the next sweep goes on from there. */
const SWEEP_LIMIT = 500;

/**
 * Primary course (a periodic schedule): start the revocation of every grant that is due and has
 * not begun, reading only those through the sparse REVOKE_DUE index: a schedule missed while the
 * machine was down, or a request whose execution did not start. Starting one that runs is harmless.
 */
export async function sweepDueRevocations(
  deps: Pick<WorkflowDeps, 'clock' | 'grants' | 'tickets'> & { revocations: Revocations },
): Promise<{ started: number; due: number }> {
  const due = await deps.grants.dueForRevocation(deps.clock.now(), SWEEP_LIMIT);
  let started = 0;
  for (const grant of due) {
    const ticket = await deps.tickets.get(grant.ticket);
    const revocation = ticket && dueRevocation(ticket);
    if (!revocation) continue;
    if ((await deps.revocations.start(revocation.name, revocation.input)) === 'started') started++;
  }
  return { started, due: due.length };
}

export interface EarlyRevocationDeps {
  clock: Clock;
  tickets: TicketStore;
  directory: Directory;
  grants: GrantStore;
  grantSchedules: GrantSchedules;
  revocations: Revocations;
}

/**
 * Primary course (POST /grants/{id}/revoke): the holder (or a service account's owner), the
 * system's owner or security ends a grant before its time. Alternate courses: a grant the caller
 * may not see is a 404, one they see but may not end (an auditor's view) a 403, one already being
 * revoked or ended a 409.
 */
export async function revokeGrant(
  deps: EarlyRevocationDeps,
  caller: Identity,
  grantId: string,
  note: string,
): Promise<GrantView> {
  const grant = await deps.grants.get(grantId);
  const system = grant ? await deps.directory.system(grant.system) : undefined;
  const holder = grant ? await deps.directory.identity(grant.holder) : undefined;
  const security = caller.roles.includes('security');
  const mayEnd =
    grant !== undefined &&
    (security ||
      grant.holder === caller.id ||
      holder?.ownerId === caller.id ||
      system?.ownerId === caller.id);
  if (!grant || (!mayEnd && !caller.roles.includes('auditor')))
    throw new NotFoundError(`No grant ${grantId}`);
  if (!mayEnd) {
    throw new ForbiddenError('Only the holder, the system owner or security may revoke a grant');
  }
  const ticket = await endGrantEarly(deps, {
    ticketId: grant.ticket,
    by: caller.id,
    reason: 'revoked',
    note,
  });
  const ended = grantFrom(ticket);
  if (!ended) throw new NotFoundError(`No grant ${grantId}`);
  return grantView(ended);
}

/**
 * Records on the ticket that its grant is to end early (`revoked`, or `departed` for a holder who
 * left), then sets the revocation going. A request repeated after a crash in between finds it
 * recorded (a 409 for the caller) and still sets it going.
 */
export async function endGrantEarly(
  deps: EarlyRevocationDeps,
  request: { ticketId: string; by: string; reason: Exclude<GrantEndReason, 'expired'>; note: string | null },
): Promise<Ticket> {
  const at = deps.clock.now().toISOString();
  try {
    const ticket = await updateTicket(deps.tickets, request.ticketId, (current) =>
      requestRevocation(current, { reason: request.reason, by: request.by, note: request.note, at }),
    );
    await startRequestedRevocation(deps, ticket);
    return ticket;
  } catch (error) {
    const current = await deps.tickets.get(request.ticketId);
    if (current) await startRequestedRevocation(deps, current);
    throw error;
  }
}

/**
 * A revocation asked for and not begun: the grant shows it (and is due to the sweep), the grant's
 * schedule is deleted (its expiry is moot), and the execution named in the request is started.
 */
export async function startRequestedRevocation(
  deps: Pick<EarlyRevocationDeps, 'grants' | 'grantSchedules' | 'revocations'>,
  ticket: Ticket,
): Promise<void> {
  const due = ticket.revocation ? dueRevocation(ticket) : null;
  const grant = grantFrom(ticket);
  if (!due || !grant) return;
  await deps.grants.put(grant);
  await deps.grantSchedules.cancel(grant.id);
  await deps.revocations.start(due.name, due.input);
}
