import { z } from 'zod';
import { storedIdentitySchema } from '../../domain/directory';
import { statuses } from '../../domain/lifecycle';
import { simulationTallySchema } from '../../domain/policy/simulation';
import { ticketSchema, ticketSummarySchema } from '../../domain/ticket';

/** Request and response shapes of the HTTP contract: the handlers parse with them, the OpenAPI document shows them. */

/** Every list pages the same way: up to 100 items, and the signed cursor of the page before. */
const page = {
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(2048).optional(),
};

export const listRequestsQuery = z.strictObject({
  status: z.enum(statuses).optional(),
  mine: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  ...page,
});

export const listInboxQuery = z.strictObject(page);

export const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be 1 to 255 visible ASCII characters');

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
  .object({ items: z.array(ticketSummarySchema), next: z.string().nullable() })
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
    ticketsToCancel: z.array(z.string()).meta({ description: "A departed beneficiary's open tickets" }),
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

export const fulfilmentBodySchema = z
  .strictObject({
    result: z.enum(['done', 'failed']),
    note: z.string().trim().max(2000).nullable().default(null),
  })
  .meta({ id: 'FulfilmentReport' });

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

export const simulationSchema = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    progress: z
      .object({ done: z.number().int(), total: z.number().int().nullable() })
      .meta({ description: 'Tickets read, of the tickets submitted in the period (null until counted)' }),
    result: simulationTallySchema.nullable().meta({ description: 'Set once `status` is `done`' }),
    candidate: z.string().meta({ description: 'The version of the candidate set (GET /policies/{version})' }),
    from: z.string(),
    to: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    error: z
      .object({ name: z.string(), message: z.string() })
      .nullable()
      .meta({ description: 'Why it failed, when `status` is `failed`' }),
  })
  .meta({ id: 'PolicySimulation', description: 'A simulation job: its progress, and its result once done' });
