import { z } from 'zod';
import { expiryNoticeDue } from './extension';
import { grantEndReasons } from './lifecycle';
import { dueRevocation } from './revocation';
import type { Ticket } from './ticket';
import { appendEvent } from './timeline';

/**
 * A grant: access that a fulfilled access request put in force, a record of its own beside the
 * ticket (who holds what, from when, until when, by which ticket), so that policies and the
 * revocation read what is held without reading tickets.
 */
export const grantStatuses = ['active', 'revoking', 'ended'] as const;
export type GrantStatus = (typeof grantStatuses)[number];

const grantEventSchema = z.object({
  seq: z.number().int(),
  type: z.string(),
  at: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
  from: z.enum(grantStatuses).nullable(),
  to: z.enum(grantStatuses).nullable(),
  data: z.record(z.string(), z.unknown()),
  prev: z.string(),
  hash: z.string(),
});

/** What GET /grants answers of a grant. */
export const grantViewSchema = z
  .object({
    id: z.string().meta({ description: 'G followed by the id of the ticket that granted it' }),
    holder: z.string(),
    system: z.string(),
    entitlement: z.string(),
    ticket: z.string().meta({ description: 'The access request that granted it' }),
    from: z.string().meta({ description: 'When its fulfilment was confirmed' }),
    until: z.string().nullable().meta({ description: 'When it is to end; null for standing access' }),
    status: z.enum(grantStatuses),
    endReason: z.enum(grantEndReasons).nullable().meta({ description: 'Why it ended; null until it has' }),
    overdue: z.boolean().meta({
      description: 'Its revocation passed its deadline and nobody has confirmed the access is gone',
    }),
  })
  .meta({ id: 'Grant' });

/**
 * The stored grant: its view, its own hash-chained events (timeline.ts), oldest first, and when its
 * revocation is due unless begun (its `until` while active, the request's time once asked to end).
 */
export const grantSchema = grantViewSchema.extend({
  events: z.array(grantEventSchema),
  revocationDueAt: z.string().nullable(),
  /** When its holder is to be told that it ends, until they are. */
  noticeDueAt: z.string().nullable(),
});
export type Grant = z.infer<typeof grantSchema>;
export type GrantView = z.infer<typeof grantViewSchema>;

export const grantView = ({ events, revocationDueAt, noticeDueAt, ...view }: Grant): GrantView => view;

/** The ticket events that are also events of its grant, with the grant status each leaves it in. */
const grantEventStatus: Record<string, GrantStatus> = {
  granted: 'active',
  expiry_notice_sent: 'active',
  grant_extended: 'active',
  revocation_requested: 'revoking',
  revocation_started: 'revoking',
  reminded: 'revoking',
  escalated: 'revoking',
  revocation_overdue: 'revoking',
  revocation_confirmed: 'revoking',
  grant_ended: 'ended',
};

/**
 * The grant a fulfilled access ticket created, as it stands now, or null for a ticket that grants
 * nothing. Derived from the ticket alone (its `grant`, set by completeFulfilment, and its
 * `revocation`), so the ticket stays the one record that changes, and a repeated step derives the
 * same grant, event hashes included. Its events are the ticket's events about it, chained anew.
 */
export function grantFrom(
  ticket: Pick<
    Ticket,
    'id' | 'status' | 'beneficiary' | 'system' | 'entitlement' | 'grant' | 'revocation' | 'timeline'
  >,
): Grant | null {
  if (!ticket.grant || !ticket.system || !ticket.entitlement) return null;
  const { id, from, until } = ticket.grant;
  const revocation = ticket.revocation;
  const ended = ticket.timeline.some((event) => event.type === 'grant_ended');
  let events: Grant['events'] = [];
  let status: GrantStatus | null = null;
  for (const event of ticket.timeline) {
    const granting = event.type === 'granted' || (event.type === 'closed' && 'grant' in event.data);
    // Reminders and escalations of the approval or fulfilment that came before the grant are not its own.
    const to: GrantStatus | undefined = granting
      ? 'active'
      : status === null
        ? undefined
        : grantEventStatus[event.type];
    if (!to || (status === 'active' && (event.type === 'reminded' || event.type === 'escalated'))) continue;
    events = appendEvent<GrantStatus>(events, {
      type: granting ? 'granted' : event.type,
      at: event.at,
      actor: event.actor,
      reason: event.reason,
      from: status,
      to,
      // The until it was granted with: an extension moves the grant's own later.
      data: granting
        ? { ticket: ticket.id, until: (event.data.grant as { until: string | null }).until }
        : event.data,
    });
    status = to;
  }
  return {
    id,
    holder: ticket.beneficiary,
    system: ticket.system,
    entitlement: ticket.entitlement,
    ticket: ticket.id,
    from,
    until,
    status: ended ? 'ended' : revocation ? 'revoking' : 'active',
    endReason: ended && revocation ? revocation.reason : null,
    overdue: revocation?.overdue ?? false,
    events,
    // Due as dueRevocation says: at its end while active, at once when asked to end and not begun.
    revocationDueAt: dueRevocation(ticket) ? (revocation?.requestedAt ?? until) : null,
    noticeDueAt: expiryNoticeDue(ticket) ? (ticket.grant.noticeAt ?? null) : null,
  };
}
