import { checkpointDue, nextCheckpoint, type WaitDeadlines, type WaitState } from './deadlines';
import type { Identity } from './directory';
import { addDuration, parseDuration } from './duration';
import {
  CancelledError,
  ConflictError,
  DeadlinePassedError,
  ForbiddenError,
  ReassignedError,
} from './errors';
import { expiryNoticeAt } from './extension';
import { grantEndDue, markRevocationOverdue, openRevocationWait } from './revocation';
import type { NobodyEligible, StageAssignment } from './routing';
import { firstResponseAt } from './support';
import { type Approval, applyChange, type Ticket } from './ticket';

/**
 * The rules of the approval and fulfilment steps. Handlers record what a person decided; the
 * workflow applies what follows from it. Both go through these functions, so the rules live here.
 */

export type Decision = 'approve' | 'deny';
export type Via = 'link' | 'inbox';

/** The stage that is waiting for a decision, if the ticket is waiting for one. */
export function openStageIndex(ticket: Ticket): number | null {
  if (ticket.status !== 'pending_approval') return null;
  const index = ticket.approvals.findIndex((approval) => approval.decision === null);
  return index === -1 ? null : index;
}

/**
 * Opens a stage with its deadline; a later stage also gets the people resolved for it now (the
 * first got them at intake). Nobody left to ask closes the ticket as `auto_rejected`.
 */
export function openStage(
  ticket: Ticket,
  index: number,
  deadlines: WaitDeadlines,
  at: string,
  assignment?: StageAssignment | null,
): Ticket {
  if (assignment === null) return closeWithNobodyEligible(ticket, 'no_eligible_approver', at);
  const approvals = ticket.approvals.map((approval, i) =>
    i === index
      ? {
          ...approval,
          ...deadlines,
          phase: 'asked' as const,
          escalatedTo: [],
          ...(assignment ? stageAssigned(assignment) : {}),
        }
      : approval,
  );
  const stage = approvals[index];
  const delegates =
    stage?.delegates && Object.keys(stage.delegates).length > 0 ? { delegates: stage.delegates } : {};
  return applyChange(
    ticket,
    {
      type: 'stage_opened',
      at,
      actor: 'tollgate',
      to: 'pending_approval',
      data: {
        stage: stage?.stage,
        index,
        candidates: stage?.candidates,
        path: stage?.path,
        ...delegates,
        ...deadlines,
      },
    },
    { approvals },
  );
}

/** The people an assignment names; delegates only when it has some, so a stage without any says nothing of them. */
function stageAssigned(assignment: StageAssignment): Pick<Approval, 'candidates' | 'path' | 'delegates'> {
  const { candidates, path, delegates } = assignment;
  return delegates && Object.keys(delegates).length > 0
    ? { candidates, path, delegates }
    : { candidates, path };
}

/** The stage the workflow must open next: the first undecided one, once every earlier one approved. */
export function stageToOpen(ticket: Ticket): number | null {
  const index = openStageIndex(ticket);
  if (index === null || ticket.approvals.some((approval) => approval.decision === 'deny')) return null;
  return ticket.approvals[index]?.deadline === null ? index : null;
}

/**
 * Separation of duties left nobody to approve or fulfil: the ticket closes and says why (`data`:
 * what left nobody, when it was not routing itself).
 */
export function closeWithNobodyEligible(
  ticket: Ticket,
  reason: NobodyEligible,
  at: string,
  data?: Record<string, unknown>,
): Ticket {
  return applyChange(ticket, {
    type: 'closed',
    at,
    actor: 'tollgate',
    reason,
    to: 'closed',
    closure: 'auto_rejected',
    data,
  });
}

/** Policy refused the request at intake: the workflow closes it with the policy's reason. */
export function closeAsPolicyRefused(ticket: Ticket, at: string): Ticket {
  return applyChange(ticket, {
    type: 'closed',
    at,
    actor: 'tollgate',
    reason: ticket.decision?.reason ?? null,
    to: 'closed',
    closure: 'auto_rejected',
  });
}

