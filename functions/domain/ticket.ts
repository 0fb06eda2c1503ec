import { z } from 'zod';
import { waitPhases } from './deadlines';
import type { Identity, System } from './directory';
import { urgencies } from './intake';
import {
  assertTransition,
  type ClosureCode,
  closureCodes,
  grantEndReasons,
  type Status,
  statuses,
  ticketTypes,
} from './lifecycle';
import { changeEvents, outboundEventSchema } from './outbound/events';
import { durationBasisSchema } from './requested-duration';
import { appendEvent } from './timeline';

export const decisionSchema = z
  .object({
    outcome: z.enum(['approval_required', 'auto_approved', 'auto_rejected']),
    stages: z.array(z.string()),
    policyIds: z.array(z.string()),
    version: z.string(),
    reason: z.string().nullable(),
    askedBy: z
      .record(z.string(), z.array(z.string()))
      .default({})
      .meta({ description: 'Each stage, with the policies that asked for it' }),
    policyReasons: z
      .record(z.string(), z.string())
      .default({})
      .meta({ description: "Each determining policy's reason, in the words of its @reason annotation" }),
    cap: z
      .object({ max: z.string(), policyId: z.string() })
      .nullable()
      .default(null)
      .meta({ description: 'The tightest duration cap a policy set, and which policy' }),
    inputs: z.string().nullable().default(null).meta({
      description:
        'SHA-256 of the snapshot of every input the policies saw (GET /policies/inputs/{hash}); null for tickets decided before policies',
    }),
  })
  .meta({
    id: 'Decision',
    description: 'What decided the route of a ticket, and which rule set made the call',
  });
export type Decision = z.infer<typeof decisionSchema>;

/** The checkpoints of a wait for people before its final deadline, and how far it has gone. */
const waitFields = {
  reminderAt: z
    .string()
    .nullable()
    .default(null)
    .meta({ description: 'When the people asked are reminded (support: the first-response SLA)' }),
  escalationAt: z.string().nullable().default(null).meta({
    description:
      "When the wait escalates: an approval stage to its approvers' managers, a fulfilment to the system owner (support: the resolution SLA)",
  }),
  phase: z.enum(waitPhases).default('asked'),
  escalatedTo: z
    .array(z.string())
    .default([])
    .meta({ description: 'Who the escalation asked or told, at escalationAt' }),
};

export const approvalSchema = z
  .object({
    stage: z.string(),
    candidates: z.array(z.string()),
    decidedBy: z.string().nullable(),
    decision: z.enum(['approve', 'deny']).nullable(),
    at: z.string().nullable(),
    comment: z.string().nullable(),
    via: z.enum(['link', 'inbox']).nullable(),
    deadline: z
      .string()
      .nullable()
      .meta({ description: 'The final deadline: when the stage times out; set when the stage opens' }),
    ...waitFields,
    /** Why these people were asked: the named approver, and anyone passed over on the way. */
    path: z.array(z.string()),
    delegates: z.record(z.string(), z.array(z.string())).optional().meta({
      description:
        'Who is asked as whose delegate: each delegate among `candidates`, with the approvers whose delegation was in force when the stage opened',
    }),
    reassignedFrom: z.array(z.string()).optional().meta({
      description:
        'Who was asked for this stage before it was reassigned: they can no longer decide it, and still see the ticket',
    }),
  })
  .meta({ id: 'Approval' });
export type Approval = z.infer<typeof approvalSchema>;

export const fulfilmentRecordSchema = z
  .object({
    mode: z.enum(['manual', 'webhook']),
    fulfillers: z.array(z.string()),
    queue: z.string().nullable(),
    result: z.enum(['done', 'failed']).nullable(),
    by: z.string().nullable(),
    at: z.string().nullable(),
    note: z.string().nullable(),
    deadline: z.string().nullable().meta({ description: 'The final deadline: when the work times out' }),
    ...waitFields,
  })
  .meta({ id: 'Fulfilment' });
export type FulfilmentRecord = z.infer<typeof fulfilmentRecordSchema>;

/**
 * The end of the access a ticket granted: why and at whose request, the execution that carries it
 * out, and, once it opens, the wait for someone to confirm the access is gone.
 */
export const revocationSchema = z
  .object({
    reason: z.enum(grantEndReasons),
    requestedBy: z.string().meta({ description: '`tollgate` at expiry; otherwise who asked' }),
    requestedAt: z.string(),
    note: z.string().nullable().meta({ description: 'Why it was asked for, when someone asked' }),
    execution: z.string().meta({ description: 'The revocation execution that carries it out' }),
    fulfillers: z.array(z.string()).meta({ description: 'Who is asked to remove the access' }),
    coveredBy: z.string().nullable().meta({
      description:
        'Another active grant that still provides the same access: nothing is removed, and the revocation closes without work',
    }),
    result: z.enum(['done', 'covered']).nullable(),
    by: z.string().nullable().meta({ description: 'Who confirmed that the access is gone' }),
    at: z.string().nullable(),
    comment: z.string().nullable(),
    deadline: z.string().nullable().meta({
      description:
        'When an unconfirmed revocation becomes overdue (and security is asked too); set when it opens',
    }),
    ...waitFields,
    overdue: z.boolean().meta({ description: 'Past its deadline and still not confirmed' }),
  })
  .meta({ id: 'Revocation' });
