import { addComment, commentRecipients } from '../domain/comments';
import { type Identity, isActive } from '../domain/directory';
import { NotFoundError } from '../domain/errors';
import { canView, type Ticket } from '../domain/ticket';
import { commentEmail } from './emails';
import { wordsFor } from './explanations';
import type { Clock, Directory, Mailer, TicketStore } from './ports';
import { updateTicket } from './ticket-updates';

export interface CommentDeps {
  clock: Clock;
  tickets: TicketStore;
  directory: Directory;
  mailer: Mailer;
  log: (message: string, details: Record<string, unknown>) => void;
  /** Where the emailed link to the ticket points. */
  settings: { publicBaseUrl: string };
}

/**
 * Primary course: append the comment to the ticket's timeline (one conditional write, whatever the
 * workflow does meanwhile), then email the other people taking part. A retry with the same
 * Idempotency-Key and text adds nothing and emails nobody again.
 */
export async function commentOnRequest(
  deps: CommentDeps,
  input: { caller: Identity; ticketId: string; text: string; idempotencyKey: string | null },
): Promise<{ ticket: Ticket; replayed: boolean }> {
  const at = deps.clock.now().toISOString();
  let replayed = false;
  const ticket = await updateTicket(deps.tickets, input.ticketId, (current) => {
    if (!canView(current, input.caller)) throw new NotFoundError(`No request ${input.ticketId}`);
    const next = addComment(current, {
      by: input.caller.id,
      text: input.text,
      at,
      key: input.idempotencyKey,
    });
    replayed = next === current;
    return next;
  });
  if (!replayed) await emailOthers(deps, ticket, input.caller, input.text);
  return { ticket, replayed };
}

/**
 * Sent after the commit, and a failed email is logged rather than answered as an error: the
 * comment is on the ticket, and a retry by its author would only add it twice.
 */
async function emailOthers(deps: CommentDeps, ticket: Ticket, author: Identity, text: string): Promise<void> {
  const words = await wordsFor(deps, ticket, [author.id]);
  const url = `${deps.settings.publicBaseUrl}/requests/${ticket.id}`;
  for (const id of commentRecipients(ticket, author.id)) {
    const person = await deps.directory.identity(id);
    if (!isActive(person) || person.kind !== 'human') continue;
    try {
      await deps.mailer.send(commentEmail({ ticket, words, to: person.id, author: author.id, text, url }));
    } catch (error) {
      deps.log('A comment was recorded but could not be emailed', {
        ticketId: ticket.id,
        to: person.id,
        error: (error as Error).name,
      });
    }
  }
}