/**
 * Policy, asked again before provisioning, refuses what it would now refuse at intake: the ticket
 * closes as `auto_rejected` with the policy's reason, naming the policies, version and inputs.
 */
export function refuseBeforeFulfilment(
  ticket: Ticket,
  refusal: { reason: string | null; policyIds: string[]; version: string; inputs: string },
  at: string,
): Ticket {
  return applyChange(ticket, {
    type: 'closed',
    at,
    actor: 'tollgate',
    reason: refusal.reason,
    to: 'closed',
    closure: 'auto_rejected',
    data: {
      check: 'before_fulfilment',
      policyIds: refusal.policyIds,
      version: refusal.version,
      inputs: refusal.inputs,
    },
  });
}

/**
 * Separation of duties at the moment of deciding: only a named candidate of the open stage, never
 * a party to the ticket, and never someone who already decided another stage.
 */
export function assertMayDecide(ticket: Ticket, stageIndex: number, caller: Identity, now: Date): void {
  const stage = ticket.approvals[stageIndex];
  assertAsked(stage, caller.id);
  assertNotCancelled(ticket);
  if (stage.decision === null) assertBeforeDeadline(stage.deadline, now);
  if (openStageIndex(ticket) !== stageIndex) {
    throw new ConflictError(
      stage.decision
        ? `This stage was already decided by ${stage.decidedBy}`
        : 'This ticket is no longer waiting for this decision',
    );
  }
  const parties = [ticket.requester, ticket.beneficiary, ticket.beneficiaryOwner];
  if (parties.includes(caller.id))
    throw new ForbiddenError('Nobody approves a ticket they requested or benefit from');
  if (ticket.approvals.some((approval) => approval.decidedBy === caller.id)) {
    throw new ForbiddenError('One person decides at most one stage of a ticket');
  }
}

/**
 * Only the people a stage asks now may act on it. Whoever handed it on (a reassignment) is told
 * that it is no longer theirs, a conflict like any decision that comes too late; anyone else is
 * refused.
 */
export function assertAsked(stage: Approval | undefined, id: string): asserts stage is Approval {
  if (stage?.candidates.includes(id)) return;
  if (stage?.reassignedFrom?.includes(id)) {
    throw new ReassignedError(
      `This approval was reassigned to ${stage.candidates.join(', ')}: it is no longer yours to decide`,
    );
  }
  throw new ForbiddenError(`${id} is not an approver of this stage`);
}

export function recordDecision(
  ticket: Ticket,
  stageIndex: number,
  decision: { by: string; decision: Decision; comment: string | null; via: Via; at: string },
): Ticket {
  const approvals = ticket.approvals.map((approval, i) =>
    i === stageIndex
      ? {
          ...approval,
          decidedBy: decision.by,
          decision: decision.decision,
          at: decision.at,
          comment: decision.comment,
          via: decision.via,
        }
      : approval,
  );
  return applyChange(
    ticket,
    {
      type: decision.decision === 'approve' ? 'approved' : 'denied',
      at: decision.at,
      actor: decision.by,
      reason: decision.comment,
      data: { stage: approvals[stageIndex]?.stage, via: decision.via },
    },
    { approvals },
  );
}

/** After a decision: a denial closes the ticket, the last approval sends it to fulfilment. */
export function applyApprovals(ticket: Ticket, at: string): { ticket: Ticket; next: WaitKind | 'done' } {
  if (ticket.status !== 'pending_approval') return { ticket, next: nextStepFor(ticket) };
  const denied = ticket.approvals.find((approval) => approval.decision === 'deny');
  if (denied) {
    const closed = applyChange(ticket, {
      type: 'closed',
      at,
      actor: denied.decidedBy ?? 'tollgate',
      reason: denied.comment,
      to: 'closed',
      closure: 'rejected',
    });
    return { ticket: closed, next: 'done' };
  }
  if (ticket.approvals.some((approval) => approval.decision === null)) return { ticket, next: 'approval' };
  return {
    ticket: applyChange(ticket, { type: 'approved_all', at, actor: 'tollgate', to: 'fulfilling' }),
    next: 'fulfilment',
  };
}

