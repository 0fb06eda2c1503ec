import { describe, expect, it } from 'vitest';
import type { ChartImages } from '../../../functions/app/ports';
import { renderReportEmail } from '../../../functions/app/report-email';
import { weeklyReportEmail } from '../../../functions/app/weekly-report-email';
import { at, made, reportFor, rollupsOf } from '../domain/analytics/histories';

/** Images stand-in: the drawing itself is report-email.test.ts's subject. */
const noImages: ChartImages = { png: async () => new Uint8Array([0x89, 0x50, 0x4e, 0x47]) };

const week = { from: '2026-11-02', to: '2026-11-08' };

/** Two wiki requests in one week: one approved in minutes and rated 4, one denied after a day. */
const reportOfTheWeek = () =>
  reportFor(
    rollupsOf([
      made({
        stages: [{ by: 'erin@x.com', decidedAfter: 0.1 }],
        resolvedAfter: 0.2,
        to: 'active',
        feedback: { rating: 4, at: at('2026-11-03', 8) },
      }),
      made({
        createdAt: at('2026-11-04', 9),
        department: 'Finance',
        stages: [{ by: 'erin@x.com', decision: 'deny', decidedAfter: 20 }],
        resolvedAfter: 20,
        to: 'closed',
        closure: 'rejected',
      }),
    ]),
    week,
  );

describe('the weekly report as an email', () => {
  it("states the week's figures and draws volume, resolution, approval latency and ratings", () => {
    // Act
    const email = weeklyReportEmail(reportOfTheWeek(), 'https://tollgate.example.com/');

    // Assess
    const [figures] = email.sections;
    expect(email.period).toEqual(week);
    expect(figures?.figures?.find((figure) => figure.label === 'Submitted')?.value).toBe(2);
    expect(figures?.figures?.find((figure) => figure.label === 'Satisfaction')?.value).toBe(4);
    const charts = email.sections.flatMap((section) => section.charts ?? []);
    expect(charts.map((chart) => chart.id)).toEqual([
      'volume-by-system',
      'volume-by-department',
      'resolution-by-entitlement',
      'approval-by-stage',
      'satisfaction-ratings',
    ]);
    expect(charts.find((chart) => chart.id === 'volume-by-department')?.categories.sort()).toEqual([
      'Engineering',
      'Finance',
    ]);
    expect(charts.find((chart) => chart.id === 'satisfaction-ratings')?.series[0]?.values).toEqual([
      0, 0, 0, 1, 0,
    ]);
  });

  it('renders whole: each chart a PNG part, the signals that did not fire said to be none, the link to the console', async () => {
    // Act
    const rendered = await renderReportEmail(
      weeklyReportEmail(reportOfTheWeek(), 'https://tollgate.example.com/'),
      noImages,
    );

    // Assess
    expect(rendered.subject).toBe('Tollgate weekly report: 2026-11-02 to 2026-11-08');
    expect(rendered.attachments).toHaveLength(5);
    expect(rendered.text).toMatch(/== Rubber-stamp approvers ==\s+None this period\./);
    expect(rendered.html).toContain('href="https://tollgate.example.com/"');
  });
});
