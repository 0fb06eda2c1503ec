import { describe, expect, it } from 'vitest';
import {
  addComment,
  type Comment,
  commentRecipients,
  MAX_COMMENT_LENGTH,
  MAX_COMMENTS,
} from '../../../functions/domain/comments';
import { ConflictError } from '../../../functions/domain/errors';
import { pendingApproval } from '../../../functions/domain/routing';
import type { Ticket } from '../../../functions/domain/ticket';
import { findBrokenLink } from '../../../functions/domain/timeline';
import {
  applyApprovals,
  openFulfilment,
  openStage,
  passCheckpoint,
  recordDecision,
  timeOut,
} from '../../../functions/domain/workflow';
import { ticket as baseTicket, endingAt, fulfilmentBy } from './tickets';

const at = '2026-01-01T01:00:00.000Z';
const later = '2026-01-01T02:00:00.000Z';
const requester = 'dev@x.com';
const lead = 'lead@x.com';
const helpdesk = 'help@x.com';
const deskmate = 'desk@x.com';

const fulfilment = fulfilmentBy([helpdesk]);

/** An access ticket whose manager stage waits for the lead, with its deadlines set. */
function pending(): Ticket {
  const routed = baseTicket({
    approvals: [pendingApproval({ stage: 'manager', candidates: [lead], path: [lead] })],
    fulfilment,
  });
  return openStage(routed, 0, endingAt('2026-01-04T00:00:00.000Z'), at);
}

/** A support ticket as filed, routed to the service desk's queue by its category. */
function filed(overrides: Partial<Ticket> = {}): Ticket {
  return baseTicket({
    type: 'support',
    system: null,
    entitlement: null,
    justification: null,
    category: 'hardware',
    description: 'The laptop does not start',
    fulfilment: { ...fulfilment, fulfillers: [helpdesk, deskmate], queue: 'service-desk' },
    ...overrides,
  });
}

/** The ticket in its queue, its service levels running from `at`. */
function queue(ticket: Ticket): Ticket {
  return openFulfilment(
    { ...ticket, status: 'fulfilling' },
    {
      reminderAt: '2026-01-01T01:30:00.000Z',
      escalationAt: '2026-01-01T05:00:00.000Z',
      deadline: '2026-01-02T00:00:00.000Z',
    },
    at,
  );
}

const queued = (overrides: Partial<Ticket> = {}) => queue(filed(overrides));

const comment = (
  by: string,
  text = 'Which team is this for?',
  overrides: Partial<Comment> = {},
): Comment => ({
  by,
  text,
  at: later,
  key: null,
  ...overrides,
});

describe('adding a comment', () => {
  it('appends a commented event and leaves the status and the open stage exactly as they were', () => {
    // Prepare
    const ticket = pending();

    // Act
    const commented = addComment(ticket, comment(lead));

    // Assess
    expect(commented.status).toBe('pending_approval');
    expect(commented.approvals).toEqual(ticket.approvals);
    expect(commented.fulfilment).toEqual(ticket.fulfilment);
    expect(commented.timeline.at(-1)).toMatchObject({
      type: 'commented',
      actor: lead,
      from: null,
      to: null,
      data: { text: 'Which team is this for?' },
    });
    expect(commented.version).toBe(ticket.version + 1);
    expect(findBrokenLink(commented.timeline)).toBeNull();
  });

  it('lets the stage be decided after a question and its answer, as if nobody had commented', () => {
    // Prepare
    const asked = addComment(pending(), comment(lead));
    const answered = addComment(asked, comment(requester, 'The platform team'));

    // Act
    const { ticket: decided, next } = applyApprovals(
      recordDecision(answered, 0, { by: lead, decision: 'approve', comment: null, via: 'link', at: later }),
      later,
    );

    // Assess
    expect(next).toBe('fulfilment');
    expect(decided.status).toBe('fulfilling');
  });

  it('refuses a comment on a closed ticket with a conflict', () => {
    // Prepare
    const closed = timeOut(pending(), at);

    // Act + Assess
    expect(() => addComment(closed, comment(requester))).toThrow(ConflictError);
    expect(() => addComment(closed, comment(requester))).toThrow(/closed \(timed_out\)/);
  });

  it(`takes ${MAX_COMMENTS} comments and refuses the next one with a conflict`, () => {
    // Prepare
    let ticket = pending();
    for (let i = 0; i < MAX_COMMENTS; i++) ticket = addComment(ticket, comment(requester, `note ${i}`));

    // Act + Assess
    expect(ticket.timeline.filter((event) => event.type === 'commented')).toHaveLength(MAX_COMMENTS);
    expect(() => addComment(ticket, comment(lead))).toThrow(`has ${MAX_COMMENTS} comments`);
  });

  it('refuses a comment that would leave the ticket too large to store, however few comments it has', () => {
    // Prepare: 4,000 four-byte characters are 16 KB of UTF-8; twenty of them leave no room.
    const long = '😀'.repeat(MAX_COMMENT_LENGTH / 2);
    let ticket = pending();
    let refused: unknown = null;

    // Act
    for (let i = 0; i < MAX_COMMENTS && refused === null; i++) {
      try {
        ticket = addComment(ticket, comment(requester, long));
      } catch (error) {
        refused = error;
      }
    }

    // Assess
    expect(refused).toBeInstanceOf(ConflictError);
    expect(ticket.timeline.filter((event) => event.type === 'commented').length).toBeLessThan(MAX_COMMENTS);
    expect(() => addComment(ticket, comment(requester, 'short'))).not.toThrow();
  });

  it('adds nothing for a retry with the same Idempotency-Key and text, and refuses the key with another text', () => {
    // Prepare
    const once = addComment(pending(), comment(lead, 'Why?', { key: 'k1' }));

    // Act
    const again = addComment(once, comment(lead, 'Why?', { key: 'k1' }));

    // Assess
    expect(again).toBe(once);
    expect(() => addComment(once, comment(lead, 'Why not?', { key: 'k1' }))).toThrow(ConflictError);
    expect(addComment(once, comment(requester, 'Why?', { key: 'k1' })).version).toBe(once.version + 1);
  });
});

