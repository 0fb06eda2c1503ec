import { z } from 'zod';
import { identityIdSchema, identitySchema } from './directory';

/** What an integration may send Tollgate (spec: Webhooks in). */
export const inboundEventTypes = [
  'ticket.create',
  'fulfilment.completed',
  'fulfilment.failed',
  'identity.created',
  'identity.updated',
  'identity.departed',
] as const;
export type InboundEventType = (typeof inboundEventTypes)[number];

export const integrationNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be a lowercase name');

/**
 * An integration: the event types it may send, and the Secrets Manager secret (a name or an ARN)
 * whose value is the JSON list of its `whsec_` secrets, any of which signs (so secrets rotate by
 * adding the new one first and removing the old one later).
 */
export const integrationSchema = z.strictObject({
  name: integrationNameSchema,
  events: z.array(z.enum(inboundEventTypes)).min(1),
  secretId: z.string().min(1).max(2048).optional(),
});
export type Integration = z.infer<typeof integrationSchema>;

/** The integrations `npm start` seeds, and the default of a deployment's configuration. */
export const demoIntegrations: readonly Integration[] = [
  { name: 'hr', events: ['identity.created', 'identity.updated', 'identity.departed'] },
  { name: 'provisioning', events: ['fulfilment.completed', 'fulfilment.failed'] },
  { name: 'servicedesk', events: ['ticket.create'] },
];

/** The Standard Webhooks payload shape. */
export const envelopeSchema = z.object({
  type: z.string().min(1).max(100),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  data: z.record(z.string(), z.unknown()),
});

/** Fields HR may report about a person: never `roles`, which only an admin changes, nor the id. */
const reportedFields = identitySchema.omit({ id: true, roles: true });

/**
 * Each event's `data`, checked before anything is written. `ticket.create` is checked here only for
 * its requester: the request itself goes through intake's validation, as POST /requests does.
 */
export const inboundDataSchemas = {
  'ticket.create': z.looseObject({ requester: identityIdSchema }),
  'fulfilment.completed': z.strictObject({
    ticket: z.string().min(1).max(100),
    delivery: z.string().min(1).max(200),
    note: z.string().max(2000).nullable().optional(),
  }),
  'fulfilment.failed': z.strictObject({
    ticket: z.string().min(1).max(100),
    delivery: z.string().min(1).max(200),
    note: z.string().max(2000).nullable().optional(),
  }),
  'identity.created': reportedFields
    .partial({ title: true, managerId: true, ownerId: true, status: true })
    .extend({ identity: identityIdSchema }),
  'identity.updated': reportedFields
    .partial()
    .extend({ identity: identityIdSchema })
    .refine((data) => Object.keys(data).length > 1, { message: 'names no field to change' }),
  'identity.departed': z.strictObject({ identity: identityIdSchema }),
} satisfies Record<InboundEventType, z.ZodType>;

export type InboundEvent = {
  [T in InboundEventType]: { type: T; data: z.output<(typeof inboundDataSchemas)[T]> };
}[InboundEventType];

export const isInboundEventType = (type: string): type is InboundEventType =>
  (inboundEventTypes as readonly string[]).includes(type);
