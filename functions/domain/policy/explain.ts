import type { Ticket } from '../ticket';
import { listInWords as list } from '../wording';

/** The names a sentence about a ticket uses: display names where the directory has them. */
export interface TicketNames {
  beneficiary: string;
  /** A service account's owner, the person accountable for it; null for a person. */
  owner: string | null;
  system: string;
}

/**
 * How the reader comes to be asked when not as the stage's own approver: as the delegate of the
 * approvers named (display names), or in place of them, the stage having been reassigned to them.
 */
export type StandIn = { delegateOf: string[] } | { reassigned: true } | null;

const laterStage: Record<string, string> = {
  manager: "the manager's",
  system_owner: "the system owner's",
  security: "security's",
};

/**
 * Why one person is asked for one stage, in words a manager understands, e.g. "Needs your approval
 * as Alex Developer's manager, and then the system owner's and security's, because admin rights on
 * a critical system need security (rule critical-admin-security)."
 */
export function explainApproval(
  ticket: Pick<Ticket, 'approvals' | 'decision'>,
  stageIndex: number,
  names: TicketNames,
  standIn: StandIn = null,
): string {
  const stage = ticket.approvals[stageIndex]?.stage ?? 'manager';
  const role =
    stage === 'manager'
      ? names.owner
        ? `the manager of ${names.owner}, who owns ${names.beneficiary}`
        : `${names.beneficiary}'s manager`
      : stage === 'system_owner'
        ? `the owner of ${names.system}`
        : 'a member of the security group (the first decision wins)';
  const before = ticket.approvals
    .slice(0, stageIndex)
    .map((earlier) => laterStage[earlier.stage] ?? earlier.stage);
  const after = ticket.approvals.slice(stageIndex + 1).map((later) => laterStage[later.stage] ?? later.stage);
  const rules = ticket.decision?.askedBy?.[stage] ?? [];
  const reasons = rules.flatMap((id) => {
    const reason = ticket.decision?.policyReasons?.[id];
    return reason ? [reason] : [];
  });
  const asked =
    standIn === null
      ? `as ${role}`
      : 'delegateOf' in standIn
        ? `as the delegate of ${list(standIn.delegateOf)}, ${role}`
        : `in place of ${role}, the stage having been reassigned to you`;
  return [
    `Needs your approval ${asked}`,
    before.length ? `, after ${list(before)} approval` : '',
    after.length ? `, and then ${list(after)}` : '',
    reasons.length
      ? `, because ${list(reasons)} (${rules.length > 1 ? 'rules' : 'rule'} ${rules.join(', ')})`
      : '',
    '.',
  ].join('');
}
