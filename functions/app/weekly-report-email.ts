import type { AnalyticsReport } from '../domain/analytics/report';
import {
  keyFigures,
  percent,
  type ReportTable,
  reportCharts,
  rounded,
} from '../domain/analytics/report-view';
import type { ChartImages, Mailer, ReportMailer } from './ports';
import { type ReportEmail, type ReportSection, renderReportEmail } from './report-email';

/** A signal's entries as a table, or a sentence saying there were none. */
function signalSection(title: string, table: ReportTable): ReportSection {
  return table.rows.length === 0 ? { title, paragraphs: ['None this period.'] } : { title, tables: [table] };
}

/**
 * The weekly report as an email: the key figures, charts of volume, time to resolution, approval
 * latency and satisfaction (each with its data beside it), then each governance signal with the
 * tickets and people behind it, and the rule candidates with their Cedar text.
 */
export function weeklyReportEmail(report: AnalyticsReport, dashboardUrl: string): ReportEmail {
  const { volume, rates, signals, thresholds } = report;
  return {
    title: 'Tollgate weekly report',
    period: { from: report.period.from, to: report.period.to },
    intro: [
      `${volume.total} tickets were submitted and ${rates.resolved} resolved in the ${report.period.days} days up to ${report.period.to}.`,
    ],
    sections: [
      { title: 'Key figures', figures: keyFigures(report) },
      ...reportCharts(report),
      signalSection(
        `Recurring requests (at least ${thresholds.recurringRequests.minPeople} people of one department)`,
        {
          title: 'Recurring requests',
          columns: ['Department', 'Entitlement', 'System', 'People', 'Tickets'],
          rows: signals.recurringRequests.map((s) => [
            s.department,
            s.entitlement,
            s.system,
            s.people.join(', '),
            s.tickets.join(' '),
          ]),
        },
      ),
      signalSection(`Re-requests within ${thresholds.reRequests.withinDays} days of a grant's end`, {
        title: 'Re-requests',
        columns: ['Person', 'Entitlement', 'Times', 'Tickets'],
        rows: signals.reRequests.map((s) => [s.person, s.entitlement, s.times, s.tickets.join(' ')]),
      }),
      signalSection('Rubber-stamp approvers', {
        title: 'Rubber-stamp approvers',
        columns: ['Approver', 'Decisions', 'Approved', 'Median', 'Tickets'],
        rows: signals.rubberStampApprovers.map((s) => [
          s.approver,
          s.decisions,
          `${percent(s.approvalRate)}%`,
          `${s.medianMinutes.toFixed(1)} min`,
          s.tickets.slice(0, 5).join(' '),
        ]),
      }),
      signalSection('Slow entitlements', {
        title: 'Slow entitlements',
        columns: ['Entitlement', 'Tickets', 'Median (h)', 'p90 (h)', 'Slowest'],
        rows: signals.slowEntitlements.map((s) => [
          s.entitlement,
          s.tickets,
          rounded(s.medianHours),
          rounded(s.p90Hours),
          s.slowest.join(' '),
        ]),
      }),
      signalSection(
        `Standing grants older than ${thresholds.standingGrants.olderThanDays} days, never reviewed`,
        {
          title: 'Standing grants',
          columns: ['Holder', 'Entitlement', 'Days', 'Grant'],
          rows: signals.unreviewedStandingGrants.map((s) => [
            s.holder,
            s.entitlement,
            Math.floor(s.days),
            s.grant,
          ]),
        },
      ),
      report.ruleCandidates.length === 0
        ? { title: 'Rule candidates', paragraphs: ['None this period.'] }
        : {
            title: 'Rule candidates',
            paragraphs: [
              'Requests people always approved: each rule below would approve them by policy. Nothing changes until an admin adds it with PUT /policies.',
            ],
            blocks: report.ruleCandidates.map((c) => ({
              title: `${c.entitlement} (${c.system}) for ${c.department}: approved ${c.approved} times, never denied${
                c.simulation ? `; simulation job ${c.simulation.jobId}` : ''
              }`,
              text: c.cedar,
            })),
          },
    ],
    links: [{ label: 'Open the analytics', url: dashboardUrl }],
    footer: `Computed ${report.computedAt}. You receive this because you are named in ANALYTICS_RECIPIENTS.`,
  };
}

/** Sends the weekly report as rendered email: HTML with its charts as inline PNG parts, and a text part. */
export class RenderedReportMailer implements ReportMailer {
  constructor(
    private readonly mailer: Mailer,
    private readonly images: ChartImages,
    private readonly dashboardUrl: string,
  ) {}

  async sendWeeklyReport(report: AnalyticsReport, recipients: readonly string[]): Promise<void> {
    const rendered = await renderReportEmail(weeklyReportEmail(report, this.dashboardUrl), this.images);
    await this.mailer.send({
      to: [...recipients],
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      attachments: rendered.attachments,
    });
  }
}
