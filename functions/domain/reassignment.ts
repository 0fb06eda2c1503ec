import type { Identity } from './directory';
import { ConflictError, ForbiddenError } from './errors';
import { applyChange, type Ticket } from './ticket';
import { assertBeforeDeadline, openStageIndex } from './workflow';

/**
 * Reassignment: someone asked for a pending stage, or a member of security, hands the stage to one
 * other person, who is then the only one asked. The stage keeps its deadlines and its path; who
 * was asked before is kept as `reassignedFrom` (they still see the ticket, and their links answer
 * that the stage is no longer theirs).
 */

/**
 * Who may hand a stage on, and when: a current candidate of it or a member of security, never a
 * party to the ticket (a security member may not pick the approver of their own request), while
 * the stage waits and before its final deadline. Whoever handed it on already is told it is no
 * longer theirs, so a request sent twice hands the stage on once.
 */
export function assertMayReassign(ticket: Ticket, stageIndex: number, caller: Identity, now: Date): void {
  const stage = ticket.approvals[stageIndex];
  const security = caller.roles.includes('security');
  if (!stage?.candidates.includes(caller.id) && !security) {
    if (stage?.reassignedFrom?.includes(caller.id)) {
      throw new ConflictError(
        `This approval was reassigned to ${stage.candidates.join(', ')}: it is no longer yours to hand on`,
      );
    }
    throw new ForbiddenError(`${caller.id} is neither an approver of this stage nor a member of security`);
  }
  if ([ticket.requester, ticket.beneficiary, ticket.beneficiaryOwner].includes(caller.id)) {
    throw new ForbiddenError('Nobody reassigns the approval of a ticket they requested or benefit from');
  }
  if (!stage || openStageIndex(ticket) !== stageIndex) {
    throw new ConflictError(
      stage?.decision
        ? `This stage was already decided by ${stage.decidedBy}`
        : 'This ticket is no longer waiting for this decision',
    );
  }
  assertBeforeDeadline(stage.deadline, now);
}

/**
 * The stage asks `to` alone from now on (its delegates leave with the people they stood in for);
 * the ticket is left as it is when `to` is its only candidate already. Separation of duties is
 * checked before (separation-of-duties.ts `approverExclusion`).
 */
export function reassignStage(
  ticket: Ticket,
  stageIndex: number,
  handOver: { to: string; reason: string; by: string; at: string },
): Ticket {
  const stage = ticket.approvals[stageIndex];
  if (!stage || (stage.candidates.length === 1 && stage.candidates[0] === handOver.to)) return ticket;
  const { delegates, ...kept } = stage;
  const reassignedFrom = [...new Set([...(stage.reassignedFrom ?? []), ...stage.candidates])].filter(
    (id) => id !== handOver.to,
  );
  const approvals = ticket.approvals.map((approval, index) =>
    index === stageIndex ? { ...kept, candidates: [handOver.to], reassignedFrom } : approval,
  );
  return applyChange(
    ticket,
    {
      type: 'reassigned',
      at: handOver.at,
      actor: handOver.by,
      reason: handOver.reason,
      data: { stage: stage.stage, index: stageIndex, from: stage.candidates, to: handOver.to },
    },
    { approvals },
  );
}
