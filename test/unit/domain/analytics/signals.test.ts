import { describe, expect, it } from 'vitest';
import { CompiledPolicySet } from '../../../../functions/adapters/cedar/engine';
import { compilePolicyFolder } from '../../../../functions/adapters/cedar/policy-files';
import { EVIDENCE_PER_DAY } from '../../../../functions/domain/analytics/rollup';
import type { GrantView } from '../../../../functions/domain/grants';
import { at, made, reportFor, rollupsOf } from './histories';

const NOVEMBER = { from: '2026-11-01', to: '2026-11-30' };
const people = (n: number) => Array.from({ length: n }, (_, i) => `p${i}@x.com`);

describe('governance signals', () => {
  describe('recurring requests', () => {
    const asked = (n: number) =>
      people(n).map((beneficiary) =>
        made({ beneficiary, department: 'Finance', system: 'bi', entitlement: 'bi-read' }),
      );

    it('names the department, entitlement, people and tickets once as many people as the threshold asked', () => {
      // Prepare
      const tickets = asked(3);

      // Act
      const { signals } = reportFor(rollupsOf(tickets), NOVEMBER, {
        thresholds: { recurringRequests: { minPeople: 3 } },
      });

      // Assess
      expect(signals.recurringRequests).toEqual([
        {
          department: 'Finance',
          system: 'bi',
          entitlement: 'bi-read',
          people: people(3),
          tickets: tickets.map((t) => t.id),
        },
      ]);
    });

    it('stays silent while fewer people asked, however often', () => {
      // Prepare
      const tickets = [...asked(2), ...asked(2)];

      // Act
      const { signals } = reportFor(rollupsOf(tickets), NOVEMBER, {
        thresholds: { recurringRequests: { minPeople: 3 } },
      });

      // Assess
      expect(signals.recurringRequests).toEqual([]);
    });
  });

  describe('re-requests after a grant ended', () => {
    const reRequests = (hoursAfterEnd: number[]) => {
      const tickets = hoursAfterEnd.map((_, n) =>
        made({ createdAt: at('2026-11-10', n * 30), beneficiary: 'ana@x.com' }),
      );
      const ends = new Map(
        tickets.map((t, n) => [
          t.id,
          new Date(Date.parse(t.createdAt) - (hoursAfterEnd[n] as number) * 3_600_000).toISOString(),
        ]),
      );
      return { tickets, ends };
    };
    const thresholds = { reRequests: { withinDays: 14, minTimes: 2 } };

    it('names the person who asked again soon after their grant ended, as often as the threshold', () => {
      // Prepare
      const { tickets, ends } = reRequests([2, 14 * 24]);

      // Act
      const { signals } = reportFor(rollupsOf(tickets, ends), NOVEMBER, { thresholds });

      // Assess
      expect(signals.reRequests).toMatchObject([
        { person: 'ana@x.com', entitlement: 'wiki-read', times: 2, tickets: tickets.map((t) => t.id) },
      ]);
    });

    it('does not count a request made later than the window after the end', () => {
      // Prepare
      const { tickets, ends } = reRequests([2, 14 * 24 + 1]);

      // Act
      const { signals } = reportFor(rollupsOf(tickets, ends), NOVEMBER, { thresholds });

      // Assess
      expect(signals.reRequests).toEqual([]);
    });
  });

  describe('rubber-stamp approvers', () => {
    const decisions = (n: number, minutes: number, denials = 0) =>
      Array.from({ length: n }, (_, i) =>
        made({
          createdAt: at('2026-11-03', i),
          stages: [
            { by: 'rita@x.com', decidedAfter: minutes / 60, decision: i < denials ? 'deny' : 'approve' },
          ],
        }),
      );
    const thresholds = { rubberStamp: { maxMedianMinutes: 5, minApprovalRate: 0.95, minDecisions: 10 } };

    it('names an approver who approved as many requests as the threshold, with a median at the threshold', () => {
      // Prepare
      const tickets = decisions(10, 5);

      // Act
      const { signals } = reportFor(rollupsOf(tickets), NOVEMBER, { thresholds });

      // Assess
      expect(signals.rubberStampApprovers).toMatchObject([
        { approver: 'rita@x.com', decisions: 10, approvalRate: 1 },
      ]);
      expect(signals.rubberStampApprovers[0]?.tickets).toHaveLength(EVIDENCE_PER_DAY);
    });

    it('does not name an approver with fewer decisions than the threshold', () => {
      // Act
      const { signals } = reportFor(rollupsOf(decisions(9, 5)), NOVEMBER, { thresholds });

      // Assess
      expect(signals.rubberStampApprovers).toEqual([]);
    });

    it('does not name an approver slower than the threshold', () => {
      // Act
      const { signals } = reportFor(rollupsOf(decisions(10, 5.2)), NOVEMBER, { thresholds });

      // Assess
      expect(signals.rubberStampApprovers).toEqual([]);
    });

    it('does not name an approver who denies more often than the threshold allows', () => {
      // Act
      const { signals } = reportFor(rollupsOf(decisions(10, 1, 1)), NOVEMBER, { thresholds });

      // Assess
      expect(signals.rubberStampApprovers).toEqual([]);
    });
  });

  describe('slow entitlements', () => {
    const resolved = (n: number, hours: number) =>
      Array.from({ length: n }, () =>
        made({ entitlement: 'aws-prod-admin', system: 'aws-prod', resolvedAfter: hours }),
      );
    const thresholds = { slowEntitlements: { minMedianHours: 48, minTickets: 3 } };

    it('names an entitlement whose median resolution reaches the threshold over enough tickets', () => {
      // Act
      const { signals } = reportFor(rollupsOf(resolved(3, 48)), NOVEMBER, { thresholds });

      // Assess
      expect(signals.slowEntitlements).toMatchObject([{ entitlement: 'aws-prod-admin', tickets: 3 }]);
      expect(signals.slowEntitlements[0]?.slowest).toHaveLength(3);
    });

    it('does not name one resolved faster than the threshold, or over too few tickets', () => {
      // Act
      const faster = reportFor(rollupsOf(resolved(3, 47)), NOVEMBER, { thresholds });
      const fewer = reportFor(rollupsOf(resolved(2, 48)), NOVEMBER, { thresholds });

      // Assess
      expect([faster.signals.slowEntitlements, fewer.signals.slowEntitlements]).toEqual([[], []]);
    });
  });

  describe('standing grants nobody has reviewed', () => {
    const grant = (days: number, overrides: Partial<GrantView> = {}): GrantView => ({
      id: `G${days}`,
      holder: 'ana@x.com',
      system: 'github',
      entitlement: 'github-write',
      ticket: `T${days}`,
      from: new Date(Date.parse('2026-12-01T00:00:00.000Z') - days * 86_400_000).toISOString(),
      until: null,
      status: 'active',
      endReason: null,
      overdue: false,
      ...overrides,
    });

    it('names standing access granted as long ago as the threshold, and no younger or time-bound grant', () => {
      // Prepare
      const standingGrants = [grant(90), grant(89), grant(200, { until: '2027-01-01T00:00:00.000Z' })];

      // Act
      const { signals } = reportFor([], NOVEMBER, {
        standingGrants,
        thresholds: { standingGrants: { olderThanDays: 90 } },
      });

      // Assess
      expect(signals.unreviewedStandingGrants.map((signal) => signal.grant)).toEqual(['G90']);
    });
  });
});