export type Revocation = z.infer<typeof revocationSchema>;

export const timelineEventSchema = z
  .object({
    seq: z.number().int(),
    type: z.string(),
    at: z.string(),
    actor: z.string(),
    reason: z.string().nullable(),
    from: z.enum(statuses).nullable(),
    to: z.enum(statuses).nullable(),
    data: z.record(z.string(), z.unknown()),
    prev: z.string().meta({ description: 'The previous event hash; 64 zeros for the first event' }),
    hash: z.string().meta({ description: "SHA-256 of the event's RFC 8785 canonical JSON without `hash`" }),
  })
  .meta({ id: 'TimelineEvent' });

export const slaSchema = z
  .object({
    firstResponseDue: z.string(),
    resolutionDue: z.string(),
    firstResponseAt: z.string().nullable(),
    breaches: z.array(z.object({ sla: z.enum(['first_response', 'resolution']), at: z.string() })),
  })
  .meta({ id: 'Sla' });
export type Sla = z.infer<typeof slaSchema>;

export const feedbackSchema = z
  .object({
    rating: z.number().int().min(1).max(5).meta({ description: 'From 1 (poor) to 5 (excellent)' }),
    comment: z.string().optional(),
    at: z.string(),
  })
  .meta({ id: 'Feedback', description: "The requester's rating of the request once resolved: given once" });
export type Feedback = z.infer<typeof feedbackSchema>;

