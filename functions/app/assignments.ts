import { type Identity, isActive } from '../domain/directory';
import { NotFoundError } from '../domain/errors';
import { assignTicket } from '../domain/support';
import { canView, type Ticket } from '../domain/ticket';
import type { Clock, Directory, TicketStore } from './ports';
import { updateTicket } from './ticket-updates';

export interface AssignDeps {
  clock: Clock;
  tickets: TicketStore;
  directory: Directory;
}

/**
 * Primary course: a member of a support ticket's queue takes it, or hands it to another member
 * (`to`), in one conditional write. The assignee then resolves it with POST /requests/{id}/fulfilment.
 */
export async function assignRequest(
  deps: AssignDeps,
  input: { caller: Identity; ticketId: string; to: string | null },
): Promise<Ticket> {
  const to = input.to ?? input.caller.id;
  const assignee = to === input.caller.id ? input.caller : await deps.directory.identity(to);
  const at = deps.clock.now().toISOString();
  return updateTicket(deps.tickets, input.ticketId, (current) => {
    if (!canView(current, input.caller)) throw new NotFoundError(`No request ${input.ticketId}`);
    return assignTicket(current, { by: input.caller.id, to, toActive: isActive(assignee), at });
  });
}