describe('the first response of a support ticket', () => {
  it("is the queue member's first comment: it sets firstResponseAt and says so in the event", () => {
    // Act
    const answered = addComment(queued(), comment(helpdesk));
    const again = addComment(answered, comment(deskmate, 'Any news?', { at: '2026-01-01T03:00:00.000Z' }));

    // Assess
    expect(answered.sla?.firstResponseAt).toBe(later);
    expect(answered.timeline.at(-1)?.data).toMatchObject({ firstResponse: true });
    expect(again.sla?.firstResponseAt).toBe(later);
    expect(again.timeline.at(-1)?.data).not.toHaveProperty('firstResponse');
  });

  it("is not the requester's comment, even when the requester is a member of the queue", () => {
    // Act
    const byRequester = addComment(queued(), comment(requester, 'It still does not start'));
    const byMemberOwnTicket = addComment(queued({ requester: helpdesk }), comment(helpdesk));

    // Assess
    expect(byRequester.sla?.firstResponseAt).toBeNull();
    expect(byMemberOwnTicket.sla?.firstResponseAt).toBeNull();
    expect(byRequester.timeline.at(-1)?.data).not.toHaveProperty('firstResponse');
  });

  it('is an answer that came before the ticket was queued, once it is', () => {
    // Prepare
    const answered = addComment(filed(), comment(helpdesk, 'On it', { at }));

    // Act
    const inQueue = queue(answered);

    // Assess
    expect(answered.timeline.at(-1)?.data).toMatchObject({ firstResponse: true });
    expect(inQueue.sla?.firstResponseAt).toBe(at);
  });

  it('keeps a first-response breach recorded before it', () => {
    // Prepare
    const breached = passCheckpoint(queued(), new Date('2026-01-01T01:45:00.000Z'), []);

    // Act
    const answered = addComment(breached, comment(helpdesk));

    // Assess
    expect(breached.sla?.breaches.map((breach) => breach.sla)).toEqual(['first_response']);
    expect(answered.sla?.firstResponseAt).toBe(later);
    expect(answered.sla?.breaches).toEqual(breached.sla?.breaches);
  });

  it('is nothing on an access ticket', () => {
    // Act
    const commented = addComment(pending(), comment(helpdesk));

    // Assess
    expect(commented.sla).toBeNull();
    expect(commented.timeline.at(-1)?.data).not.toHaveProperty('firstResponse');
  });
});

describe('who hears of a comment', () => {
  it("is everyone taking part but its author: the requester, the beneficiary, the open stage's approvers", () => {
    // Prepare
    const forReport = addComment({ ...pending(), beneficiary: 'report@x.com' }, comment(lead));

    // Act + Assess
    expect(commentRecipients(forReport, lead).sort()).toEqual([requester, 'report@x.com']);
    expect(commentRecipients(forReport, requester).sort()).toEqual([lead, 'report@x.com']);
  });

  it("is a service account's owner rather than the account", () => {
    // Prepare
    const forService = { ...pending(), beneficiary: 'svc:export', beneficiaryOwner: 'owner@x.com' };

    // Act + Assess
    expect(commentRecipients(forService, requester).sort()).toEqual([lead, 'owner@x.com']);
  });

  it("is a support ticket's assignee rather than its whole queue, once someone took it", () => {
    // Prepare
    const ticket = queued();

    // Act + Assess
    expect(commentRecipients(ticket, requester).sort()).toEqual([deskmate, helpdesk]);
    expect(commentRecipients({ ...ticket, assignee: deskmate }, requester)).toEqual([deskmate]);
  });

  it('includes whoever decided before and whoever commented before', () => {
    // Prepare
    const asked = addComment(pending(), comment('audit@x.com', 'Is there a ticket for this?'));
    const { ticket: approved } = applyApprovals(
      recordDecision(asked, 0, { by: lead, decision: 'approve', comment: null, via: 'link', at }),
      at,
    );
    const fulfilling = openFulfilment(approved, endingAt('2026-01-05T00:00:00.000Z'), at);

    // Act + Assess
    expect(commentRecipients(fulfilling, requester).sort()).toEqual(['audit@x.com', helpdesk, lead]);
  });
});