const ticketFields = {
  id: z.string().meta({ description: 'A ULID' }),
  number: z.string().meta({
    description:
      'The short readable number, `TG-{n}` (say TG-1042), allocated at intake: GET /requests?number= finds it',
  }),
  type: z.enum(ticketTypes),
  status: z.enum(statuses),
  closure: z.enum(closureCodes).nullable(),
  requester: z.string(),
  beneficiary: z.string(),
  /** A service-account beneficiary's owner: kept on the ticket so visibility needs no extra lookup. */
  beneficiaryOwner: z.string().nullable(),
  department: z.string(),
  system: z.string().nullable(),
  entitlement: z.string().nullable(),
  justification: z.string().nullable(),
  urgency: z.enum(urgencies),
  duration: z
    .string()
    .nullable()
    .meta({ description: 'The ISO 8601 duration applied; null for standing access' }),
  durationBasis: durationBasisSchema
    .nullable()
    .meta({ description: 'Why `duration` is what it is; null for support tickets' }),
  evidence: z.array(z.string()),
  category: z.string().nullable(),
  description: z.string().nullable(),
  decision: decisionSchema.nullable(),
  approvals: z.array(approvalSchema),
  fulfilment: fulfilmentRecordSchema.nullable(),
  grant: z
    .object({
      id: z.string(),
      from: z.string(),
      // Nullable since standing access has a grant too; tickets stored before name time-bound ones only.
      until: z.string().nullable().meta({ description: 'null for standing access' }),
      noticeAt: z.string().nullable().optional().meta({
        description:
          'When the holder is told that it ends, with a link to extend it; null for standing access',
      }),
    })
    .nullable()
    .meta({
      description: 'The grant its fulfilment created (GET /grants); null until then, and for support',
    }),
  revocation: revocationSchema
    .nullable()
    .default(null)
    .meta({ description: 'The end of the access it granted, once due or asked for; null before' }),
  extends: z
    .string()
    .nullable()
    .default(null)
    .meta({ description: 'The grant this request extends (POST /grants/{id}/extend); null otherwise' }),
  assignee: z
    .string()
    .nullable()
    .default(null)
    .meta({ description: 'Support: the queue member who took the ticket' }),
  sla: slaSchema
    .nullable()
    .default(null)
    .meta({ description: 'Support: its service levels, set when it is queued' }),
  feedback: feedbackSchema.optional().meta({
    description:
      "The requester's rating once the request was resolved (POST /requests/{id}/feedback, or the survey's link); absent until given",
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Optimistic-concurrency counter: every change is one conditional write on the previous value. */
  version: z.number().int(),
};

export const ticketSummarySchema = z.object(ticketFields).meta({ id: 'TicketSummary' });
export const ticketSchema = z
  .object({
    ...ticketFields,
    timeline: z.array(timelineEventSchema),
    outbox: z.array(outboundEventSchema).optional().meta({
      description:
        'The events for subscribers (webhooks out) that its changes produced, oldest first, each written with the change itself; absent on tickets older than them',
    }),
  })
  .meta({ id: 'Ticket' });
export type Ticket = z.infer<typeof ticketSchema>;

/**
 * A ticket's readable number: the allocated integer behind the prefix people say aloud. Numbers
 * grow with each ticket filed; a submission that fails after taking one leaves a gap.
 */
export const ticketNumber = {
  format: (allocated: number): string => `TG-${allocated}`,
  /** `TG-1042` or `1042`; null for anything else. Fifteen digits stay an exact integer. */
  parse: (text: string): number | null => {
    const match = /^(?:TG-)?([1-9][0-9]{0,14})$/.exec(text);
    return match ? Number(match[1]) : null;
  },
};

export interface Change {
  type: string;
  at: string;
  actor: string;
  reason?: string | null;
  to?: Status;
  closure?: ClosureCode;
  data?: Record<string, unknown>;
}

/**
 * Applies one change to a ticket: the status move (checked against the lifecycle), the event that
 * records it, the events it produces for subscribers (appended to its outbox, so they are written
 * in the same conditional write as the change), and the next version. Callers merge field updates
 * in `patch`.
 */
export function applyChange(ticket: Ticket, change: Change, patch: Partial<Ticket> = {}): Ticket {
  const to = change.to ?? ticket.status;
  const closure = change.closure ?? null;
  if (change.to) assertTransition(ticket.type, ticket.status, to, closure);
  const changed: Ticket = {
    ...ticket,
    ...patch,
    status: to,
    closure: closure ?? ticket.closure,
    updatedAt: change.at,
    version: ticket.version + 1,
    timeline: appendEvent(ticket.timeline, {
      type: change.type,
      at: change.at,
      actor: change.actor,
      reason: change.reason ?? null,
      from: change.to ? ticket.status : null,
      to: change.to ? to : null,
      data: closure ? { ...change.data, closure } : (change.data ?? {}),
    }),
  };
  const events = changeEvents(ticket, changed, change);
  return events.length === 0 ? changed : { ...changed, outbox: [...(ticket.outbox ?? []), ...events] };
}

export function fulfilmentRecordFor(system: System | null, queue: string | null): FulfilmentRecord {
  return {
    mode: system?.fulfilment.mode ?? 'manual',
    fulfillers:
      system?.fulfilment.mode === 'manual'
        ? system.fulfilment.fulfillers
        : (system?.fulfilment.fallbackFulfillers ?? []),
    queue,
    result: null,
    by: null,
    at: null,
    note: null,
    deadline: null,
    reminderAt: null,
    escalationAt: null,
    phase: 'asked',
    escalatedTo: [],
  };
}

/**
 * When the ticket was resolved, or null while it is in flight. The spec's resolution: access granted
 * or the ticket closed, whichever came first; a later revocation does not move it.
 */
export function resolvedAt(ticket: Pick<Ticket, 'timeline'>): string | null {
  return resolution(ticket)?.at ?? null;
}

/** The event that resolved the ticket (see resolvedAt), or undefined while it is in flight. */
export function resolution(ticket: Pick<Ticket, 'timeline'>): Ticket['timeline'][number] | undefined {
  return ticket.timeline.find((event) => event.to === 'active' || event.to === 'closed');
}

/** Everyone the ticket names in a role: the set that visibility and separation of duties read. */
export function participants(ticket: Pick<Ticket, 'approvals' | 'fulfilment' | 'revocation'>): {
  approvers: Set<string>;
  fulfillers: Set<string>;
} {
  return {
    approvers: new Set(
      ticket.approvals.flatMap((approval) => [...approval.candidates, ...(approval.reassignedFrom ?? [])]),
    ),
    // Whoever is asked to remove the access works on the ticket as its fulfillers do.
    fulfillers: new Set([
      ...(ticket.fulfilment?.fulfillers ?? []),
      ...(ticket.revocation?.fulfillers ?? []),
      ...(ticket.revocation?.escalatedTo ?? []),
    ]),
  };
}

/** What visibility reads: a ticket's parties as recorded on it, which a list's summary carries too. */
export type TicketParties = Pick<
  Ticket,
  'requester' | 'beneficiary' | 'beneficiaryOwner' | 'approvals' | 'fulfilment' | 'revocation'
>;

/** A ticket exists for its parties and for oversight roles; for anyone else it does not. */
export function canView(ticket: TicketParties, viewer: Identity): boolean {
  if (viewer.roles.includes('auditor') || viewer.roles.includes('security')) return true;
  const { approvers, fulfillers } = participants(ticket);
  return (
    viewer.id === ticket.requester ||
    viewer.id === ticket.beneficiary ||
    viewer.id === ticket.beneficiaryOwner ||
    approvers.has(viewer.id) ||
    fulfillers.has(viewer.id)
  );
}
