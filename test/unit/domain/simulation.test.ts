import { describe, expect, it } from 'vitest';
import type { PolicyOutcome } from '../../../functions/domain/policy/outcome';
import {
  addToTally,
  type Comparison,
  compare,
  describeChanges,
  EXAMPLES_PER_ROW,
  emptyTally,
  finishTally,
  policyOutcomeOf,
  type ReplayedTicket,
  type SimulationTally,
  whatHappened,
} from '../../../functions/domain/policy/simulation';

const filedAt = '2026-03-02T09:00:00.000Z';

/** A ticket that asked its manager, who approved, for seven days. */
const ticket = (overrides: Partial<ReplayedTicket> = {}): ReplayedTicket => ({
  id: '01TICKET',
  status: 'fulfilling',
  decision: { outcome: 'approval_required', stages: ['manager'] },
  approvals: [{ decision: 'approve' }],
  duration: 'P7D',
  createdAt: filedAt,
  ...overrides,
});

const candidate = (overrides: Partial<PolicyOutcome> = {}): PolicyOutcome => ({
  outcome: 'approval_required',
  stages: [{ stage: 'manager', policyIds: ['manager-approval'] }],
  policyIds: ['manager-approval'],
  version: 'candidate',
  reason: null,
  reasons: {},
  cap: null,
  ...overrides,
});
const autoApproving = (cap: PolicyOutcome['cap'] = null) =>
  candidate({ outcome: 'auto_approved', stages: [], policyIds: ['read-auto'], cap });

/** A replayed ticket's comparison; what policy recorded follows from what happened unless given. */
const replayed = (comparison: Partial<Comparison> & Pick<Comparison, 'ticketId'>) => {
  const happened = comparison.happened ?? 'approved';
  const recorded: Comparison['recorded'] =
    happened === 'auto_approved' || happened === 'auto_rejected' ? happened : 'approval_required';
  return {
    kind: 'replayed' as const,
    comparison: {
      recorded,
      happened,
      candidate: 'auto_approved' as const,
      stagesAdded: [],
      stagesRemoved: [],
      capRefusal: null,
      ...comparison,
    },
  };
};
const tallyOf = (...entries: Parameters<typeof addToTally>[1][]): SimulationTally =>
  entries.reduce(addToTally, emptyTally());

describe('what happened to a ticket', () => {
  it('is what policy recorded when policy approved or rejected it alone', () => {
    // Act
    const happened = [
      whatHappened(ticket({ decision: { outcome: 'auto_approved', stages: [] }, approvals: [] })),
      whatHappened(
        ticket({ status: 'closed', decision: { outcome: 'auto_rejected', stages: [] }, approvals: [] }),
      ),
    ];
    // Assess
    expect(happened).toEqual(['auto_approved', 'auto_rejected']);
  });

  it('is approved when every stage was approved, even if a later check refused it before fulfilment', () => {
    // Act
    const happened = whatHappened(
      ticket({
        status: 'closed',
        decision: { outcome: 'approval_required', stages: ['manager', 'system_owner'] },
        approvals: [{ decision: 'approve' }, { decision: 'approve' }],
      }),
    );
    // Assess
    expect(happened).toBe('approved');
  });

  it('is denied when any stage was denied', () => {
    // Act
    const happened = whatHappened(
      ticket({ status: 'closed', approvals: [{ decision: 'approve' }, { decision: 'deny' }] }),
    );
    // Assess
    expect(happened).toBe('denied');
  });

  it('is pending while a stage waits, and closed undecided when it closed before every stage was decided', () => {
    // Act
    const waiting = whatHappened(
      ticket({ status: 'pending_approval', approvals: [{ decision: 'approve' }, { decision: null }] }),
    );
    const timedOut = whatHappened(ticket({ status: 'closed', approvals: [{ decision: null }] }));
    // Assess
    expect([waiting, timedOut]).toEqual(['pending', 'closed_undecided']);
  });
});

