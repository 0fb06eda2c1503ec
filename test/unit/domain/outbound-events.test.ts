import { describe, expect, it } from 'vitest';
import { cancel } from '../../../functions/domain/cancellation';
import { addComment } from '../../../functions/domain/comments';
import {
  createdEvents,
  outboundDataSchemas,
  outboundEventSchema,
} from '../../../functions/domain/outbound/events';
import {
  endGrant,
  expiryExecutionName,
  openRevocation,
  recordRevocationConfirmed,
  revocationToBegin,
} from '../../../functions/domain/revocation';
import { pendingApproval } from '../../../functions/domain/routing';
import type { Decision, Ticket } from '../../../functions/domain/ticket';
import {
  applyApprovals,
  closeAsPolicyRefused,
  closeWithNobodyEligible,
  completeFulfilment,
  openFulfilment,
  openStage,
  recordDecision,
  recordFulfilment,
} from '../../../functions/domain/workflow';
import { ticket as baseTicket, endingAt, fulfilmentBy } from './tickets';

const at = '2026-01-01T01:00:00.000Z';
const later = '2026-01-01T02:00:00.000Z';
/** Text a person wrote: none of it may reach a subscriber. */
const PRIVATE = 'PRIVATE-WORDS';

const decision = (outcome: Decision['outcome']): Decision => ({
  outcome,
  stages: outcome === 'approval_required' ? ['manager'] : [],
  policyIds: ['p'],
  version: 'v',
  reason: `${PRIVATE} policy reason`,
  askedBy: {},
  policyReasons: {},
  cap: null,
  inputs: null,
});

/** Routed to one manager stage (lead@x.com), fulfilled by ops@x.com, with private words wherever a person wrote. */
function waiting(duration: string | null): Ticket {
  const routed = baseTicket({
    justification: `${PRIVATE} justification`,
    duration,
    decision: decision('approval_required'),
    approvals: [pendingApproval({ stage: 'manager', candidates: ['lead@x.com'], path: ['lead@x.com'] })],
    fulfilment: fulfilmentBy(['ops@x.com']),
  });
  return openStage(routed, 0, endingAt('2026-01-04T00:00:00.000Z'), at);
}

const decided = (ticket: Ticket, verdict: 'approve' | 'deny') =>
  applyApprovals(
    recordDecision(ticket, 0, {
      by: 'lead@x.com',
      decision: verdict,
      comment: `${PRIVATE} comment`,
      via: 'link',
      at,
    }),
    at,
  ).ticket;

const fulfilled = (ticket: Ticket) =>
  completeFulfilment(
    recordFulfilment(openFulfilment(ticket, endingAt('2026-01-05T00:00:00.000Z'), at), {
      by: 'ops@x.com',
      result: 'done',
      note: `${PRIVATE} note`,
      at,
      via: 'link',
    }),
    new Date(at),
  );

const types = (ticket: Ticket) => (ticket.outbox ?? []).map((event) => event.type);

