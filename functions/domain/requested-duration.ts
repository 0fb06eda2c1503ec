import { z } from 'zod';
import type { Entitlement } from './directory';
import { type Duration, endsAfter, parseDuration } from './duration';

/** No request runs longer than a calendar year from when it is filed. */
export const LONGEST_REQUEST = 'P1Y';

export const durationBasisSchema = z
  .object({
    applied: z.string().nullable().meta({
      description: 'The ISO 8601 duration the grant runs for, from fulfilment; null for standing access',
    }),
    requested: z.string().nullable().meta({ description: 'The duration the request asked for, if any' }),
    cap: z
      .object({
        max: z.string(),
        from: z.enum(['entitlement', 'admin_default', 'policy']).meta({
          description:
            "`entitlement`: the entitlement's maxDuration; `admin_default`: the ADMIN_DEFAULT_MAX_DURATION setting, for an admin entitlement without one; `policy`: a policy's @maxDuration",
        }),
        policyId: z
          .string()
          .optional()
          .meta({ description: 'The policy that set the cap, when `from` is `policy`' }),
      })
      .nullable()
      .meta({ description: `The longest duration allowed; null: none but ${LONGEST_REQUEST}` }),
    reason: z.enum(['requested', 'entitlement_default', 'admin_default', 'policy_default', 'standing']).meta({
      description:
        '`requested`: as asked, within the cap; `entitlement_default`, `admin_default` and `policy_default`: nothing was asked for an admin entitlement, so it runs for its cap; `standing`: nothing was asked and nothing caps it',
    }),
  })
  .meta({ id: 'DurationBasis', description: 'Which duration a request was given, and why' });
export type DurationBasis = z.infer<typeof durationBasisSchema>;

/** A cap that cannot be read is a broken catalog or setting, never a cap to drop. */
export class UnreadableCapError extends Error {
  override readonly name = 'UnreadableCapError';
}

/**
 * Primary course: the duration a request for this entitlement runs for, and why; or the problem,
 * for the request's `duration` field, that keeps it from being granted as asked. Durations compare
 * by where they end when started now, so P1M and P31D compare as the calendar says they do today.
 */
export function decideDuration(input: {
  requested: string | null;
  systemId: string;
  entitlement: Pick<Entitlement, 'id' | 'class' | 'maxDuration'>;
  /** The ADMIN_DEFAULT_MAX_DURATION setting. */
  adminDefaultMax: string;
  /** The tightest cap the policies that decided the request set, if any did. */
  policyCap?: { max: string; policyId: string } | null;
  now: Date;
}): { basis: DurationBasis } | { problem: string } {
  const { entitlement, now } = input;
  const cap = capOf(input);
  const requested = input.requested === null ? null : parseDuration(input.requested);
  if (input.requested !== null) {
    if (!requested) return { problem: `is not an ISO 8601 duration such as P30D, PT8H or P1M` };
    if (cap && endsAfter(now, requested, cap.duration)) {
      const which =
        cap.from === 'admin_default'
          ? ' (ADMIN_DEFAULT_MAX_DURATION, for admin entitlements without a maximum)'
          : cap.from === 'policy'
            ? ` (policy ${cap.policyId})`
            : '';
      return { problem: `must be at most ${cap.max} for ${entitlement.id}${which}` };
    }
    if (endsAfter(now, requested, parseDuration(LONGEST_REQUEST) as Duration)) {
      return { problem: `must be at most a year (${LONGEST_REQUEST})` };
    }
    return { basis: basis(input.requested, input.requested, cap, 'requested') };
  }
  if (cap && entitlement.class === 'admin') {
    const reason = defaultReasons[cap.from];
    return { basis: basis(cap.max, null, cap, reason) };
  }
  if (cap) return { problem: `is required: ${entitlement.id} is time-bound (at most ${cap.max})` };
  return { basis: basis(null, null, null, 'standing') };
}

const defaultReasons = {
  entitlement: 'entitlement_default',
  admin_default: 'admin_default',
  policy: 'policy_default',
} as const;

interface Cap {
  max: string;
  from: 'entitlement' | 'admin_default' | 'policy';
  policyId?: string;
  duration: Duration;
}

/** The tightest of the catalog's cap and the policies' cap, compared by where they end from `now`. */
function capOf(input: Parameters<typeof decideDuration>[0]): Cap | null {
  const catalogCap = catalogCapOf(input);
  const policy = input.policyCap ? parseDuration(input.policyCap.max) : null;
  if (!input.policyCap || !policy) return catalogCap;
  const policyCap: Cap = {
    max: input.policyCap.max,
    from: 'policy',
    policyId: input.policyCap.policyId,
    duration: policy,
  };
  return catalogCap && !endsAfter(input.now, catalogCap.duration, policy) ? catalogCap : policyCap;
}

function catalogCapOf(input: Parameters<typeof decideDuration>[0]): Cap | null {
  const { entitlement } = input;
  const [max, from] = entitlement.maxDuration
    ? [entitlement.maxDuration, 'entitlement' as const]
    : entitlement.class === 'admin'
      ? [input.adminDefaultMax, 'admin_default' as const]
      : [null, null];
  if (max === null || from === null) return null;
  const duration = parseDuration(max);
  if (!duration) {
    throw new UnreadableCapError(
      from === 'entitlement'
        ? `The maxDuration "${max}" of entitlement ${entitlement.id} of system ${input.systemId} is not an ISO 8601 duration`
        : `ADMIN_DEFAULT_MAX_DURATION "${max}" is not an ISO 8601 duration`,
    );
  }
  return { max, from, duration };
}

const basis = (
  applied: string | null,
  requested: string | null,
  cap: Cap | null,
  reason: DurationBasis['reason'],
): DurationBasis => ({
  applied,
  requested,
  cap: cap ? { max: cap.max, from: cap.from, ...(cap.policyId ? { policyId: cap.policyId } : {}) } : null,
  reason,
});
