import { z } from 'zod';
import { addDuration, isDuration, parseDuration } from './duration';
import { ConflictError } from './errors';
import { applyChange, type Ticket } from './ticket';

/**
 * Before a time-bound grant ends its holder is told, with a link to extend it. An extension is an
 * access request of its own (`extends` names the grant), decided by policy like any other; once
 * approved, and if the grant is still active, the grant's `until` moves and no one provisions
 * anything: the access is already there.
 */

const DAY_MS = 24 * 3600 * 1000;

/** POST /grants/{id}/extend, and the form behind the expiry notice's link. */
export const extensionBodySchema = z
  .strictObject({
    duration: z
      .string()
      .refine(isDuration, { message: 'must be an ISO 8601 duration such as P7D, PT12H or P1M' })
      .meta({ description: 'How much longer, from the current end' }),
    justification: z.string().trim().min(1, 'say why the access is still needed').max(2000),
  })
  .meta({ id: 'GrantExtension' });
export type ExtensionBody = z.infer<typeof extensionBodySchema>;

/** A day before the end (scaled like the grant), or halfway through a grant shorter than two days. */
export function expiryNoticeAt(from: string, until: string, secondScale: number): string {
  const start = Date.parse(from);
  const end = Date.parse(until);
  const lead = Math.min(DAY_MS * secondScale, (end - start) / 2);
  return new Date(end - lead).toISOString();
}

/** The grant is in force and time-bound: it can be extended, and its holder told of its end. */
export const extendable = (ticket: Pick<Ticket, 'status' | 'grant' | 'revocation'>): boolean =>
  ticket.status === 'active' && ticket.grant?.until != null && ticket.revocation === null;

/** The notice of the grant's current end is due and not yet recorded as sent. */
export function expiryNoticeDue(
  ticket: Pick<Ticket, 'status' | 'grant' | 'revocation' | 'timeline'>,
): boolean {
  if (!extendable(ticket) || !ticket.grant?.noticeAt) return false;
  const until = ticket.grant.until;
  return !ticket.timeline.some((event) => event.type === 'expiry_notice_sent' && event.data.until === until);
}

/** Records the notice of the grant's current end, once: a repeat changes nothing. */
export function recordExpiryNotice(ticket: Ticket, to: string, at: string): Ticket {
  if (!expiryNoticeDue(ticket)) return ticket;
  return applyChange(ticket, {
    type: 'expiry_notice_sent',
    at,
    actor: 'tollgate',
    data: { grant: ticket.grant?.id, until: ticket.grant?.until, to },
  });
}

/**
 * Moves the grant's end by the extension's duration (scaled like the grant), once per extension.
 * Refused (409) when the grant is no longer active: then the extension is a request like any other.
 */
export function extendGrant(
  ticket: Ticket,
  extension: { ticketId: string; duration: string; at: string },
  secondScale: number,
): Ticket {
  if (extensionApplied(ticket, extension.ticketId)) return ticket;
  const grant = ticket.grant;
  const duration = parseDuration(extension.duration);
  if (!grant?.until || !extendable(ticket) || !duration) {
    throw new ConflictError(`The grant ${grant?.id ?? ''} is no longer active: it cannot be extended`);
  }
  const end = new Date(grant.until);
  const until = new Date(
    end.getTime() + (addDuration(end, duration).getTime() - end.getTime()) * secondScale,
  ).toISOString();
  const extended = { ...grant, until, noticeAt: expiryNoticeAt(extension.at, until, secondScale) };
  return applyChange(
    ticket,
    {
      type: 'grant_extended',
      at: extension.at,
      actor: 'tollgate',
      data: { grant: grant.id, from: grant.until, until, extension: extension.ticketId },
    },
    { grant: extended },
  );
}

/** Whether the extension `extensionId` already moved the end of this ticket's grant. */
export const extensionApplied = (ticket: Pick<Ticket, 'timeline'>, extensionId: string): boolean =>
  ticket.timeline.some((event) => event.type === 'grant_extended' && event.data.extension === extensionId);

/** The extension approved and applied: it closes as fulfilled, naming the grant and its new end. */
export function closeAsExtended(extension: Ticket, extended: Pick<Ticket, 'grant'>, at: string): Ticket {
  return applyChange(extension, {
    type: 'closed',
    at,
    actor: 'tollgate',
    reason: `The grant ${extended.grant?.id} now ends at ${extended.grant?.until}`,
    to: 'closed',
    closure: 'fulfilled',
    data: { extended: extended.grant?.id, until: extended.grant?.until },
  });
}
