import { z } from 'zod';
import { exportFormats } from '../../domain/audit/export-rows';
import { chainStatuses } from '../../domain/audit/verification';
import { MAX_COMMENT_LENGTH } from '../../domain/comments';
import { delegationStatuses, MAX_DELEGATION_DAYS } from '../../domain/delegations';
import { identityIdSchema, storedIdentitySchema } from '../../domain/directory';
import { ValidationError } from '../../domain/errors';
import { grantViewSchema } from '../../domain/grants';
import { statuses } from '../../domain/lifecycle';
import { deliverySchema, deliveryStatuses } from '../../domain/outbound/deliveries';
import { simulationTallySchema } from '../../domain/policy/simulation';
import { ticketNumber, ticketSchema, ticketSummarySchema } from '../../domain/ticket';

/** Request and response shapes of the HTTP contract: the handlers parse with them, the OpenAPI document shows them. */

/** Every list pages the same way: up to 100 items, and the signed cursor of the page before. */
const page = {
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(2048).optional(),
};

/** A day or an instant; a day stands for its first millisecond (`from`) or its last (`to`). */
const periodEnd = (end: 'from' | 'to') =>
  z
    .union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: 'must be an ISO 8601 date (2026-12-05) or date-time (2026-12-05T09:00:00Z)',
    })
    .transform((value) =>
      value.length === 10
        ? new Date(`${value}T${end === 'from' ? '00:00:00.000' : '23:59:59.999'}Z`)
        : new Date(value),
    )
    .refine((at) => at.getTime() >= 0, 'must be in 1970 or later')
    .meta({
      description:
        end === 'from'
          ? 'Submitted at or after: a date (from its start) or a date-time'
          : 'Submitted at or before: a date (to its end) or a date-time',
    });

export const listRequestsQuery = z
  .strictObject({
    status: z.enum(statuses).optional(),
    mine: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true')
      .meta({
        description: 'Only tickets the caller requested or benefits from (not with the search filters)',
      }),
    requester: identityIdSchema.optional().meta({
      description: "Who filed it; anyone else's than the caller's is for auditor and security",
    }),
    beneficiary: identityIdSchema.optional().meta({
      description:
        'Who it is for; anyone but the caller or a service account they own is for auditor and security',
    }),
    system: z.string().min(1).max(100).optional().meta({ description: 'The system (a catalog id)' }),
    entitlement: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'The entitlement (a catalog id)' }),
    from: periodEnd('from').optional(),
    to: periodEnd('to').optional(),
    number: z
      .string()
      .regex(/^(?:TG-)?[1-9][0-9]{0,14}$/, 'must be a ticket number: TG-1042 or 1042')
      .transform((value) => ticketNumber.parse(value) as number)
      .optional()
      .meta({ description: 'The ticket numbered so (TG-1042 or 1042), if the caller may see it' }),
    ...page,
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, {
    path: ['to'],
    message: 'must not be before from',
  });

export const listInboxQuery = z.strictObject(page);

const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be 1 to 255 visible ASCII characters');

/** The request's Idempotency-Key, if it sent one; a malformed one is a 400 naming the header. */
export function idempotencyKeyOf(headers: Record<string, string | undefined>): string | undefined {
  const key = headers['idempotency-key'];
  if (key !== undefined && !idempotencyKeyHeader.safeParse(key).success) {
    throw new ValidationError('The Idempotency-Key header is invalid', {
      'headers.idempotency-key': 'must be 1 to 255 visible ASCII characters',
    });
  }
  return key;
}

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional().meta({ description: 'Dot path → message' }),
      correlationId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });

export const ticketListSchema = z
  .object({
    items: z.array(ticketSummarySchema),
    next: z.string().nullable().meta({
      description:
        'The cursor of the next page; null once nothing is left to read. A search reads a bounded part of history per request, so a page may hold fewer tickets than `limit`, or none, while `next` is set',
    }),
  })
  .meta({ id: 'TicketList' });

