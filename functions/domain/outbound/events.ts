import { z } from 'zod';
import { closureCodes, statuses, ticketTypes } from '../lifecycle';
import type { Ticket } from '../ticket';

/**
 * What Tollgate tells its subscribers (spec: Webhooks out). Each change of a ticket decides here,
 * from the ticket before and after it, which of these it produces; they are appended to the
 * ticket's `outbox` in the same conditional write as the change, so an event exists exactly when
 * its change does, and a delivery of it is derived afterwards (app/outbound.ts).
 *
 * Payloads carry facts only: ids, statuses, the parties' directory ids, what was asked for and
 * what became of it. Never a link, a link token, a task token, a secret, a justification, a note
 * or a comment: each event's data is built field by field below, never copied from the ticket.
 */
export const outboundEventTypes = [
  'ticket.created',
  'ticket.decided',
  'ticket.fulfilled',
  'ticket.closed',
  'grant.activated',
  'grant.ended',
] as const;
export type OutboundEventType = (typeof outboundEventTypes)[number];

/** The version of the payload's shape: a change that could break a subscriber's parsing is a new version. */
export const OUTBOUND_EVENT_VERSION = 1;

/** What every event says about its ticket, as it is right after the change. */
const ticketFactsSchema = z.object({
  ticket: z.string().meta({ description: "The ticket's id (a ULID)" }),
  number: z.string().meta({ description: 'Its readable number, `TG-{n}`' }),
  ticketVersion: z.number().int().meta({
    description:
      "The ticket's version after the change: a later event of the same ticket has a higher one (deliveries may arrive out of order)",
  }),
  type: z.enum(ticketTypes),
  status: z.enum(statuses),
  closure: z.enum(closureCodes).nullable(),
  requester: z.string(),
  beneficiary: z.string(),
  system: z.string().nullable().meta({ description: 'null for support tickets' }),
  entitlement: z.string().nullable().meta({ description: 'null for support tickets' }),
});

const grantFactsSchema = z.object({
  id: z.string(),
  holder: z.string(),
  from: z.string(),
  until: z.string().nullable().meta({ description: 'null for standing access' }),
});

export const outboundDataSchemas = {
  'ticket.created': ticketFactsSchema.extend({
    urgency: z.string(),
    duration: z
      .string()
      .nullable()
      .meta({ description: 'The ISO 8601 duration asked for; null for standing access' }),
    category: z.string().nullable().meta({ description: "Support: the ticket's category" }),
  }),
  'ticket.decided': ticketFactsSchema.extend({
    outcome: z.enum(['approved', 'rejected']),
    decidedBy: z.enum(['policy', 'approvers']).meta({
      description:
        '`policy` when the policies decided alone (auto-approval, auto-rejection), `approvers` otherwise',
    }),
    stages: z
      .array(
        z.object({
          stage: z.string(),
          decision: z.enum(['approve', 'deny']).nullable(),
          decidedBy: z.string().nullable(),
          at: z.string().nullable(),
        }),
      )
      .meta({ description: 'Each approval stage and who decided it (empty when policy decided alone)' }),
  }),
  'ticket.fulfilled': ticketFactsSchema.extend({
    fulfilledBy: z.string().meta({
      description: 'Who reported the work done (an identity id, or `tollgate` for an extension of a grant)',
    }),
  }),
  'ticket.closed': ticketFactsSchema,
  'grant.activated': ticketFactsSchema.extend({ grant: grantFactsSchema }),
  'grant.ended': ticketFactsSchema.extend({
    grant: grantFactsSchema.extend({ endReason: z.enum(['expired', 'revoked', 'departed']) }),
  }),
} satisfies Record<OutboundEventType, z.ZodType>;

export type OutboundData<T extends OutboundEventType = OutboundEventType> = z.output<
  (typeof outboundDataSchemas)[T]
>;

