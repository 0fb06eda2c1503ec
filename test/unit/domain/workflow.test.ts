import { describe, expect, it } from 'vitest';
import { ConflictError, DeadlinePassedError, ForbiddenError } from '../../../functions/domain/errors';
import { pendingApproval } from '../../../functions/domain/routing';
import type { Ticket } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import {
  applyApprovals,
  assertMayDecide,
  assertMayFulfil,
  completeFulfilment,
  eligibleFulfillers,
  openFulfilment,
  openStage,
  recordDecision,
  recordedAnswer,
  recordedOutcome,
  recordFailure,
  recordFulfilment,
  stageToOpen,
  timeOut,
} from '../../../functions/domain/workflow';
import { person } from './fixtures';
import { ticket as baseTicket, endingAt, fulfilmentBy } from './tickets';

const at = '2026-01-01T01:00:00.000Z';
const now = new Date(at);
const lead = person('lead@x.com');
const chief = person('chief@x.com');
const helpdesk = person('help@x.com');

const manualFulfilment = fulfilmentBy([helpdesk.id, lead.id, 'dev@x.com']);

function waiting(overrides: Partial<Ticket> = {}): Ticket {
  const routed = baseTicket({
    approvals: [pendingApproval({ stage: 'manager', candidates: [lead.id], path: [lead.id] })],
    fulfilment: manualFulfilment,
    ...overrides,
  });
  return openStage(routed, 0, endingAt('2026-01-04T00:00:00.000Z'), at);
}

const approvedBy = (ticket: Ticket, who = lead) =>
  applyApprovals(
    recordDecision(ticket, 0, { by: who.id, decision: 'approve', comment: null, via: 'link', at }),
    at,
  ).ticket;

describe('deciding a stage', () => {
  it('lets the named approver decide once', () => {
    // Prepare
    const ticket = waiting();
    // Act
    assertMayDecide(ticket, 0, lead, now);
    const decided = recordDecision(ticket, 0, {
      by: lead.id,
      decision: 'approve',
      comment: 'ok',
      via: 'inbox',
      at,
    });
    // Assess
    expect(decided.approvals[0]).toMatchObject({
      decidedBy: lead.id,
      decision: 'approve',
      via: 'inbox',
      comment: 'ok',
    });
    expect(() => assertMayDecide(decided, 0, lead, now)).toThrow(ConflictError);
  });

  it('refuses anyone who is not a candidate of the stage', () => {
    expect(() => assertMayDecide(waiting(), 0, chief, now)).toThrow(ForbiddenError);
  });

  it('refuses a candidate who is a party to the ticket', () => {
    const selfApproval = waiting({ requester: lead.id });
    expect(() => assertMayDecide(selfApproval, 0, lead, now)).toThrow(/requested or benefit/);
  });

  it('closes as rejected on a denial and goes to fulfilment on the last approval', () => {
    // Act
    const denied = applyApprovals(
      recordDecision(waiting(), 0, { by: lead.id, decision: 'deny', comment: 'no', via: 'link', at }),
      at,
    );
    const approved = applyApprovals(
      recordDecision(waiting(), 0, { by: lead.id, decision: 'approve', comment: null, via: 'link', at }),
      at,
    );
    // Assess
    expect(denied).toMatchObject({ next: 'done', ticket: { status: 'closed', closure: 'rejected' } });
    expect(approved).toMatchObject({ next: 'fulfilment', ticket: { status: 'fulfilling' } });
    expect(findBrokenLink(approved.ticket.timeline)).toBeNull();
  });

  it('closes as timed_out when nobody decides before the deadline', () => {
    expect(timeOut(waiting(), at)).toMatchObject({ status: 'closed', closure: 'timed_out' });
  });
});

