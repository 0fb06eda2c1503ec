import { type Identity, isActive, type System } from '../domain/directory';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import { type FeedbackBody, type FeedbackChannel, recordFeedback } from '../domain/feedback';
import { canView, type Ticket } from '../domain/ticket';
import type { Clock, EmailMessage, TicketStore } from './ports';
import { renderEmail } from './render-email';
import { updateTicket } from './ticket-updates';
import { type LinkMailDeps, mintLink } from './workflow-steps';

/** How long the survey's link stays good (scaled by the time scale, as other link lifetimes are). */
const SURVEY_LINK_LIFETIME_MS = 14 * 24 * 3600 * 1000;

/**
 * Primary course (POST /requests/{id}/feedback, or the survey's link): the requester rates their
 * resolved request, once, in one conditional write; of two answers at once, one lands and the
 * other is a 409. Alternate courses: someone else who sees the ticket gets 403, anyone else 404.
 */
export async function giveFeedback(
  deps: { clock: Clock; tickets: TicketStore },
  input: { caller: Identity; ticketId: string; feedback: FeedbackBody; via: FeedbackChannel },
): Promise<Ticket> {
  const at = deps.clock.now().toISOString();
  return updateTicket(deps.tickets, input.ticketId, (current) => {
    if (!canView(current, input.caller)) throw new NotFoundError(`No request ${input.ticketId}`);
    if (current.requester !== input.caller.id) {
      throw new ForbiddenError('Only the requester gives feedback on a request');
    }
    return recordFeedback(current, { ...input.feedback, by: input.caller.id, at, via: input.via });
  });
}

/**
 * At resolution (access granted, or the ticket closed), asks the requester how it went, with a
 * link of their own to a page that records a rating; the page itself decides nothing. Nobody
 * who is not an active person is asked, and a request already rated is not asked about again.
 */
export async function sendSurvey(
  deps: LinkMailDeps,
  ticket: Ticket,
  system: System | undefined,
): Promise<void> {
  if (ticket.feedback) return;
  const requester = await deps.directory.identity(ticket.requester);
  if (!isActive(requester) || requester.kind !== 'human') return;
  const expiresAt = new Date(
    deps.clock.now().getTime() + SURVEY_LINK_LIFETIME_MS * (deps.settings.timeScale ?? 1),
  ).toISOString();
  const url = await mintLink(deps, {
    purpose: 'feedback',
    ticketId: ticket.id,
    taskId: ticket.id,
    identity: requester.id,
    expiresAt,
  });
  await deps.mailer.send(surveyEmail({ ticket, system, url, expiresAt }));
}

/** The survey: one question, asked of the requester once their request is resolved. */
export function surveyEmail({
  ticket,
  system,
  url,
  expiresAt,
}: {
  ticket: Ticket;
  system: System | undefined;
  url: string;
  expiresAt: string;
}): EmailMessage {
  const what =
    ticket.type === 'access'
      ? `${ticket.entitlement} on ${system?.name ?? ticket.system} for ${ticket.beneficiary}`
      : `${ticket.category} support`;
  const rendered = renderEmail({
    title: 'How did your request go?',
    intro: [
      `Your request for ${what} is resolved.`,
      'Please rate how it went, from 1 (poor) to 5 (excellent), with a comment if you like. The link opens a page with the form; opening it records nothing.',
    ],
    rows: [
      ['Ticket', `${ticket.number} (${ticket.id})`],
      ['Outcome', ticket.closure ?? ticket.status],
    ],
    actions: [{ label: 'Rate this request', url }],
    footer: `This link is yours alone and works once, until ${expiresAt}.`,
  });
  return { to: [ticket.requester], subject: `Rate your request: ${what} (${ticket.id})`, ...rendered };
}