/** The waits for people a ticket goes through: its approval stages, its fulfilment, the end of its access. */
export type WaitKind = 'approval' | 'fulfilment' | 'revoke';

export function nextStepFor(ticket: Ticket): WaitKind | 'done' {
  if (ticket.status === 'pending_approval') return 'approval';
  if (ticket.status === 'fulfilling' && ticket.fulfilment?.result === null) return 'fulfilment';
  if (openRevocationWait(ticket)) return 'revoke';
  return 'done';
}

/**
 * Fulfillers who may act: nobody fulfils a grant to themselves, and the ticket's sole approver
 * never fulfils it. A support ticket grants nothing: its queue serves everyone, its members too.
 */
export function eligibleFulfillers(ticket: Ticket): string[] {
  const fulfillers = ticket.fulfilment?.fulfillers ?? [];
  if (ticket.type === 'support') return fulfillers;
  const approvers = new Set(
    ticket.approvals.map((approval) => approval.decidedBy).filter((id) => id !== null),
  );
  const soleApprover = approvers.size === 1 ? [...approvers][0] : undefined;
  return fulfillers.filter(
    (id) => id !== ticket.beneficiary && id !== ticket.beneficiaryOwner && id !== soleApprover,
  );
}

/**
 * When a grant given now for `duration` ends, null for standing access. The calendar decides the
 * span (a month from 31 January ends with February); the scale shortens it.
 */
export function grantUntil(duration: string | null, now: Date, secondScale: number): string | null {
  const parsed = duration ? parseDuration(duration) : null;
  if (parsed === null) return null;
  const span = addDuration(now, parsed).getTime() - now.getTime();
  return new Date(now.getTime() + span * secondScale).toISOString();
}

/** A ticket's grant, named before it exists too: what a provisioning webhook asks for. */
export const grantIdOf = (ticketId: string) => `G${ticketId}`;

export function assertMayFulfil(ticket: Ticket, caller: Identity, now: Date): void {
  if (!ticket.fulfilment?.fulfillers.includes(caller.id))
    throw new ForbiddenError(`${caller.id} is not a fulfiller of this ticket`);
  assertNotCancelled(ticket);
  if (ticket.fulfilment.result === null) assertBeforeDeadline(ticket.fulfilment.deadline, now);
  if (!eligibleFulfillers(ticket).includes(caller.id)) {
    throw new ForbiddenError('A fulfiller may not fulfil a grant to themselves, nor one they alone approved');
  }
  assertAwaitsFulfilment(ticket);
}

/** The system's integration reports on a ticket provisioned by webhook: it must still be waiting. */
export function assertMayReportByWebhook(ticket: Ticket, now: Date): void {
  assertNotCancelled(ticket);
  if (ticket.fulfilment?.result === null) assertBeforeDeadline(ticket.fulfilment.deadline, now);
  assertAwaitsFulfilment(ticket);
}

function assertAwaitsFulfilment(ticket: Ticket): void {
  if (ticket.status !== 'fulfilling' || !ticket.fulfilment || ticket.fulfilment.result !== null) {
    throw new ConflictError(
      ticket.fulfilment?.result
        ? `Fulfilment was already reported by ${ticket.fulfilment.by}`
        : 'This ticket is not waiting for fulfilment',
    );
  }
}

/**
 * Asks the fulfillers; when separation of duties leaves none of a manual system's, the ticket
 * closes. A support ticket's first two checkpoints are its service levels, kept as `sla` too (with
 * a first response that came before it was queued).
 */