export const catalogSchema = z
  .object({
    systems: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        ownerId: z.string(),
        sensitivity: z.enum(['low', 'moderate', 'high', 'critical']),
        entitlements: z.array(
          z.object({
            id: z.string(),
            name: z.string(),
            class: z.enum(['read', 'write', 'admin']),
            maxDuration: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'Catalog' });

export const identityResponseSchema = storedIdentitySchema.meta({ id: 'Identity' });

export const directoryChangeSchema = z
  .object({
    entry: z.record(z.string(), z.unknown()).meta({ description: 'The entry as stored now' }),
    created: z.boolean(),
    changes: z
      .array(
        z.object({
          person: z.string().optional(),
          system: z.string().optional(),
          change: z.enum(['departed', 'suspended', 'manager_changed', 'owner_changed']),
          from: z.string().nullable(),
          to: z.string().nullable(),
        }),
      )
      .meta({ description: 'What changed; empty for a new entry or one given as it was' }),
    stagesMoved: z.array(
      z.object({ ticket: z.string(), stage: z.string(), from: z.array(z.string()), to: z.array(z.string()) }),
    ),
    ticketsClosed: z.array(z.string()).meta({
      description: 'Closed as auto_rejected: the change left nobody who may decide their open stage',
    }),
    ticketsCancelled: z
      .array(z.string())
      .meta({ description: "A departed beneficiary's open tickets, now cancelled" }),
    serviceAccountsFlagged: z
      .array(z.string())
      .meta({ description: 'Owned by someone who departed: refused at intake until they have a new owner' }),
  })
  .meta({ id: 'DirectoryChange' });

export { ticketSchema };

export const decisionBodySchema = z
  .strictObject({
    decision: z.enum(['approve', 'deny']),
    comment: z.string().trim().max(2000).nullable().default(null),
  })
  .meta({ id: 'ApprovalDecision' });

export const reassignmentBodySchema = z
  .strictObject({
    to: identityIdSchema.meta({
      description:
        'The one person asked from now on: active, and allowed by separation of duties (not the requester, the beneficiary or its owner, nor who decided another stage)',
    }),
    reason: z.string().trim().min(1, 'must say why, in 1 to 500 characters').max(500),
  })
  .meta({ id: 'Reassignment' });

export const listDelegationsQuery = z.strictObject(page);

export const listGrantsQuery = z.strictObject({
  identity: identityIdSchema.optional().meta({
    description:
      "The holder; without it, the caller's own (or, with `system`, the system's when the caller may read them all)",
  }),
  system: z.string().min(1).max(100).optional().meta({ description: 'The system (a catalog id)' }),
  ...page,
});

export const grantListSchema = z
  .object({ items: z.array(grantViewSchema), next: z.string().nullable() })
  .meta({ id: 'GrantList' });

export const delegationSchema = z
  .object({
    id: z.string(),
    owner: z.string().meta({ description: 'Who gave it: the approver the delegate is asked alongside' }),
    delegate: z.string(),
    from: z.string(),
    until: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    deletedAt: z.string().nullable(),
    deletedBy: z.string().nullable(),
    status: z.enum(delegationStatuses).meta({ description: 'Where it stands at the time of the answer' }),
  })
  .meta({
    id: 'Delegation',
    description: `While active (from \`from\` until \`until\`, at most ${MAX_DELEGATION_DAYS} days), every approval stage that opens asking the owner asks the delegate alongside, unless separation of duties excludes the delegate from that ticket`,
  });

export const delegationListSchema = z
  .object({ items: z.array(delegationSchema), next: z.string().nullable() })
  .meta({ id: 'DelegationList' });

export const fulfilmentBodySchema = z
  .strictObject({
    result: z.enum(['done', 'failed']),
    note: z.string().trim().max(2000).nullable().default(null),
  })
  .meta({ id: 'FulfilmentReport' });

export const commentBodySchema = z
  .strictObject({
    text: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(MAX_COMMENT_LENGTH, `must be at most ${MAX_COMMENT_LENGTH} characters`),
  })
  .meta({ id: 'Comment', description: 'Stored as a `commented` event of the timeline' });

export const assignBodySchema = z
  .strictObject({
    to: identityIdSchema
      .optional()
      .meta({ description: "A member of the ticket's queue; the caller when left out" }),
  })
  .meta({ id: 'Assignment', description: 'The body may be left out: the caller takes the ticket' });

export const cancelBodySchema = z
  .strictObject({
    reason: z.string().trim().max(2000).nullable().default(null),
  })
  .meta({ id: 'Cancellation', description: 'Optional: a request without a body cancels without a reason' });

export const revokeGrantBodySchema = z
  .strictObject({
    reason: z.string().trim().min(1, 'say why the access should end').max(2000),
  })
  .meta({ id: 'GrantRevocation' });

export const inboxSchema = z
  .object({
    items: z.array(
      z.object({
        id: z.string(),
        ticket: ticketSummarySchema,
        stage: z.string().nullable(),
        deadline: z.string(),
      }),
    ),
    next: z.string().nullable(),
  })
  .meta({ id: 'Inbox' });

export const policySetSchema = z
  .object({
    version: z.string().meta({ description: 'SHA-256 of the canonical set; the ETag of GET /policies' }),
    policies: z.record(z.string(), z.string()).meta({ description: 'Policy id to its Cedar text' }),
    createdAt: z.string().nullable(),
    createdBy: z.string().nullable(),
    live: z.boolean(),
    baseline: z.boolean().meta({ description: "The set from the project's policies/ folder" }),
  })
  .meta({ id: 'PolicySet' });

export const policySnapshotSchema = z
  .object({
    hash: z.string(),
    inputs: z.object({
      principal: z.object({ type: z.string(), id: z.string() }),
      resource: z.object({ type: z.string(), id: z.string() }),
      context: z.record(z.string(), z.unknown()),
      entities: z.array(z.record(z.string(), z.unknown())),
    }),
    version: z.string(),
    at: z.string(),
  })
  .meta({ id: 'PolicySnapshot', description: 'Every input Cedar saw for a decision, as it was then' });

export const jobStartedSchema = z
  .object({ id: z.string().meta({ description: 'The job id (a ULID): GET it for progress and result' }) })
  .meta({ id: 'JobStarted' });

/** What every job shows: its status, progress, author, times and failure. */
const jobFields = (progress: string) => ({
  id: z.string(),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  progress: z
    .object({ done: z.number().int(), total: z.number().int().nullable() })
    .meta({ description: progress }),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  error: z
    .object({ name: z.string(), message: z.string() })
    .nullable()
    .meta({ description: 'Why it failed, when `status` is `failed`' }),
});

export const simulationSchema = z
  .object({
    ...jobFields('Tickets read, of the tickets submitted in the period (null until counted)'),
    result: simulationTallySchema.nullable().meta({ description: 'Set once `status` is `done`' }),
    candidate: z.string().meta({ description: 'The version of the candidate set (GET /policies/{version})' }),
    from: z.string(),
    to: z.string(),
  })
  .meta({ id: 'PolicySimulation', description: 'A simulation job: its progress, and its result once done' });

const statusCounts = z.object(Object.fromEntries(chainStatuses.map((status) => [status, z.number().int()])));

export const verificationReportSchema = z
  .object({
    checkedAt: z.string(),
    ok: z.boolean().meta({ description: 'No chain tampered with, and every checkpoint sound' }),
    checkpoints: z.object({
      count: z.number().int(),
      latest: z.object({ seq: z.number().int(), at: z.string() }).nullable(),
      sound: z.boolean(),
      problems: z.array(z.object({ seq: z.number().int(), detail: z.string() })),
    }),
    counts: statusCounts.extend({ total: z.number().int() }),
    byKind: z.object({ ticket: statusCounts, grant: statusCounts, admin: statusCounts }),
    findings: z
      .array(
        z.object({
          chain: z.string().meta({
            description:
              '`ticket:{id}`, `grant:{id}`, or `admin:identity/{id}`, `admin:system/{id}`, `admin:policies`',
          }),
          kind: z.enum(['ticket', 'grant', 'admin']),
          id: z.string(),
          status: z.enum(['newer', 'edited', 'truncated', 'deleted']),
          detail: z.string(),
        }),
      )
      .meta({ description: 'Every chain not intact, the tampered ones (edited, truncated, deleted) first' }),
    findingsLeftOut: z.number().int().meta({ description: 'Findings past the 1,000 stored' }),
  })
  .meta({
    id: 'AuditVerification',
    description:
      'The latest scheduled verification of the audit trail: every ticket, grant and admin-log chain against the signed checkpoints',
  });
/** The rows of an export file: each JSONL line is one, each CSV line has its fields as columns. */
export { exportRowSchema } from '../../domain/audit/export-rows';

export const auditExportSchema = z
  .object({
    ...jobFields('Tickets exported, of the tickets submitted in the period (null until counted)'),
    from: z.string(),
    to: z.string(),
    format: z.enum(exportFormats),
    result: z
      .object({
        rows: z.number().int(),
        bytes: z.number().int(),
        url: z
          .url()
          .meta({ description: 'Downloads the file (each row an AuditExportRow); works until expiresAt' }),
        expiresAt: z.string(),
      })
      .nullable()
      .meta({ description: 'Set once `status` is `done`; each GET signs a fresh link' }),
  })
  .meta({ id: 'AuditExport', description: 'An export job: its progress, and a link to its file once done' });

/** The report's shape is functions/domain/analytics/report.ts `AnalyticsReport`, documented there. */
export const analyticsReportSchema = z.record(z.string(), z.unknown()).meta({
  id: 'AnalyticsReport',
  description:
    'period, computedAt, volume, resolution, approvalLatency, slaBreaches, satisfaction, rates, signals, ruleCandidates (each with its Cedar text) and the thresholds used',
});

export const storedReportListSchema = z
  .object({
    items: z.array(z.object({ id: z.string(), report: analyticsReportSchema, sentTo: z.array(z.string()) })),
    next: z.string().nullable().meta({ description: 'Pass as `before` for the next page' }),
  })
  .meta({ id: 'StoredReportList' });

export const listDeliveriesQuery = z.strictObject({
  status: z.enum(deliveryStatuses).default('failed').meta({
    description: 'Which deliveries: `failed` (the default: those to redrive), `pending` or `delivered`',
  }),
  ...page,
});

export const deliveryListSchema = z
  .object({ items: z.array(deliverySchema), next: z.string().nullable() })
  .meta({ id: 'DeliveryList' });
