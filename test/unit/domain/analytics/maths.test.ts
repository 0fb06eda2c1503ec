import { describe, expect, it } from 'vitest';
import { RELATIVE_ACCURACY } from '../../../../functions/domain/analytics/sketch';
import { at, exactQuantile, made, reportFor, rollupsOf } from './histories';

const NOVEMBER = { from: '2026-11-01', to: '2026-11-30' };

/** Within the sketch's 1% of the exact value. */
const near = (actual: number | null, exact: number) => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - exact)).toBeLessThanOrEqual(exact * RELATIVE_ACCURACY + 1e-9);
};

describe('analytics maths', () => {
  it('reports an empty period as zeros and unknowns, never as NaN', () => {
    // Prepare
    const rollups = rollupsOf([]);

    // Act
    const report = reportFor(rollups, NOVEMBER);

    // Assess
    expect(report.volume.total).toBe(0);
    expect(report.resolution.overall).toEqual({ count: 0, medianHours: null, p90Hours: null });
    expect(report.rates.autoApproval).toEqual({ count: 0, rate: null });
    expect(report.satisfaction).toEqual({
      responses: 0,
      average: null,
      responseRate: null,
      ratings: [0, 0, 0, 0, 0],
    });
    expect(JSON.stringify(report)).not.toContain('NaN');
  });

  it('gives one ticket as its own median and p90, by entitlement and by system', () => {
    // Prepare
    const rollups = rollupsOf([made({ resolvedAfter: 10, entitlement: 'github-write', system: 'github' })]);

    // Act
    const report = reportFor(rollups, NOVEMBER);

    // Assess
    expect(report.volume.total).toBe(1);
    near(report.resolution.overall.medianHours, 10);
    near(report.resolution.overall.p90Hours, 10);
    expect(report.resolution.byEntitlement.map((q) => q.key)).toEqual(['github-write']);
    near(report.resolution.bySystem[0]?.medianHours ?? null, 10);
  });

  it('keeps the median and p90 of a hundred resolution times within 1%, merged over the days they fell on', () => {
    // Prepare
    const hours = Array.from({ length: 100 }, (_, n) => n + 1);
    const tickets = hours.map((h, n) => made({ createdAt: at('2026-11-01', n * 5), resolvedAfter: h }));

    // Act
    const report = reportFor(rollupsOf(tickets), NOVEMBER);

    // Assess
    expect(new Set(rollupsOf(tickets).map((rollup) => rollup.day)).size).toBeGreaterThan(10);
    near(report.resolution.overall.medianHours, exactQuantile(hours, 0.5));
    near(report.resolution.overall.p90Hours, exactQuantile(hours, 0.9));
  });

  it('answers a tie with the tied value', () => {
    // Prepare
    const tickets = [made({ resolvedAfter: 4 }), made({ resolvedAfter: 4 }), made({ resolvedAfter: 4 })];

    // Act
    const report = reportFor(rollupsOf(tickets), NOVEMBER);

    // Assess
    near(report.resolution.overall.medianHours, 4);
    near(report.resolution.overall.p90Hours, 4);
    expect(report.volume.byDepartment).toEqual([{ key: 'Engineering', count: 3 }]);
  });

  it('counts a ticket open across a period boundary in the volume of one period and the resolution of the next', () => {
    // Prepare: filed on the last day of October, resolved two days later
    const rollups = rollupsOf([made({ createdAt: at('2026-10-31', 20), resolvedAfter: 48 })]);

    // Act
    const october = reportFor(rollups, { from: '2026-10-01', to: '2026-10-31' });
    const november = reportFor(rollups, NOVEMBER);

    // Assess
    expect([october.volume.total, october.rates.resolved]).toEqual([1, 0]);
    expect([november.volume.total, november.rates.resolved]).toEqual([0, 1]);
    near(november.resolution.overall.medianHours, 48);
  });

  it('counts a ticket still in flight in the volume and in no resolution figure', () => {
    // Prepare
    const rollups = rollupsOf([made({ resolvedAfter: null })]);

    // Act
    const report = reportFor(rollups, NOVEMBER);

    // Assess
    expect(report.volume.total).toBe(1);
    expect(report.rates.resolved).toBe(0);
    expect(report.resolution.overall.count).toBe(0);
  });

  it('rates auto-approvals, rejections, cancellations, timeouts and failures over the tickets resolved', () => {
    // Prepare
    const tickets = [
      made({ outcome: 'auto_approved', to: 'active' }),
      made({ outcome: 'auto_approved', to: 'active' }),
      made({ closure: 'rejected' }),
      made({ outcome: 'auto_rejected', closure: 'auto_rejected' }),
      made({ closure: 'cancelled' }),
      made({ closure: 'timed_out' }),
      made({ closure: 'failed' }),
      made({ closure: 'fulfilled' }),
    ];

    // Act
    const { rates } = reportFor(rollupsOf(tickets), NOVEMBER);

    // Assess
    expect(rates.resolved).toBe(8);
    expect(rates.autoApproval).toEqual({ count: 2, rate: 0.25 });
    expect(rates.rejection).toEqual({ count: 2, rate: 0.25 });
    expect(rates.cancellation).toEqual({ count: 1, rate: 0.125 });
    expect(rates.timeout).toEqual({ count: 1, rate: 0.125 });
    expect(rates.failure).toEqual({ count: 1, rate: 0.125 });
  });

  it('measures approval latency from each stage opening to its decision, by stage and by approver', () => {
    // Prepare
    const tickets = [
      made({
        stages: [
          { stage: 'manager', by: 'erin@x.com', decidedAfter: 2 },
          { stage: 'system_owner', by: 'sam@x.com', openedAfter: 2, decidedAfter: 8 },
        ],
      }),
      made({ stages: [{ stage: 'manager', by: 'erin@x.com', decidedAfter: 4, decision: 'deny' }] }),
    ];

    // Act
    const { approvalLatency } = reportFor(rollupsOf(tickets), NOVEMBER);

    // Assess
    const stage = (key: string) => approvalLatency.byStage.find((q) => q.key === key);
    near(stage('manager')?.medianHours ?? null, exactQuantile([2, 4], 0.5));
    near(stage('manager')?.p90Hours ?? null, exactQuantile([2, 4], 0.9));
    near(stage('system_owner')?.medianHours ?? null, 6);
    const erin = approvalLatency.byApprover.find((q) => q.key === 'erin@x.com');
    expect([erin?.count, erin?.approved, erin?.denied]).toEqual([2, 1, 1]);
  });

  it('counts SLA breaches of the support tickets resolved, naming them', () => {
    // Prepare
    const breached = made({ type: 'support', breaches: ['first_response', 'resolution'] });
    const tickets = [breached, made({ type: 'support', breaches: [] })];

    // Act
    const { slaBreaches } = reportFor(rollupsOf(tickets), NOVEMBER);

    // Assess
    expect(slaBreaches).toEqual({ firstResponse: 1, resolution: 1, tickets: [breached.id] });
  });

  it('averages satisfaction by the day of the feedback, with the response rate over tickets resolved', () => {
    // Prepare
    const tickets = [
      made({ feedback: { rating: 5, at: at('2026-11-04') } }),
      made({ feedback: { rating: 2, at: at('2026-11-04') } }),
      made({ createdAt: at('2026-10-20'), feedback: { rating: 4, at: at('2026-11-01') } }),
      made(),
    ];

    // Act
    const { satisfaction } = reportFor(rollupsOf(tickets), NOVEMBER);

    // Assess
    expect(satisfaction.responses).toBe(3);
    expect(satisfaction.average).toBeCloseTo(11 / 3, 10);
    expect(satisfaction.responseRate).toBe(1);
    expect(satisfaction.ratings).toEqual([0, 1, 0, 1, 1]);
  });

  it('counts volume by type, system, department, entitlement and urgency on the day of submission', () => {
    // Prepare
    const tickets = [
      made({ department: 'Finance', system: 'payroll', entitlement: 'payroll-read' }),
      made({ department: 'Finance', system: 'payroll', entitlement: 'payroll-read' }),
      made({ department: 'Engineering' }),
      made({ type: 'support' }),
    ];

    // Act
    const { volume } = reportFor(rollupsOf(tickets), NOVEMBER);

    // Assess
    expect(volume.total).toBe(4);
    expect(volume.byType).toEqual([
      { key: 'access', count: 3 },
      { key: 'support', count: 1 },
    ]);
    expect(volume.byDepartment[0]).toEqual({ key: 'Engineering', count: 2 });
    expect(volume.bySystem[0]).toEqual({ key: 'payroll', count: 2 });
    expect(volume.byUrgency).toEqual([{ key: 'normal', count: 4 }]);
  });
});
