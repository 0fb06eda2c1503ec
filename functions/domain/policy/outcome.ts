import { endsAfter, parseDuration } from '../duration';
import { entityTypes } from './inputs';

/** The questions asked of the policies for every access request: one Cedar action each. */
export const outcomeActions = ['autoReject', 'autoApprove'] as const;
/** The approval stages policies can ask for, in the order they open, with the action that asks for each. */
export const stageActions = {
  manager: 'requireManager',
  system_owner: 'requireSystemOwner',
  security: 'requireSecurity',
} as const;
export type StageName = keyof typeof stageActions;
export type PolicyAction = (typeof outcomeActions)[number] | (typeof stageActions)[StageName];
export const actionUid = (action: PolicyAction) => ({ type: entityTypes.action, id: action });

export const isStageName = (stage: string): stage is StageName => stage in stageActions;

/** A policy that made an action apply, with what its annotations say. */
export interface DeterminingPolicy {
  id: string;
  /** The `@reason` annotation: why, in words the requester and the approvers read. */
  reason: string | null;
  /** The `@maxDuration` annotation (ISO 8601): the longest a request it applies to may run. */
  maxDuration: string | null;
}

/** Cedar's answer to one action: whether it applies, and which policies made it so. */
export interface ActionAnswer {
  allowed: boolean;
  policies: DeterminingPolicy[];
}

/** One question to a policy set about one request: does `action` apply, and which policies made it so. */
export type AskPolicies = (action: PolicyAction) => ActionAnswer;

export interface DurationCap {
  max: string;
  policyId: string;
}

export interface PolicyOutcome {
  outcome: 'approval_required' | 'auto_approved' | 'auto_rejected';
  /** The stages in the order they open, each with the policies that asked for it. */
  stages: { stage: StageName; policyIds: string[] }[];
  /** The policies that determined the outcome (for `approval_required`, those that asked for stages). */
  policyIds: string[];
  version: string;
  /** What the requester reads: the determining policies' reasons. */
  reason: string | null;
  /** Each determining policy's own reason (its `@reason`), for explaining a stage by the rules that asked for it. */
  reasons: Record<string, string>;
  /** The tightest duration cap among the policies that applied, if any did set one. */
  cap: DurationCap | null;
}

/** No policy refused, approved or asked for a stage: Cedar denies by default, and so does Tollgate. */
export const NO_POLICY_APPLIES = 'no policy allows this request';

/**
 * Primary course: autoReject wins over everything, then autoApprove; otherwise every allowed
 * require* action adds its stage. A request no policy speaks for is refused rather than let through.
 * Caps come from every policy that applied to the outcome, and the tightest wins (measured from `now`).
 * Only the questions the outcome depends on are asked, in that order: each is a Cedar call.
 */
export function decideOutcome(version: string, ask: AskPolicies, now: Date): PolicyOutcome {
  const reasonOf = (policies: DeterminingPolicy[]) =>
    policies.flatMap((policy) => (policy.reason ? [policy.reason] : [])).join('; ') || null;
  const outcome = (
    kind: PolicyOutcome['outcome'],
    policies: DeterminingPolicy[],
    stages: PolicyOutcome['stages'] = [],
  ): PolicyOutcome => ({
    outcome: kind,
    stages,
    policyIds: [...new Set(policies.map((policy) => policy.id))],
    version,
    reason: reasonOf(policies),
    reasons: Object.fromEntries(
      policies.flatMap((policy) => (policy.reason ? [[policy.id, policy.reason]] : [])),
    ),
    cap: kind === 'auto_rejected' ? null : tightestCap(policies, now),
  });
  const rejected = ask('autoReject');
  if (rejected.allowed) return outcome('auto_rejected', rejected.policies);
  const approved = ask('autoApprove');
  if (approved.allowed) return outcome('auto_approved', approved.policies);
  const stages = (Object.entries(stageActions) as [StageName, PolicyAction][])
    .map(([stage, action]) => ({ stage, answer: ask(action) }))
    .filter(({ answer }) => answer.allowed)
    .map(({ stage, answer }) => ({ stage, policies: answer.policies }));
  if (stages.length === 0) return { ...outcome('auto_rejected', []), reason: NO_POLICY_APPLIES };
  return outcome(
    'approval_required',
    stages.flatMap((stage) => stage.policies),
    stages.map(({ stage, policies }) => ({ stage, policyIds: policies.map((policy) => policy.id) })),
  );
}

function tightestCap(policies: DeterminingPolicy[], now: Date): DurationCap | null {
  let tightest: DurationCap | null = null;
  for (const policy of policies) {
    const duration = policy.maxDuration ? parseDuration(policy.maxDuration) : null;
    if (!duration || !policy.maxDuration) continue;
    const current = tightest ? parseDuration(tightest.max) : null;
    if (!current || endsAfter(now, current, duration))
      tightest = { max: policy.maxDuration, policyId: policy.id };
  }
  return tightest;
}
