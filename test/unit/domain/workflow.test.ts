import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError } from '../../../functions/domain/errors';
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
  recordFailure,
  recordFulfilment,
  timeOut,
} from '../../../functions/domain/workflow';
import { person } from './fixtures';
import { ticket as baseTicket } from './tickets';

const at = '2026-01-01T01:00:00.000Z';
const lead = person('lead@x.com');
const chief = person('chief@x.com');
const helpdesk = person('help@x.com');

function waiting(overrides: Partial<Ticket> = {}): Ticket {
  const routed = baseTicket({
    approvals: [
      {
        stage: 'manager',
        candidates: [lead.id],
        decidedBy: null,
        decision: null,
        at: null,
        comment: null,
        via: null,
        deadline: null,
        path: [lead.id],
      },
    ],
    fulfilment: {
      mode: 'manual',
      fulfillers: [helpdesk.id, lead.id, 'dev@x.com'],
      queue: null,
      result: null,
      by: null,
      at: null,
      note: null,
      deadline: null,
    },
    ...overrides,
  });
  return openStage(routed, 0, '2026-01-04T00:00:00.000Z', at);
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
    assertMayDecide(ticket, 0, lead);
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
    expect(() => assertMayDecide(decided, 0, lead)).toThrow(ConflictError);
  });

  it('refuses anyone who is not a candidate of the stage', () => {
    expect(() => assertMayDecide(waiting(), 0, chief)).toThrow(ForbiddenError);
  });

  it('refuses a candidate who is a party to the ticket', () => {
    const selfApproval = waiting({ requester: lead.id });
    expect(() => assertMayDecide(selfApproval, 0, lead)).toThrow(/requested or benefit/);
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
    expect(() => assertMayFulfil(ticket, lead)).toThrow(ForbiddenError);
    expect(() => assertMayFulfil(ticket, person('dev@x.com'))).toThrow(ForbiddenError);
    expect(() => assertMayFulfil(ticket, helpdesk)).not.toThrow();
  });

  it('accepts one report only', () => {
    // Prepare
    const reported = recordFulfilment(openFulfilment(approvedBy(waiting()), '2026-01-05T00:00:00.000Z', at), {
      by: helpdesk.id,
      result: 'done',
      note: null,
      at,
      via: 'link',
    });
    // Act + Assess
    expect(() => assertMayFulfil(reported, helpdesk)).toThrow(ConflictError);
  });

  it('activates time-bound access with its grant, and closes the rest as fulfilled or failed', () => {
    // Prepare
    const report = (result: 'done' | 'failed') =>
      recordFulfilment(approvedBy(waiting()), { by: helpdesk.id, result, note: null, at, via: 'link' });
    const grant = { id: 'G1', from: at, until: '2026-01-02T01:00:00.000Z' };
    // Act + Assess
    expect(completeFulfilment(report('done'), at, grant)).toMatchObject({ status: 'active', grant });
    expect(completeFulfilment(report('done'), at, null)).toMatchObject({
      status: 'closed',
      closure: 'fulfilled',
    });
    expect(completeFulfilment(report('failed'), at, grant)).toMatchObject({
      status: 'closed',
      closure: 'failed',
    });
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