describe('a ticket that routing refused for want of anyone eligible', () => {
  const refused = (stages: string[], reason: string) =>
    ticket({ status: 'closed', decision: { outcome: 'auto_rejected', stages, reason }, approvals: [] });

  it('is nobody_eligible, not what policy rejected, and policy had asked people, or approved it alone', () => {
    // Act
    const noApprover = refused(['manager'], 'no_eligible_approver');
    const noFulfiller = refused([], 'no_eligible_fulfiller');
    const byPolicy = refused([], 'The beneficiary has departed');

    // Assess
    expect([noApprover, noFulfiller, byPolicy].map(whatHappened)).toEqual([
      'nobody_eligible',
      'nobody_eligible',
      'auto_rejected',
    ]);
    expect([noApprover, noFulfiller, byPolicy].map(policyOutcomeOf)).toEqual([
      'approval_required',
      'auto_approved',
      'auto_rejected',
    ]);
  });

  it('is unchanged when the candidate asks people again, and changed when it would auto-approve it', () => {
    // Prepare
    const noApprover = refused(['manager'], 'no_eligible_approver');

    // Act
    const tally = tallyOf(
      { kind: 'replayed', comparison: compare({ ...noApprover, id: 'asks-again' }, candidate()) },
      { kind: 'replayed', comparison: compare({ ...noApprover, id: 'approves' }, autoApproving()) },
    );

    // Assess
    expect(tally.changed).toBe(1);
    expect(describeChanges(tally)).toEqual([
      'would auto-approve 1 ticket that nobody was left to approve or fulfil',
    ]);
  });
});

describe('comparing a candidate outcome with what happened', () => {
  it('names the stages the candidate adds and the ones it drops', () => {
    // Act
    const comparison = compare(
      ticket({ decision: { outcome: 'approval_required', stages: ['manager', 'system_owner'] } }),
      candidate({
        stages: [
          { stage: 'system_owner', policyIds: ['owner'] },
          { stage: 'security', policyIds: ['security'] },
        ],
      }),
    );
    // Assess
    expect(comparison).toMatchObject({ stagesAdded: ['security'], stagesRemoved: ['manager'] });
  });

  it('drops every recorded stage when the candidate approves alone', () => {
    // Act
    const comparison = compare(ticket(), autoApproving());
    // Assess
    expect(comparison).toMatchObject({
      happened: 'approved',
      candidate: 'auto_approved',
      stagesAdded: [],
      stagesRemoved: ['manager'],
    });
  });

  it('finds a cap that would have refused the granted duration, measured from when the ticket was filed', () => {
    // Prepare: filed on 2 March, so P1M is 31 days and P30D is shorter
    const granted = ticket({ duration: 'P31D' });
    // Act
    const tighter = compare(granted, autoApproving({ max: 'P30D', policyId: 'read-auto' }));
    const calendarMonth = compare(granted, autoApproving({ max: 'P1M', policyId: 'read-auto' }));
    // Assess
    expect(tighter.capRefusal).toEqual({ max: 'P30D', policyId: 'read-auto' });
    expect(calendarMonth.capRefusal).toBeNull();
  });

  it('counts standing access as longer than any cap', () => {
    // Act
    const comparison = compare(ticket({ duration: null }), autoApproving({ max: 'P1Y', policyId: 'cap' }));
    // Assess
    expect(comparison.capRefusal).toEqual({ max: 'P1Y', policyId: 'cap' });
  });

  it('sees no cap refusal on a ticket that was never let through', () => {
    // Act
    const comparison = compare(
      ticket({ status: 'closed', approvals: [{ decision: 'deny' }], duration: 'P90D' }),
      autoApproving({ max: 'PT8H', policyId: 'read-auto' }),
    );
    // Assess
    expect(comparison.capRefusal).toBeNull();
  });
});