export function openFulfilment(ticket: Ticket, deadlines: WaitDeadlines, at: string): Ticket {
  if (!ticket.fulfilment) return ticket;
  if (ticket.fulfilment.mode === 'manual' && eligibleFulfillers(ticket).length === 0) {
    return closeWithNobodyEligible(ticket, 'no_eligible_fulfiller', at);
  }
  const sla =
    ticket.type === 'support'
      ? {
          firstResponseDue: deadlines.reminderAt,
          resolutionDue: deadlines.escalationAt,
          firstResponseAt: firstResponseAt(ticket),
          breaches: [],
        }
      : ticket.sla;
  return applyChange(
    ticket,
    {
      type: 'fulfilment_requested',
      at,
      actor: 'tollgate',
      data: { fulfillers: eligibleFulfillers(ticket), ...deadlines },
    },
    { fulfilment: { ...ticket.fulfilment, ...deadlines, phase: 'asked', escalatedTo: [] }, sla },
  );
}

export function recordFulfilment(
  ticket: Ticket,
  report: { by: string; result: 'done' | 'failed'; note: string | null; at: string; via: Via | 'webhook' },
): Ticket {
  if (!ticket.fulfilment) return ticket;
  return applyChange(
    ticket,
    {
      type: 'fulfilment_reported',
      at: report.at,
      actor: report.by,
      reason: report.note,
      data: { result: report.result, via: report.via },
    },
    {
      fulfilment: {
        ...ticket.fulfilment,
        result: report.result,
        by: report.by,
        at: report.at,
        note: report.note,
      },
    },
  );
}

/**
 * After the fulfilment report: time-bound access becomes an active grant (its `until` from the
 * ticket's duration, its span shortened by `secondScale` in demos and tests); standing access
 * closes the ticket as fulfilled with a grant that has no `until`; support closes. The grant's id
 * derives from the ticket, so a repeated step names the same grant.
 */
export function completeFulfilment(ticket: Ticket, now: Date, secondScale = 1): Ticket {
  if (ticket.status !== 'fulfilling' || !ticket.fulfilment?.result) return ticket;
  const at = now.toISOString();
  if (ticket.fulfilment.result === 'failed') {
    return applyChange(ticket, {
      type: 'closed',
      at,
      actor: 'tollgate',
      reason: ticket.fulfilment.note,
      to: 'closed',
      closure: 'failed',
    });
  }
  if (ticket.type !== 'access') {
    return applyChange(ticket, { type: 'closed', at, actor: 'tollgate', to: 'closed', closure: 'fulfilled' });
  }
  const until = grantUntil(ticket.duration, now, secondScale);
  if (until === null) {
    // Standing access: the ticket is done, the grant it leaves stays in force until revoked.
    const grant = { id: grantIdOf(ticket.id), from: at, until: null };
    return applyChange(
      ticket,
      { type: 'closed', at, actor: 'tollgate', to: 'closed', closure: 'fulfilled', data: { grant } },
      { grant },
    );
  }
  const grant = {
    id: grantIdOf(ticket.id),
    from: at,
    until,
    noticeAt: expiryNoticeAt(at, until, secondScale),
  };
  return applyChange(
    ticket,
    { type: 'granted', at, actor: 'tollgate', to: 'active', data: { grant } },
    { grant },
  );
}

/**
 * A cancelled ticket refuses every decision and report still out with the reason, before the
 * deadline or the state of the wait is looked at: those asked learn why, not that it was decided.
 */
export function assertNotCancelled(ticket: Pick<Ticket, 'closure'>): void {
  if (ticket.closure === 'cancelled') throw new CancelledError();
}

/**
 * The final deadline refuses what comes after it, so that a decision and the timeout exclude each
 * other: what was recorded before it is applied by the timeout step (see recordedOutcome).
 */
export function assertBeforeDeadline(deadline: string | null, now: Date): void {
  if (deadline !== null && now.getTime() >= Date.parse(deadline)) {
    throw new DeadlinePassedError(`The deadline of this step passed at ${deadline}`);
  }
}

/**
 * A decision or fulfilment report on record that the workflow has not acted on yet (its delivery
 * failed, or it arrived just as the wait timed out): the step it ends is the one to apply.
 */
export function recordedOutcome(ticket: Ticket): WaitKind | null {
  if (grantEndDue(ticket)) return 'revoke';
  if (ticket.status === 'fulfilling') return ticket.fulfilment?.result ? 'fulfilment' : null;
  if (ticket.status !== 'pending_approval') return null;
  const open = openStageIndex(ticket);
  const waitingStageOpened = open !== null && ticket.approvals[open]?.deadline !== null;
  const denied = ticket.approvals.some((approval) => approval.decision === 'deny');
  return denied || !waitingStageOpened ? 'approval' : null;
}

