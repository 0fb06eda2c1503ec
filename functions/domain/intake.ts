import { z } from 'zod';
import { identityIdSchema } from './directory';
import { isDuration } from './duration';

export const urgencies = ['low', 'normal', 'high', 'critical'] as const;
export type Urgency = (typeof urgencies)[number];

export const supportCategories = ['hardware', 'software', 'network', 'account', 'other'] as const;

/** The form only: how long a request may run depends on the entitlement and the calendar (requested-duration.ts). */
const durationSchema = z.string().refine(isDuration, {
  message: 'must be an ISO 8601 duration such as P30D, PT8H or P1M',
});

export const accessRequestSchema = z
  .strictObject({
    type: z.literal('access'),
    beneficiary: identityIdSchema.optional().meta({ description: 'Defaults to the caller' }),
    system: z.string().min(1).max(100),
    entitlement: z.string().min(1).max(100),
    justification: z
      .string()
      .trim()
      .min(10, 'must explain the business need in at least 10 characters')
      .max(2000),
    urgency: z.enum(urgencies).default('normal'),
    duration: durationSchema.optional().meta({
      description:
        "ISO 8601 duration (months and years are calendar months and years in UTC); time-bound access when set. At most the entitlement's maxDuration and at most a year; the answer's durationBasis says what was applied and why",
    }),
    evidence: z
      .array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000))
      .max(10)
      .default([]),
  })
  .meta({ id: 'AccessRequest' });

export const supportRequestSchema = z
  .strictObject({
    type: z.literal('support'),
    category: z.enum(supportCategories),
    urgency: z.enum(urgencies),
    description: z.string().trim().min(10, 'must describe the problem in at least 10 characters').max(4000),
  })
  .meta({ id: 'SupportRequest' });

export const requestBodySchema = z
  .discriminatedUnion('type', [accessRequestSchema, supportRequestSchema])
  .meta({ id: 'RequestBody' });

export type AccessRequest = z.infer<typeof accessRequestSchema>;
export type SupportRequest = z.infer<typeof supportRequestSchema>;
export type RequestBody = z.infer<typeof requestBodySchema>;
