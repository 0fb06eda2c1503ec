import { deadlinesFrom } from '../domain/deadlines';
import { isActive } from '../domain/directory';
import { dueRevocation, openRevocation, type RevocationInput, revocationToBegin } from '../domain/revocation';
import type { Ticket } from '../domain/ticket';
import type { Revocations } from './ports';
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
    return openRevocation(owned, {
      fulfillers: covering ? [] : await revokers(deps, owned),
      coveredBy: covering?.id ?? null,
      deadlines: deadlinesFrom(deps.settings.deadlines.revoke[owned.urgency], now, deps.settings.timeScale),
      at,
    });
  });
  await tellRequester(deps, ticket, lastSeqBefore);
  await writeDerivedItems(deps, ticket, 'revoke');
  return stepResult(deps, ticket, now);
}

/** Who removes the access: the system's fulfillers now, else its owner, else security; never the holder. */
async function revokers(deps: Pick<WorkflowDeps, 'directory'>, ticket: Ticket): Promise<string[]> {
  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  const excluded = new Set([ticket.beneficiary, ticket.beneficiaryOwner]);
  const eligible = async (ids: readonly string[]) => {
    const people = await Promise.all(ids.map((id) => deps.directory.identity(id)));
    return people.flatMap((person) => (isActive(person) && !excluded.has(person.id) ? [person.id] : []));
  };
  const fulfillers = system?.fulfilment.mode === 'manual' ? await eligible(system.fulfilment.fulfillers) : [];
  if (fulfillers.length > 0) return fulfillers;
  const owner = system ? await eligible([system.ownerId]) : [];
  if (owner.length > 0) return owner;
  return eligible((await deps.directory.identitiesWithRole('security')).map((person) => person.id));
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
