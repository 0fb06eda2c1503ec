import { z } from 'zod';
import { isDuration } from './duration';

/** People are identified by email, non-human identities by `svc:NAME`; both lowercased everywhere. */
export const identityIdSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^(svc:[a-z0-9][a-z0-9._-]{0,62}|[^\s@]+@[^\s@]+\.[^\s@]+)$/, 'must be an email or svc:NAME');

export const roles = ['auditor', 'security', 'admin'] as const;
export type Role = (typeof roles)[number];

export const identitySchema = z.strictObject({
  id: identityIdSchema,
  kind: z.enum(['human', 'service']),
  name: z.string().min(1).max(200),
  department: z.string().min(1).max(100),
  title: z.string().max(200).default(''),
  managerId: identityIdSchema.nullable().default(null),
  ownerId: identityIdSchema.nullable().default(null),
  status: z.enum(['active', 'suspended', 'departed']),
  roles: z.array(z.enum(roles)).default([]),
});
/** A directory entry as an import or an admin gives it. */
export type IdentityEntry = z.infer<typeof identitySchema>;

/**
 * A directory entry as stored and read: what was given, and what Tollgate records about it.
 * `ownerDeparted`: a service account whose owner departed while owning it, refused at intake until
 * an admin sets a new owner; set and cleared by identity changes (app/identity-changes.ts), never
 * by whoever gives the entry; absent when not flagged.
 */
export const storedIdentitySchema = identitySchema.extend({
  ownerDeparted: z.literal(true).optional().meta({
    description:
      'A service account whose owner departed: requests for it are refused until an admin sets a new owner',
  }),
});
export type Identity = z.infer<typeof storedIdentitySchema>;

export const sensitivities = ['low', 'moderate', 'high', 'critical'] as const;
export const entitlementClasses = ['read', 'write', 'admin'] as const;

export const entitlementSchema = z.strictObject({
  id: z.string().min(1).max(100),
  name: z.string().min(1).max(200),
  class: z.enum(entitlementClasses),
  maxDuration: z.string().nullable().default(null),
  /** Entitlements nobody should hold together with this one (toxic combinations); read both ways. */
  conflictsWith: z.array(z.string().min(1).max(100)).max(100).default([]),
});
export type Entitlement = z.infer<typeof entitlementSchema>;

export const fulfilmentSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('manual'), fulfillers: z.array(identityIdSchema).min(1) }),
  z.strictObject({
    mode: z.literal('webhook'),
    integration: z.string().min(1),
    url: z.url(),
    /** Who gets the work, by emailed link, once the integration has not reported by the fulfilment's escalation. */
    fallbackFulfillers: z.array(identityIdSchema).default([]),
  }),
]);
export type Fulfilment = z.infer<typeof fulfilmentSchema>;

export const systemSchema = z
  .strictObject({
    id: z.string().min(1).max(100),
    name: z.string().min(1).max(200),
    ownerId: identityIdSchema,
    sensitivity: z.enum(sensitivities),
    fulfilment: fulfilmentSchema,
    entitlements: z.array(entitlementSchema).min(1),
  })
  .superRefine((system, context) => {
    // Checked here, where the system is known, so the message names both: a cap that cannot be read
    // would otherwise stop every request for the entitlement, or be taken for no cap at all.
    system.entitlements.forEach((entitlement, index) => {
      if (entitlement.maxDuration !== null && !isDuration(entitlement.maxDuration)) {
        context.addIssue({
          code: 'custom',
          path: ['entitlements', index, 'maxDuration'],
          message: `system ${system.id}, entitlement ${entitlement.id}: maxDuration "${entitlement.maxDuration}" is not an ISO 8601 duration such as P30D, PT8H or P1M`,
        });
      }
    });
  });
export type System = z.infer<typeof systemSchema>;

/** The directory facts a rule needs, without saying where they are stored. */
export interface DirectoryView {
  identity(id: string): Promise<Identity | undefined>;
  identitiesWithRole(role: Role): Promise<Identity[]>;
}

export const isActive = (identity: Identity | undefined): identity is Identity & { status: 'active' } =>
  identity?.status === 'active';

/** The accountable person behind a beneficiary: the person themselves, or a service account's owner. */
export const accountablePersonId = (beneficiary: Identity): string =>
  beneficiary.kind === 'service' && beneficiary.ownerId ? beneficiary.ownerId : beneficiary.id;
