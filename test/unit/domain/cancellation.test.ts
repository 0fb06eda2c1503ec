import { describe, expect, it } from 'vitest';
import {
  cancel,
  executionStopDue,
  recordExecutionStopped,
  waitingOn,
} from '../../../functions/domain/cancellation';
import {
  CancelledError,
  ConflictError,
  ForbiddenError,
  InvalidTransitionError,
} from '../../../functions/domain/errors';
import { canTransition } from '../../../functions/domain/lifecycle';
import { pendingApproval } from '../../../functions/domain/routing';
import { applyChange, type Ticket } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import {
  applyApprovals,
  assertMayDecide,
  assertMayFulfil,
  completeFulfilment,
  openFulfilment,
  openStage,
  passCheckpoint,
  recordDecision,
  recordFulfilment,
} from '../../../functions/domain/workflow';
import { person } from './fixtures';
import { ticket as baseTicket, endingAt, fulfilmentBy } from './tickets';

const at = '2026-01-01T01:00:00.000Z';
const now = new Date(at);
const requester = 'dev@x.com';
const lead = person('lead@x.com');
const chief = 'chief@x.com';
const helpdesk = person('help@x.com');

const manualFulfilment = fulfilmentBy([helpdesk.id]);

/** Waiting for the manager's approval, stage 0 opened with its deadlines. */
function pending(overrides: Partial<Ticket> = {}): Ticket {
  const routed = baseTicket({
    approvals: [pendingApproval({ stage: 'manager', candidates: [lead.id], path: [lead.id] })],
    fulfilment: manualFulfilment,
    ...overrides,
  });
  return openStage(routed, 0, endingAt('2026-01-04T00:00:00.000Z'), at);
}

/** Approved, and the fulfiller asked. */
function fulfilling(overrides: Partial<Ticket> = {}): Ticket {
  const decided = recordDecision(pending(overrides), 0, {
    by: lead.id,
    decision: 'approve',
    comment: null,
    via: 'link',
    at,
  });
  return openFulfilment(applyApprovals(decided, at).ticket, endingAt('2026-01-05T00:00:00.000Z'), at);
}

/** Time-bound access, granted. */
function active(): Ticket {
  const reported = recordFulfilment(fulfilling({ duration: 'P7D' }), {
    by: helpdesk.id,
    result: 'done',
    note: null,
    at,
    via: 'link',
  });
  return completeFulfilment(reported, now);
}

const byRequester = { by: requester, cause: 'requester' as const, reason: 'Not needed any more', at };

describe('cancelling a ticket', () => {
  it('closes a ticket waiting for approval as cancelled, with who, why and how in the timeline', () => {
    // Act
    const cancelled = cancel(pending(), byRequester);

    // Assess
    expect(cancelled).toMatchObject({ status: 'closed', closure: 'cancelled' });
    expect(cancelled.timeline.at(-1)).toMatchObject({
      type: 'cancelled',
      actor: requester,
      reason: 'Not needed any more',
      from: 'pending_approval',
      to: 'closed',
      data: { cause: 'requester', closure: 'cancelled' },
    });
    expect(findBrokenLink(cancelled.timeline)).toBeNull();
  });

  it('cancels a ticket in every status before it closes: submitted, fulfilling, and active', () => {
    // Act
    const cancelled = [baseTicket(), fulfilling(), active()].map((ticket) => cancel(ticket, byRequester));

    // Assess
    expect(
      cancelled.map((ticket) => [ticket.timeline.findLast((e) => e.type === 'cancelled')?.from]),
    ).toEqual([['submitted'], ['fulfilling'], ['active']]);
    for (const ticket of cancelled) expect(ticket).toMatchObject({ status: 'closed', closure: 'cancelled' });
  });

  it('asks for the revocation of access already provisioned, naming the grant, on behalf of whoever cancelled', () => {
    // Prepare
    const granted = active();

    // Act
    const cancelled = cancel(granted, byRequester);

    // Assess
    expect(cancelled.grant).toEqual(granted.grant);
    expect(cancelled.timeline.slice(-2).map((event) => event.type)).toEqual([
      'cancelled',
      'revocation_requested',
    ]);
    expect(cancelled.timeline.at(-1)).toMatchObject({
      actor: byRequester.by,
      data: { grant: granted.grant?.id, endReason: 'revoked' },
    });
    expect(cancelled.revocation).toMatchObject({
      reason: 'revoked',
      requestedBy: byRequester.by,
      execution: `${granted.grant?.id}-revoke`,
    });
  });

  it('refuses anyone but the requester when the requester is the cause', () => {
    expect(() => cancel(pending(), { ...byRequester, by: lead.id })).toThrow(ForbiddenError);
  });

  it('lets an identity change cancel on behalf of whoever reported it', () => {
    // Act
    const cancelled = cancel(pending(), { by: 'hr', cause: 'identity_change', reason: 'Left', at });

    // Assess
    expect(cancelled.timeline.at(-1)).toMatchObject({
      type: 'cancelled',
      actor: 'hr',
      data: { cause: 'identity_change' },
    });
  });

  it('refuses a ticket cancelled already with the reason, and any other closed ticket as closed', () => {
    // Prepare
    const cancelled = cancel(pending(), byRequester);
    const rejected = applyApprovals(
      recordDecision(pending(), 0, { by: lead.id, decision: 'deny', comment: 'no', via: 'link', at }),
      at,
    ).ticket;

    // Act + Assess
    expect(() => cancel(cancelled, byRequester)).toThrow(CancelledError);
    expect(() => cancel(rejected, byRequester)).toThrow(/closed already \(rejected\)/);
    expect(() => cancel(rejected, byRequester)).toThrow(ConflictError);
  });

  it('refuses a ticket whose access is being revoked already', () => {
    // Prepare
    const revoking = applyChange(active(), { type: 'revoking', at, actor: 'tollgate', to: 'revoking' });

    // Act + Assess
    expect(() => cancel(revoking, byRequester)).toThrow(/being revoked already/);
  });

  it('lets an access ticket close as cancelled from active, and as nothing else from there', () => {
    expect(canTransition('access', 'active', 'closed', 'cancelled')).toBe(true);
    expect(canTransition('access', 'active', 'closed', 'failed')).toBe(false);
    expect(() =>
      applyChange(active(), { type: 'closed', at, actor: 'x', to: 'closed', closure: 'rejected' }),
    ).toThrow(InvalidTransitionError);
  });
});

