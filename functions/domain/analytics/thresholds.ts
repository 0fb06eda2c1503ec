import { z } from 'zod';

/**
 * When each governance signal speaks up: a signal is raised when its figure reaches the threshold
 * (at least so many, at most so fast). Configured as JSON naming only what differs (ANALYTICS_THRESHOLDS).
 */
export const thresholdsSchema = z
  .strictObject({
    recurringRequests: z
      .strictObject({
        /** Different people of one department asking for one entitlement within the period. */
        minPeople: z.number().int().min(2).default(3),
      })
      .prefault({}),
    reRequests: z
      .strictObject({
        /** A request this soon after the person's grant of the same entitlement ended is a re-request. */
        withinDays: z.number().positive().default(14),
        /** Re-requests by one person for one entitlement in the period. */
        minTimes: z.number().int().min(1).default(2),
      })
      .prefault({}),
    rubberStamp: z
      .strictObject({
        maxMedianMinutes: z.number().positive().default(5),
        minApprovalRate: z.number().min(0).max(1).default(0.95),
        minDecisions: z.number().int().min(1).default(10),
      })
      .prefault({}),
    slowEntitlements: z
      .strictObject({
        minMedianHours: z.number().positive().default(48),
        minTickets: z.number().int().min(1).default(3),
      })
      .prefault({}),
    standingGrants: z
      .strictObject({
        /** Standing access granted longer ago than this, that no access review has looked at. */
        olderThanDays: z.number().positive().default(90),
      })
      .prefault({}),
    ruleCandidates: z
      .strictObject({
        /** Requests people approved, with none denied, before a pattern is worth a rule. */
        minApprovals: z.number().int().min(1).default(5),
      })
      .prefault({}),
  })
  .prefault({});
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const defaultThresholds = (): Thresholds => thresholdsSchema.parse({});
