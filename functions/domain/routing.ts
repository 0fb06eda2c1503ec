import { accountablePersonId, type DirectoryView, type Identity, isActive } from './directory';
import { NoEligibleApproverError } from './errors';
import type { Approval, Decision } from './ticket';

/** The rule that routes every access ticket until the policy engine decides stages. */
export const FIRST_STAGE_RULE = { id: 'routing.manager-approval', version: 'routing-v1' } as const;

export interface StageAssignment {
  stage: string;
  candidates: string[];
  /** Why these people: the named approver, and who was passed over on the way. */
  path: string[];
}

/**
 * Resolves the manager stage to named people: the accountable person's manager; if that person is
 * excluded (a party to the ticket, already deciding another stage, or not active), their manager,
 * and so on up the chain; when the chain runs out, every active member of `security` who is not
 * excluded, where the first decision wins.
 */
export async function resolveManagerStage(
  directory: DirectoryView,
  parties: { requester: Identity; beneficiary: Identity },
  alreadyDeciding: readonly string[] = [],
): Promise<StageAssignment> {
  const excluded = new Set([
    parties.requester.id,
    parties.beneficiary.id,
    accountablePersonId(parties.beneficiary),
    ...alreadyDeciding,
  ]);
  const accountable = await directory.identity(accountablePersonId(parties.beneficiary));
  const path: string[] = [];
  const seen = new Set<string>();
  let candidateId = accountable?.managerId ?? null;
  while (candidateId && !seen.has(candidateId)) {
    seen.add(candidateId);
    const candidate = await directory.identity(candidateId);
    if (isActive(candidate) && !excluded.has(candidate.id)) {
      return { stage: 'manager', candidates: [candidate.id], path: [...path, candidate.id] };
    }
    path.push(candidateId);
    candidateId = candidate?.managerId ?? null;
  }
  const security = (await directory.identitiesWithRole('security'))
    .filter((member) => isActive(member) && !excluded.has(member.id))
    .map((member) => member.id)
    .sort();
  if (security.length === 0) {
    throw new NoEligibleApproverError(
      'No manager in the chain and no security member is eligible to approve',
    );
  }
  return { stage: 'manager', candidates: security, path: [...path, 'role:security'] };
}

export function decisionFor(assignment: StageAssignment): { decision: Decision; approvals: Approval[] } {
  return {
    decision: {
      outcome: 'approval_required',
      stages: [assignment.stage],
      policyIds: [FIRST_STAGE_RULE.id],
      version: FIRST_STAGE_RULE.version,
      reason: null,
    },
    approvals: [
      {
        stage: assignment.stage,
        candidates: assignment.candidates,
        decidedBy: null,
        decision: null,
        at: null,
        comment: null,
        via: null,
        deadline: null,
        path: assignment.path,
      },
    ],
  };
}