describe('what a cancelled ticket answers those still asked', () => {
  it('answers the approver of the open stage that the request was cancelled', () => {
    // Prepare
    const cancelled = cancel(pending(), byRequester);

    // Act + Assess
    expect(() => assertMayDecide(cancelled, 0, lead, now)).toThrow('This request was cancelled');
    expect(() => assertMayDecide(cancelled, 0, lead, now)).toThrow(CancelledError);
  });

  it('still answers someone who was never an approver of the stage as not entitled', () => {
    expect(() => assertMayDecide(cancel(pending(), byRequester), 0, person(chief), now)).toThrow(
      ForbiddenError,
    );
  });

  it('answers the fulfiller that the request was cancelled, even past the deadline', () => {
    // Prepare
    const cancelled = cancel(fulfilling(), byRequester);

    // Act + Assess
    expect(() => assertMayFulfil(cancelled, helpdesk, new Date('2026-02-01T00:00:00.000Z'))).toThrow(
      CancelledError,
    );
  });
});

describe('stopping the execution of a cancelled ticket', () => {
  it('is due from the cancellation until the stop is recorded, and recording it again changes nothing', () => {
    // Prepare
    const cancelled = cancel(pending(), byRequester);

    // Act
    const stopped = recordExecutionStopped(cancelled, at, 'stopped');

    // Assess
    expect(executionStopDue(pending())).toBe(false);
    expect(executionStopDue(cancelled)).toBe(true);
    expect(executionStopDue(stopped)).toBe(false);
    expect(stopped.timeline.at(-1)).toMatchObject({
      type: 'execution_stopped',
      actor: 'tollgate',
      data: { execution: 'stopped' },
    });
    expect(recordExecutionStopped(stopped, at, 'stopped')).toBe(stopped);
  });
});

describe('who is told of a cancellation', () => {
  it('tells the approvers of the open stage, those the escalation reached included', () => {
    // Prepare: past the escalation time of stage 0, the stage went to the chief too
    const escalated = passCheckpoint(pending(), new Date('2026-01-03T23:30:00.000Z'), [chief]);

    // Act
    const waiting = waitingOn(escalated);

    // Assess
    expect(waiting).toEqual({ kind: 'approval', people: [lead.id, chief] });
  });

  it('tells the eligible fulfillers of an open fulfilment, and the owner it was escalated to', () => {
    // Prepare
    const escalated = passCheckpoint(fulfilling(), new Date('2026-01-04T23:30:00.000Z'), ['owner@x.com']);

    // Act
    const waiting = waitingOn(escalated);

    // Assess
    expect(waiting).toEqual({ kind: 'fulfilment', people: [helpdesk.id, 'owner@x.com'] });
  });

  it('tells nobody else when nobody was asked yet, or access is granted already', () => {
    expect(waitingOn(baseTicket())).toBeNull();
    expect(waitingOn(active())).toBeNull();
  });
});
