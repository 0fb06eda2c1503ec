import {
  type CancelCause,
  cancel,
  executionStopDue,
  recordExecutionStopped,
  waitingOn,
} from '../domain/cancellation';
import type { Identity } from '../domain/directory';
import { NotFoundError } from '../domain/errors';
import { canView, type Ticket } from '../domain/ticket';
import { cancellationEmail, requesterNotice } from './emails';
import { wordsFor } from './explanations';
import type {
  Clock,
  Directory,
  EmailMessage,
  Faults,
  Mailer,
  TaskStore,
  TicketStore,
  Workflow,
} from './ports';
import { type EarlyRevocationDeps, startRequestedRevocation } from './revocations';
import { updateTicket } from './ticket-updates';
import { retireTasks } from './workflow-steps';

export interface CancelDeps extends Pick<EarlyRevocationDeps, 'grants' | 'grantSchedules' | 'revocations'> {
  clock: Clock;
  tickets: TicketStore;
  tasks: TaskStore;
  directory: Directory;
  mailer: Mailer;
  workflow: Pick<Workflow, 'stop'>;
  faults: Faults;
  log: (message: string, details: Record<string, unknown>) => void;
}

/**
 * The requester cancels as the caller they are (seen or not seen, requester or not); the
 * identity-change use case cancels on behalf of whoever reported the change (an admin's id, an
 * integration's name), having decided itself that the change calls for it.
 */
export type CancelInput = { ticketId: string; reason: string | null } & (
  | { cause: Extract<CancelCause, 'requester'>; actor: Identity }
  | { cause: Extract<CancelCause, 'identity_change'>; actor: string }
);

/**
 * Primary course: commit the ticket as `cancelled` (one conditional write, so of two cancellations
 * exactly one lands and the other is a 409), then stop its execution, take its tasks off the
 * inboxes, and tell those it waited on and the requester. Nothing after the commit undoes it: a stop
 * that fails is retried by the reconcile schedule, and what else fails is logged.
 */
export async function cancelRequest(deps: CancelDeps, input: CancelInput): Promise<Ticket> {
  const at = deps.clock.now().toISOString();
  const by = input.cause === 'requester' ? input.actor.id : input.actor;
  let before: Ticket | undefined;
  const cancelled = await updateTicket(deps.tickets, input.ticketId, (current) => {
    // As GET /requests/{id} answers: a ticket the caller may not see does not exist for them.
    if (input.cause === 'requester' && !canView(current, input.actor)) {
      throw new NotFoundError(`No request ${input.ticketId}`);
    }
    before = current;
    return cancel(current, { by, cause: input.cause, reason: input.reason, at });
  });
  const ticket = await stopCancelledExecution(deps, cancelled).catch((error: Error) => {
    deps.log('Request cancelled but its execution not stopped yet; reconcile will stop it', {
      ticketId: cancelled.id,
      error: error.name,
    });
    return cancelled;
  });
  // Access already provisioned is revoked; if this fails, the sweep starts it once the grant is due.
  await startRequestedRevocation(deps, ticket).catch((error: Error) =>
    deps.log('Could not start the revocation of a cancelled request', {
      ticketId: ticket.id,
      error: error.name,
    }),
  );
  await retireTasks(deps, ticket).catch((error: Error) =>
    // The inboxes read each task's ticket, so they leave these out even before they retire.
    deps.log('Could not retire the tasks of a cancelled request', { ticketId: ticket.id, error: error.name }),
  );
  if (before) await tellOfCancellation(deps, before, cancelled);
  return ticket;
}

/**
 * Stops the execution of a cancelled ticket and records on the ticket that it has ended, which
 * takes the ticket out of the reconcile schedule's list; answers the ticket as it is then. Throws
 * when the stop fails, leaving the stop due.
 */
export async function stopCancelledExecution(
  deps: Pick<CancelDeps, 'clock' | 'tickets' | 'workflow' | 'faults'>,
  ticket: Ticket,
): Promise<Ticket> {
  if (!executionStopDue(ticket)) return ticket;
  const cancellation = ticket.timeline.findLast((event) => event.type === 'cancelled');
  deps.faults.faultPoint('before-stop');
  const execution = await deps.workflow.stop(ticket.id, {
    error: 'TicketCancelled',
    cause: `Cancelled by ${cancellation?.actor ?? 'unknown'}${cancellation?.reason ? `: ${cancellation.reason}` : ''}`,
  });
  const at = deps.clock.now().toISOString();
  return updateTicket(deps.tickets, ticket.id, (current) => recordExecutionStopped(current, at, execution));
}

/**
 * Emails those the ticket waited on (read before the cancellation) and the requester. Sent after
 * the commit, so a crash loses an email rather than sending one for a cancellation that did not
 * happen; each failure is logged, and the others still go.
 */
async function tellOfCancellation(deps: CancelDeps, before: Ticket, cancelled: Ticket): Promise<void> {
  const event = cancelled.timeline.findLast((candidate) => candidate.type === 'cancelled');
  if (!event) return;
  const words = await wordsFor(deps, cancelled, [event.actor]);
  const waiting = waitingOn(before);
  const asked = waiting
    ? waiting.people
        .filter((person) => person !== cancelled.requester)
        .map((to) => cancellationEmail({ ticket: cancelled, words, to, kind: waiting.kind, event }))
    : [];
  const messages: EmailMessage[] = [...asked, requesterNotice(cancelled, words, event)];
  for (const message of messages) {
    await deps.mailer.send(message).catch((error: Error) =>
      deps.log('Could not email about a cancelled request', {
        ticketId: cancelled.id,
        to: message.to,
        error: error.name,
      }),
    );
  }
}