/** One event, as kept in a ticket's outbox and in each delivery of it. */
export const outboundEventSchema = z
  .object({
    id: z.string().meta({
      description:
        '`{ticket id}.{ticket version}.{n}`: the same for every attempt and subscriber (the `webhook-id` header), so a receiver drops repeats by it',
    }),
    type: z.enum(outboundEventTypes),
    version: z.literal(OUTBOUND_EVENT_VERSION),
    at: z.string().meta({ description: 'When the change happened (the payload’s `timestamp`)' }),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({
    id: 'OutboundEvent',
    description: 'An event for subscribers: facts only, never a link, token or secret',
  });
export type OutboundEvent = z.infer<typeof outboundEventSchema>;

/** The body a subscriber receives, signed per Standard Webhooks. */
export const outboundPayload = (event: OutboundEvent) => ({
  type: event.type,
  version: event.version,
  timestamp: event.at,
  data: event.data,
});

type TicketState = Pick<
  Ticket,
  | 'id'
  | 'number'
  | 'version'
  | 'type'
  | 'status'
  | 'closure'
  | 'requester'
  | 'beneficiary'
  | 'system'
  | 'entitlement'
>;

function ticketFacts(ticket: TicketState): OutboundData<'ticket.closed'> {
  return {
    ticket: ticket.id,
    number: ticket.number,
    ticketVersion: ticket.version,
    type: ticket.type,
    status: ticket.status,
    closure: ticket.closure,
    requester: ticket.requester,
    beneficiary: ticket.beneficiary,
    system: ticket.system,
    entitlement: ticket.entitlement,
  };
}

type Draft = { [T in OutboundEventType]: { type: T; data: OutboundData<T> } }[OutboundEventType];

/** The events of one write, numbered within it: the id is the same however often it is computed. */
function numbered(ticket: Pick<Ticket, 'id' | 'version'>, at: string, drafts: Draft[]): OutboundEvent[] {
  return drafts.map((draft, index) => ({
    id: `${ticket.id}.${ticket.version}.${index}`,
    type: draft.type,
    version: OUTBOUND_EVENT_VERSION,
    at,
    data: draft.data,
  }));
}

/** `ticket.created`, for a ticket as intake first writes it. */
export function createdEvents(
  ticket: TicketState & Pick<Ticket, 'urgency' | 'duration' | 'category' | 'createdAt'>,
): OutboundEvent[] {
  return numbered(ticket, ticket.createdAt, [
    {
      type: 'ticket.created',
      data: {
        ...ticketFacts(ticket),
        urgency: ticket.urgency,
        duration: ticket.duration,
        category: ticket.category,
      },
    },
  ]);
}

/** What a change says, as far as the events are concerned: its type, and the move it made. */
export interface ChangeFacts {
  type: string;
  at: string;
  to?: string;
  closure?: string;
}

/**
 * The events one change produces, in the order things happened: decided, fulfilled, the grant's
 * activation or end, closed. `before` is the ticket as the change found it, `after` as it left it.
 */
export function changeEvents(before: Ticket, after: Ticket, change: ChangeFacts): OutboundEvent[] {
  const facts = ticketFacts(after);
  const drafts: Draft[] = [];
  const decided = decisionOf(before, change);
  if (decided) {
    drafts.push({
      type: 'ticket.decided',
      data: {
        ...facts,
        ...decided,
        stages: after.approvals.map(({ stage, decision, decidedBy, at }) => ({
          stage,
          decision,
          decidedBy,
          at,
        })),
      },
    });
  }
  if (before.status === 'fulfilling' && (change.to === 'active' || change.closure === 'fulfilled')) {
    drafts.push({
      type: 'ticket.fulfilled',
      data: { ...facts, fulfilledBy: after.fulfilment?.by ?? 'tollgate' },
    });
  }
  if (!before.grant && after.grant) {
    drafts.push({ type: 'grant.activated', data: { ...facts, grant: grantFacts(after, after.grant) } });
  }
  if (change.type === 'grant_ended' && after.grant && after.revocation) {
    drafts.push({
      type: 'grant.ended',
      data: { ...facts, grant: { ...grantFacts(after, after.grant), endReason: after.revocation.reason } },
    });
  }
  if (change.to === 'closed') drafts.push({ type: 'ticket.closed', data: facts });
  return numbered(after, change.at, drafts);
}

const grantFacts = (ticket: Pick<Ticket, 'beneficiary'>, grant: NonNullable<Ticket['grant']>) => ({
  id: grant.id,
  holder: ticket.beneficiary,
  from: grant.from,
  until: grant.until,
});

/**
 * The decision on the request, when this change makes it: every stage approved, a stage denied, or
 * policy alone approving or refusing it at intake. A refusal later on (nobody left to approve, a
 * check before fulfilment, a timeout) is a closure, not a decision.
 */
function decisionOf(
  before: Ticket,
  change: ChangeFacts,
): Pick<OutboundData<'ticket.decided'>, 'outcome' | 'decidedBy'> | null {
  if (change.type === 'auto_approved') return { outcome: 'approved', decidedBy: 'policy' };
  if (change.type === 'approved_all') return { outcome: 'approved', decidedBy: 'approvers' };
  if (change.closure === 'rejected') return { outcome: 'rejected', decidedBy: 'approvers' };
  if (
    change.closure === 'auto_rejected' &&
    before.status === 'submitted' &&
    before.decision?.outcome === 'auto_rejected'
  ) {
    return { outcome: 'rejected', decidedBy: 'policy' };
  }
  return null;
}