describe('the tally of a simulation', () => {
  it('counts outcome changes by what happened and the candidate outcome, with the unchanged ones beside them', () => {
    // Act
    const tally = tallyOf(
      replayed({ ticketId: 'A1' }),
      replayed({ ticketId: 'A2' }),
      replayed({ ticketId: 'D1', happened: 'denied' }),
      replayed({ ticketId: 'S1', happened: 'auto_approved' }),
    );
    // Assess
    expect(tally).toMatchObject({ examined: 4, replayed: 4, changed: 3 });
    expect(tally.outcomes).toEqual([
      {
        recorded: 'approval_required',
        happened: 'approved',
        candidate: 'auto_approved',
        changed: true,
        count: 2,
        examples: ['A1', 'A2'],
      },
      {
        recorded: 'approval_required',
        happened: 'denied',
        candidate: 'auto_approved',
        changed: true,
        count: 1,
        examples: ['D1'],
      },
      {
        recorded: 'auto_approved',
        happened: 'auto_approved',
        candidate: 'auto_approved',
        changed: false,
        count: 1,
        examples: ['S1'],
      },
    ]);
  });

  it('counts each stage added and removed, and each cap refusal by the policy that sets the cap', () => {
    // Act
    const tally = tallyOf(
      replayed({ ticketId: 'A1', stagesRemoved: ['manager'], capRefusal: { max: 'P3D', policyId: 'cap' } }),
      replayed({ ticketId: 'A2', stagesRemoved: ['manager'], stagesAdded: ['security'] }),
    );
    // Assess
    expect(tally.stages).toEqual([
      { stage: 'manager', change: 'removed', count: 2, examples: ['A1', 'A2'] },
      { stage: 'security', change: 'added', count: 1, examples: ['A2'] },
    ]);
    expect(tally.caps).toEqual([{ policyId: 'cap', max: 'P3D', count: 1, examples: ['A1'] }]);
  });

  it('counts tickets it could not replay by reason, as examined but not replayed', () => {
    // Act
    const tally = tallyOf(
      { kind: 'not_replayable', ticketId: 'OLD1', reason: 'no_snapshot' },
      { kind: 'not_replayable', ticketId: 'OLD2', reason: 'no_snapshot' },
    );
    // Assess
    expect(tally).toMatchObject({ examined: 2, replayed: 0, changed: 0 });
    expect(tally.notReplayable).toEqual([{ reason: 'no_snapshot', count: 2, examples: ['OLD1', 'OLD2'] }]);
  });

  it(`keeps at most ${EXAMPLES_PER_ROW} example ids per row however many it counts`, () => {
    // Act
    const tally = tallyOf(...Array.from({ length: 25 }, (_, index) => replayed({ ticketId: `T${index}` })));
    // Assess
    expect(tally.outcomes[0]?.count).toBe(25);
    expect(tally.outcomes[0]?.examples).toEqual(Array.from({ length: 10 }, (_, index) => `T${index}`));
  });

  it('counts the tickets of the period that no page read as moved while it ran, when they were counted', () => {
    // Prepare
    const tally = tallyOf(replayed({ ticketId: 'A1' }));
    // Act
    const counted = finishTally(tally, { inPeriod: 3, read: 1 });
    const uncounted = finishTally(tally, { inPeriod: null, read: 1 });
    // Assess
    expect([counted.movedWhileRunning, uncounted.movedWhileRunning]).toEqual([2, null]);
  });

  it('leaves the tally it was given as it was', () => {
    // Prepare
    const before = tallyOf(replayed({ ticketId: 'A1' }));
    const copy = structuredClone(before);
    // Act
    addToTally(before, replayed({ ticketId: 'A2' }));
    // Assess
    expect(before).toEqual(copy);
  });
});

describe('the changes in words', () => {
  it('says what the candidate would do with the tickets people decided, largest first', () => {
    // Prepare
    const tally = tallyOf(
      ...Array.from({ length: 40 }, (_, index) => replayed({ ticketId: `A${index}` })),
      replayed({ ticketId: 'D1', happened: 'denied' }),
      replayed({ ticketId: 'D2', happened: 'denied' }),
      replayed({ ticketId: 'R1', happened: 'auto_approved', candidate: 'auto_rejected' }),
      replayed({ ticketId: 'U1', happened: 'auto_approved', candidate: 'auto_approved' }),
    );
    // Act
    const sentences = describeChanges(tally);
    // Assess
    expect(sentences).toEqual([
      'would auto-approve 40 tickets that people approved, and 2 that people denied',
      'would auto-reject 1 ticket that policy auto-approved',
    ]);
  });
});