describe('rule candidates', () => {
  const approvedTimes = (n: number, overrides: Parameters<typeof made>[0] = {}) =>
    Array.from({ length: n }, () =>
      made({
        department: 'Finance',
        system: 'bi',
        entitlement: 'bi-read',
        stages: [{ by: 'erin@x.com', decidedAfter: 1 }],
        ...overrides,
      }),
    );
  const context = {
    sensitivities: new Map([
      ['bi', 'moderate' as const],
      ['aws-prod', 'critical' as const],
    ]),
    thresholds: { ruleCandidates: { minApprovals: 5 } },
  };

  it('proposes a rule for a pattern approved as often as the threshold and never denied, with Cedar text that Cedar accepts', () => {
    // Prepare
    const tickets = approvedTimes(5);
    const { folder } = compilePolicyFolder('policies');

    // Act
    const [candidate, ...others] = reportFor(rollupsOf(tickets), NOVEMBER, context).ruleCandidates;

    // Assess
    expect(others).toEqual([]);
    expect(candidate).toMatchObject({
      department: 'Finance',
      entitlement: 'bi-read',
      approved: 5,
      tickets: tickets.map((t) => t.id),
    });
    const withCandidate = { ...folder.policies, [candidate?.id as string]: candidate?.cedar as string };
    expect(CompiledPolicySet.compile(folder.schema, withCandidate).policies).toHaveProperty(
      candidate?.id as string,
    );
  });

  it('proposes nothing for a pattern approved fewer times, denied once, or on a high or critical system', () => {
    // Prepare
    const fewer = approvedTimes(4);
    const denied = [
      ...approvedTimes(5),
      ...approvedTimes(1, { stages: [{ by: 'erin@x.com', decidedAfter: 1, decision: 'deny' }] }),
    ];
    const critical = approvedTimes(5, { system: 'aws-prod', entitlement: 'aws-prod-read' });

    // Act
    const reports = [fewer, denied, critical].map((tickets) =>
      reportFor(rollupsOf(tickets), NOVEMBER, context),
    );

    // Assess
    expect(reports.map((report) => report.ruleCandidates)).toEqual([[], [], []]);
  });
});
