import type { Identity } from './directory';
import type { Approval } from './ticket';

/**
 * What separation of duties reads to tell whether someone may approve one stage of a ticket that
 * is already routed: a person handed the stage (a reassignment) or asked alongside its approvers
 * (a delegate).
 */
export interface StageRules {
  requester: string;
  beneficiary: string;
  beneficiaryOwner: string | null;
  /** The ticket's stages, with who decided each. */
  approvals: readonly Pick<Approval, 'stage' | 'decidedBy'>[];
  /** The stage being staffed. */
  stageIndex: number;
  /**
   * The system's only fulfiller who could act, when this stage is the ticket's only one: approving
   * it alone would leave nobody to fulfil it.
   */
  soleFulfiller: string | null;
}

/**
 * Why `id` may not approve the stage, in words for whoever named them, or null when they may.
 * `person` is their directory entry, undefined when the directory does not know them. The same
 * rules as routing's: an active person, no party to the ticket, one stage per person, and never a
 * one-stage ticket's sole fulfiller.
 */
export function approverExclusion(
  id: string,
  person: Identity | undefined,
  rules: StageRules,
): string | null {
  if (!person) return `${id} is not in the directory`;
  if (person.kind !== 'human') return `${id} is a service account, not a person`;
  if (person.status !== 'active') return `${id} is ${person.status}`;
  if (id === rules.requester) return `${id} is the requester`;
  if (id === rules.beneficiary) return `${id} is the beneficiary`;
  if (id === rules.beneficiaryOwner) return `${id} owns ${rules.beneficiary}, the beneficiary`;
  const decided = rules.approvals.find(
    (approval, index) => index !== rules.stageIndex && approval.decidedBy === id,
  );
  if (decided) return `${id} decided the ${decided.stage} stage of this request`;
  if (id === rules.soleFulfiller) {
    return `${id} is the system's only fulfiller, and would be this request's only approver`;
  }
  return null;
}
