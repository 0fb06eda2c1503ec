import { z } from 'zod';
import type { Ticket } from './ticket';
import { appendEvent } from './timeline';

/**
 * A grant: access that a fulfilled access request put in force, a record of its own beside the
 * ticket (who holds what, from when, until when, by which ticket), so that policies and the
 * revocation read what is held without reading tickets.
 */
export const grantStatuses = ['active', 'revoking', 'ended'] as const;
export type GrantStatus = (typeof grantStatuses)[number];

export const grantEndReasons = ['expired', 'revoked', 'departed'] as const;

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
  })
  .meta({ id: 'Grant' });

/** The stored grant: its view and its own hash-chained events (timeline.ts), oldest first. */
export const grantSchema = grantViewSchema.extend({ events: z.array(grantEventSchema) });
export type Grant = z.infer<typeof grantSchema>;
export type GrantView = z.infer<typeof grantViewSchema>;

export const grantView = ({ events, ...view }: Grant): GrantView => view;

/**
 * The grant a fulfilled access ticket created, or null for a ticket that grants nothing. Read off
 * the ticket alone (its `grant`, set by completeFulfilment), so a repeated step derives the same
 * record, event hash included.
 */
export function grantFrom(
  ticket: Pick<Ticket, 'id' | 'beneficiary' | 'system' | 'entitlement' | 'grant'>,
): Grant | null {
  if (!ticket.grant || !ticket.system || !ticket.entitlement) return null;
  const { id, from, until } = ticket.grant;
  return {
    id,
    holder: ticket.beneficiary,
    system: ticket.system,
    entitlement: ticket.entitlement,
    ticket: ticket.id,
    from,
    until,
    status: 'active',
    endReason: null,
    events: appendEvent<GrantStatus>([], {
      type: 'granted',
      at: from,
      actor: 'tollgate',
      reason: null,
      from: null,
      to: 'active',
      data: { ticket: ticket.id, until },
    }),
  };
}