describe('fulfilling', () => {
  it('never lets the beneficiary, nor the sole approver, fulfil', () => {
    // Prepare
    const ticket = approvedBy(waiting());
    // Act
    const eligible = eligibleFulfillers(ticket);
    // Assess
    expect(eligible).toEqual([helpdesk.id]);
    expect(() => assertMayFulfil(ticket, lead, now)).toThrow(ForbiddenError);
    expect(() => assertMayFulfil(ticket, person('dev@x.com'), now)).toThrow(ForbiddenError);
    expect(() => assertMayFulfil(ticket, helpdesk, now)).not.toThrow();
  });

  it('accepts one report only', () => {
    // Prepare
    const reported = recordFulfilment(
      openFulfilment(approvedBy(waiting()), endingAt('2026-01-05T00:00:00.000Z'), at),
      {
        by: helpdesk.id,
        result: 'done',
        note: null,
        at,
        via: 'link',
      },
    );
    // Act + Assess
    expect(() => assertMayFulfil(reported, helpdesk, now)).toThrow(ConflictError);
  });

  it('activates time-bound access with its grant, closes standing access as fulfilled with a grant without end, and a failure with none', () => {
    // Prepare
    const report = (result: 'done' | 'failed', duration: string | null) =>
      recordFulfilment(approvedBy(waiting({ duration })), {
        by: helpdesk.id,
        result,
        note: null,
        at,
        via: 'link',
      });
    // Act + Assess
    expect(completeFulfilment(report('done', 'P1D'), now)).toMatchObject({
      status: 'active',
      grant: { id: 'G01J0000000000000000000000', from: at, until: '2026-01-02T01:00:00.000Z' },
    });
    expect(completeFulfilment(report('done', null), now)).toMatchObject({
      status: 'closed',
      closure: 'fulfilled',
      grant: { id: 'G01J0000000000000000000000', from: at, until: null },
    });
    expect(completeFulfilment(report('failed', 'P1D'), now)).toMatchObject({
      status: 'closed',
      closure: 'failed',
      grant: null,
    });
  });

  it('shortens a grant by the time scale, as demos and tests run it', () => {
    // Prepare
    const reported = recordFulfilment(approvedBy(waiting({ duration: 'PT10H' })), {
      by: helpdesk.id,
      result: 'done',
      note: null,
      at,
      via: 'link',
    });
    // Act
    const active = completeFulfilment(reported, now, 0.001);
    // Assess: ten hours at a thousandth are 36 seconds.
    expect(active.grant?.until).toBe('2026-01-01T01:00:36.000Z');
  });

  it('closes as auto_rejected when nobody eligible is left to fulfil', () => {
    // Prepare: the only fulfiller is the sole approver.
    const ticket = approvedBy(
      waiting({
        fulfilment: { ...manualFulfilment, fulfillers: [lead.id] },
      }),
    );
    // Act
    const opened = openFulfilment(ticket, endingAt('2026-01-05T00:00:00.000Z'), at);
    // Assess
    expect(opened).toMatchObject({ status: 'closed', closure: 'auto_rejected' });
    expect(opened.timeline.at(-1)).toMatchObject({ reason: 'no_eligible_fulfiller', from: 'fulfilling' });
  });

  it('lets a support queue member work a support ticket they filed themselves', () => {
    // Prepare
    const support = baseTicket({
      type: 'support',
      requester: helpdesk.id,
      beneficiary: helpdesk.id,
      fulfilment: { ...manualFulfilment, fulfillers: [helpdesk.id], queue: 'service-desk' },
    });
    // Act + Assess
    expect(eligibleFulfillers(support)).toEqual([helpdesk.id]);
  });
});