describe('events for subscribers', () => {
  it('are appended by the change that makes them, so a time-bound request tells its whole life in order', () => {
    // Prepare
    const granted = fulfilled(decided(waiting('P7D'), 'approve'));
    const until = granted.grant?.until ?? '';
    const execution = expiryExecutionName(granted.grant?.id ?? '', until);
    const begun = revocationToBegin(granted, execution, until, until);
    if (!begun) throw new Error('the expiry did not begin');

    // Act
    const opened = openRevocation(begun, {
      fulfillers: ['ops@x.com'],
      coveredBy: null,
      deadlines: endingAt('2026-02-01T00:00:00.000Z'),
      at: until,
    });
    const ended = endGrant(
      recordRevocationConfirmed(opened, {
        by: 'ops@x.com',
        comment: `${PRIVATE} confirmation`,
        at: later,
        via: 'link',
      }),
      later,
    );

    // Assess
    expect(types(ended)).toEqual([
      'ticket.decided',
      'ticket.fulfilled',
      'grant.activated',
      'grant.ended',
      'ticket.closed',
    ]);
    const [approval, fulfilment, activation, end, closure] = ended.outbox ?? [];
    expect(approval?.data).toMatchObject({
      outcome: 'approved',
      decidedBy: 'approvers',
      stages: [{ stage: 'manager', decision: 'approve', decidedBy: 'lead@x.com', at }],
    });
    expect(fulfilment?.data).toMatchObject({ fulfilledBy: 'ops@x.com', status: 'active' });
    expect(activation?.data.grant).toEqual({
      id: granted.grant?.id,
      holder: 'dev@x.com',
      from: at,
      until,
    });
    expect(end?.data.grant).toMatchObject({ id: granted.grant?.id, endReason: 'expired' });
    expect(closure?.data).toMatchObject({ status: 'closed', closure: 'expired', ticket: ended.id });
  });

  it('number each event by the ticket version its change wrote, several from one change in the order they happened', () => {
    // Act: standing access, fulfilled: the ticket closes with its grant in force, in one change.
    const closed = fulfilled(decided(waiting(null), 'approve'));

    // Assess
    const last = (closed.outbox ?? []).slice(-3);
    expect(last.map((event) => [event.type, event.id])).toEqual([
      ['ticket.fulfilled', `${closed.id}.${closed.version}.0`],
      ['grant.activated', `${closed.id}.${closed.version}.1`],
      ['ticket.closed', `${closed.id}.${closed.version}.2`],
    ]);
    expect(last.every((event) => event.data.ticketVersion === closed.version && event.at === at)).toBe(true);
  });

  it('are the same, ids included, however often the same change is applied to the same ticket', () => {
    // Prepare
    const ticket = waiting('P7D');

    // Act
    const once = decided(ticket, 'deny');
    const again = decided(ticket, 'deny');

    // Assess
    expect(again.outbox).toEqual(once.outbox);
    expect(types(once)).toEqual(['ticket.decided', 'ticket.closed']);
    expect(once.outbox?.[0]?.data).toMatchObject({ outcome: 'rejected', decidedBy: 'approvers' });
  });

  it('say policy decided when it refused at intake, and only closed when nobody was left to approve', () => {
    // Act
    const refused = closeAsPolicyRefused(baseTicket({ decision: decision('auto_rejected') }), at);
    const nobody = closeWithNobodyEligible(
      baseTicket({ decision: decision('approval_required') }),
      'no_eligible_approver',
      at,
    );

    // Assess
    expect(types(refused)).toEqual(['ticket.decided', 'ticket.closed']);
    expect(refused.outbox?.[0]?.data).toMatchObject({ outcome: 'rejected', decidedBy: 'policy', stages: [] });
    expect(types(nobody)).toEqual(['ticket.closed']);
    expect(nobody.outbox?.[0]?.data).toMatchObject({ closure: 'auto_rejected' });
  });

  it('are not made by changes subscribers are not told of: stages opening, comments', () => {
    // Act
    const commented = addComment(waiting('P7D'), {
      by: 'dev@x.com',
      text: `${PRIVATE} question`,
      at,
      key: null,
    });

    // Assess
    expect(commented.outbox ?? []).toEqual([]);
  });

  it('tell of a cancellation as a closure, and of provisioned access that goes with it as the grant ending later', () => {
    // Act
    const cancelled = cancel(fulfilled(decided(waiting('P7D'), 'approve')), {
      by: 'dev@x.com',
      cause: 'requester',
      reason: `${PRIVATE} reason`,
      at: later,
    });

    // Assess
    expect(types(cancelled).slice(-1)).toEqual(['ticket.closed']);
    expect(cancelled.outbox?.at(-1)?.data).toMatchObject({ closure: 'cancelled' });
  });

  it('carry facts only: nothing a person wrote, each payload as its type documents it', () => {
    // Prepare
    const lives = [
      fulfilled(decided(waiting(null), 'approve')),
      decided(waiting('P7D'), 'deny'),
      cancel(fulfilled(decided(waiting('P7D'), 'approve')), {
        by: 'dev@x.com',
        cause: 'requester',
        reason: `${PRIVATE} reason`,
        at: later,
      }),
    ];

    // Act
    const events = [...createdEvents(waiting('P7D')), ...lives.flatMap((ticket) => ticket.outbox ?? [])];

    // Assess
    expect(events.length).toBeGreaterThan(8);
    expect(JSON.stringify(events)).not.toContain(PRIVATE);
    for (const event of events) {
      expect(outboundEventSchema.parse(event)).toEqual(event);
      expect(outboundDataSchemas[event.type].strict().parse(event.data)).toEqual(event.data);
    }
  });
});
