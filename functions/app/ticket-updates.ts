import { NotFoundError } from '../domain/errors';
import type { Ticket } from '../domain/ticket';
import { ConcurrentUpdateError } from './errors';
import type { TicketStore } from './ports';

/**
 * Read, change, and write back with one conditional write; on a lost race, read again and re-apply
 * the change to the fresh ticket, so no concurrent update is lost. `change` computes the new ticket
 * from the one read and writes nothing itself (it may read, for instance the directory, and it
 * may throw to refuse, for instance a ConflictError). Retries wait a
 * short random while, growing with each attempt, so writers racing on one ticket spread out.
 */
export async function updateTicket(
  tickets: TicketStore,
  id: string,
  change: (ticket: Ticket) => Ticket | Promise<Ticket>,
  attempts = 8,
): Promise<Ticket> {
  for (let attempt = 1; ; attempt++) {
    const current = await tickets.get(id);
    if (!current) throw new NotFoundError(`No request ${id}`);
    const next = await change(current);
    if (next === current) return current;
    try {
      await tickets.save(next, current.version);
      return next;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= attempts) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
  }
}