describe('deadlines', () => {
  const deadline = '2026-01-04T00:00:00.000Z';
  const justAfter = new Date('2026-01-04T00:00:00.000Z');

  it('refuses a decision at or after the final deadline, with deadline_passed', () => {
    // Act + Assess
    expect(() => assertMayDecide(waiting(), 0, lead, justAfter)).toThrow(DeadlinePassedError);
    expect(() => assertMayDecide(waiting(), 0, lead, new Date(Date.parse(deadline) - 1))).not.toThrow();
  });

  it('refuses a fulfilment report after the fulfilment deadline', () => {
    // Prepare
    const fulfilling = openFulfilment(approvedBy(waiting()), endingAt(deadline), at);
    // Act + Assess
    expect(() => assertMayFulfil(fulfilling, helpdesk, justAfter)).toThrow(DeadlinePassedError);
  });

  it('says a stage decision recorded before the deadline is the outcome the timeout applies', () => {
    // Prepare
    const decided = recordDecision(waiting(), 0, {
      by: lead.id,
      decision: 'approve',
      comment: null,
      via: 'link',
      at,
    });
    // Act + Assess
    expect(recordedOutcome(decided)).toBe('approval');
    expect(recordedOutcome(waiting())).toBeNull();
  });

  it('says a fulfilment report recorded before the deadline is the outcome the timeout applies', () => {
    // Prepare
    const fulfilling = openFulfilment(approvedBy(waiting()), endingAt(deadline), at);
    const reported = recordFulfilment(fulfilling, {
      by: helpdesk.id,
      result: 'done',
      note: null,
      at,
      via: 'inbox',
    });
    // Act + Assess
    expect(recordedOutcome(reported)).toBe('fulfilment');
    expect(recordedOutcome(fulfilling)).toBeNull();
  });
});

describe('later stages', () => {
  function twoStages(): Ticket {
    const first = waiting();
    return {
      ...first,
      approvals: [...first.approvals, pendingApproval({ stage: 'system_owner', candidates: [], path: [] })],
    };
  }

  it('stays waiting after the first approval, with the second stage to open', () => {
    // Prepare
    const { ticket, next } = applyApprovals(
      recordDecision(twoStages(), 0, { by: lead.id, decision: 'approve', comment: null, via: 'link', at }),
      at,
    );
    // Assess
    expect(next).toBe('approval');
    expect(ticket.status).toBe('pending_approval');
    expect(stageToOpen(ticket)).toBe(1);
  });

  it('opens the second stage with the people resolved for it and its deadline', () => {
    // Prepare
    const ticket = approvedBy(twoStages());
    // Act
    const opened = openStage(ticket, 1, endingAt('2026-01-06T00:00:00.000Z'), at, {
      stage: 'system_owner',
      candidates: [chief.id],
      path: [chief.id],
    });
    // Assess
    expect(opened.approvals[1]).toMatchObject({
      candidates: [chief.id],
      deadline: '2026-01-06T00:00:00.000Z',
    });
    expect(opened.timeline.at(-1)).toMatchObject({
      type: 'stage_opened',
      data: { index: 1, stage: 'system_owner' },
    });
    expect(stageToOpen(opened)).toBeNull();
  });

  it('closes as auto_rejected with no_eligible_approver when the stage can go to nobody', () => {
    // Prepare
    const ticket = approvedBy(twoStages());
    // Act
    const closed = openStage(ticket, 1, endingAt('2026-01-06T00:00:00.000Z'), at, null);
    // Assess
    expect(closed).toMatchObject({ status: 'closed', closure: 'auto_rejected' });
    expect(closed.timeline.at(-1)?.reason).toBe('no_eligible_approver');
  });

  it('answers a retried wait with the decision on record, and a live wait with nothing', () => {
    // Prepare
    const decided = recordDecision(waiting(), 0, {
      by: lead.id,
      decision: 'deny',
      comment: null,
      via: 'link',
      at,
    });
    // Act + Assess
    expect(recordedAnswer(decided, 'approval', 0)).toEqual({ decision: 'deny' });
    expect(recordedAnswer(waiting(), 'approval', 0)).toBeNull();
    expect(recordedAnswer(recordFailure(waiting(), at, { name: 'X', cause: '' }), 'approval', 0)).toEqual({});
  });
});

describe('a failed workflow', () => {
  it('closes an open ticket as failed with the error, and leaves a closed one alone', () => {
    // Act
    const failed = recordFailure(waiting(), at, { name: 'TransientError', cause: 'SES down' });
    // Assess
    expect(failed).toMatchObject({ status: 'closed', closure: 'failed' });
    expect(failed.timeline.at(-1)?.data).toMatchObject({ error: 'TransientError' });
    expect(recordFailure(failed, at, { name: 'Other', cause: '' })).toBe(failed);
  });
});