/**
 * What is on record for one wait of the workflow (approval stage `stageIndex`, or fulfilment), or
 * null while that wait still needs a person: a retried notify step answers its new task token with
 * it at once, rather than leave the execution waiting on a token nobody will use.
 */
export function recordedAnswer(
  ticket: Ticket,
  kind: WaitKind,
  stageIndex: number | null,
): Record<string, string> | null {
  if (kind === 'revoke') {
    if (openRevocationWait(ticket)) return null;
    return ticket.revocation?.result ? { result: ticket.revocation.result } : {};
  }
  if (kind === 'fulfilment') {
    const waiting =
      ticket.status === 'fulfilling' && ticket.fulfilment?.deadline && !ticket.fulfilment.result;
    if (waiting) return null;
    return ticket.fulfilment?.result ? { result: ticket.fulfilment.result } : {};
  }
  const stage = ticket.approvals[stageIndex ?? -1];
  if (stage?.deadline && openStageIndex(ticket) === stageIndex) return null;
  return stage?.decision ? { decision: stage.decision } : {};
}

/** A wait ended at its final deadline with nothing on record. */
export function timeOut(ticket: Ticket, at: string): Ticket {
  if (ticket.status !== 'pending_approval' && ticket.status !== 'fulfilling') return ticket;
  const waitingFor = ticket.status === 'pending_approval' ? 'approval' : 'fulfilment';
  return applyChange(ticket, {
    type: 'closed',
    at,
    actor: 'tollgate',
    reason: `No ${waitingFor} before the deadline`,
    to: 'closed',
    closure: 'timed_out',
  });
}

/** The workflow could not go on: the ticket says so, rather than waiting forever. */
export function recordFailure(ticket: Ticket, at: string, error: { name: string; cause: string }): Ticket {
  if (ticket.status === 'closed' || ticket.status === 'active' || ticket.status === 'revoking') return ticket;
  return applyChange(ticket, {
    type: 'closed',
    at,
    actor: 'tollgate',
    reason: `The workflow failed: ${error.name}`,
    to: 'closed',
    closure: 'failed',
    data: { error: error.name, cause: error.cause.slice(0, 500) },
  });
}

/** The wait for people the ticket is in, if it is in one: an opened approval stage, or its fulfilment. */
export function openWait(ticket: Ticket): (WaitState & { kind: WaitKind }) | null {
  const index = openStageIndex(ticket);
  const stage = ticket.approvals[index ?? -1];
  if (stage?.deadline) return { ...stage, kind: 'approval' };
  if (ticket.status === 'fulfilling' && ticket.fulfilment?.deadline && !ticket.fulfilment.result) {
    return { ...ticket.fulfilment, kind: 'fulfilment' };
  }
  const revocation = openRevocationWait(ticket);
  return revocation ? { ...revocation, kind: 'revoke' } : null;
}

/** The instant the workflow must next look at the ticket's wait: its next checkpoint. */
export function nextWakeUp(ticket: Ticket): string | null {
  const wait = openWait(ticket);
  return wait ? nextCheckpoint(wait) : null;
}

/**
 * A checkpoint of the open wait has passed with nothing on record. A reminder asks the same people
 * again; an escalation asks (approval) or tells (fulfilment) `escalateTo` as well; the final
 * deadline closes the ticket as `timed_out`. A support ticket's first two checkpoints are its
 * service levels: passing one with the work not done is a breach, recorded when it happens.
 * Nothing passed (a timer that woke early): the ticket is left as it is.
 */
export function passCheckpoint(ticket: Ticket, now: Date, escalateTo: readonly string[]): Ticket {
  const wait = openWait(ticket);
  const checkpoint = wait ? checkpointDue(wait, now) : null;
  if (!wait || !checkpoint) return ticket;
  const at = now.toISOString();
  // A revocation's final deadline closes nothing: it is overdue, and security is asked too.
  if (checkpoint === 'final') {
    return wait.kind === 'revoke' ? markRevocationOverdue(ticket, escalateTo, at) : timeOut(ticket, at);
  }
  const phase = checkpoint === 'reminder' ? ('reminded' as const) : ('escalated' as const);
  const advanced = { phase, ...(phase === 'escalated' ? { escalatedTo: [...escalateTo] } : {}) };
  if (wait.kind === 'approval') {
    const index = openStageIndex(ticket) ?? -1;
    const approvals = ticket.approvals.map((stage, i) =>
      i === index
        ? {
            ...stage,
            ...advanced,
            candidates:
              phase === 'escalated' ? [...new Set([...stage.candidates, ...escalateTo])] : stage.candidates,
          }
        : stage,
    );
    const stage = approvals[index];
    return applyChange(
      ticket,
      {
        type: phase,
        at,
        actor: 'tollgate',
        reason: phase === 'escalated' && escalateTo.length === 0 ? 'Nobody eligible to escalate to' : null,
        data: { stage: stage?.stage, to: phase === 'escalated' ? [...escalateTo] : stage?.candidates },
      },
      { approvals },
    );
  }
  const revocation = ticket.revocation;
  if (wait.kind === 'revoke' && revocation) {
    return applyChange(
      ticket,
      {
        type: phase,
        at,
        actor: 'tollgate',
        reason: phase === 'escalated' && escalateTo.length === 0 ? 'Nobody eligible to escalate to' : null,
        data: { wait: 'revoke', to: phase === 'escalated' ? [...escalateTo] : revocation.fulfillers },
      },
      { revocation: { ...revocation, ...advanced } },
    );
  }
  const fulfilment = ticket.fulfilment;
  if (!fulfilment) return ticket;
  if (ticket.type === 'support') return breachSla(ticket, checkpoint, at, advanced);
  return applyChange(
    ticket,
    {
      type: phase,
      at,
      actor: 'tollgate',
      data: { wait: 'fulfilment', to: phase === 'escalated' ? [...escalateTo] : eligibleFulfillers(ticket) },
    },
    { fulfilment: { ...fulfilment, ...advanced } },
  );
}

/**
 * A support ticket passed a service level: each breach is an event of its own, and the queue is
 * reminded. A timer that slept through both levels (a stopped machine) records both, the first
 * response's only when nobody answered in time.
 */
function breachSla(
  ticket: Ticket,
  checkpoint: 'reminder' | 'escalation',
  at: string,
  advanced: { phase: 'reminded' | 'escalated' },
): Ticket {
  const sla = ticket.sla;
  const fulfilment = ticket.fulfilment && { ...ticket.fulfilment, ...advanced };
  if (!sla) return applyChange(ticket, { type: advanced.phase, at, actor: 'tollgate' }, { fulfilment });
  const recorded = new Set(sla.breaches.map((breach) => breach.sla));
  const answeredInTime =
    sla.firstResponseAt !== null && Date.parse(sla.firstResponseAt) <= Date.parse(sla.firstResponseDue);
  const breached = [
    ...(!answeredInTime && !recorded.has('first_response')
      ? [{ sla: 'first_response' as const, due: sla.firstResponseDue }]
      : []),
    ...(checkpoint === 'escalation' ? [{ sla: 'resolution' as const, due: sla.resolutionDue }] : []),
  ];
  if (breached.length === 0) {
    return applyChange(
      ticket,
      { type: 'sla_met', at, actor: 'tollgate', data: { sla: 'first_response' } },
      { fulfilment },
    );
  }
  return breached.reduce(
    (current, breach, i) =>
      applyChange(
        current,
        { type: 'sla_breached', at, actor: 'tollgate', data: breach },
        i === 0
          ? {
              fulfilment,
              sla: { ...sla, breaches: [...sla.breaches, ...breached.map((b) => ({ sla: b.sla, at }))] },
            }
          : {},
      ),
    ticket,
  );
}
