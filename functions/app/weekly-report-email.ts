import type { AnalyticsReport, KeyedQuantiles, Rate, Tally } from '../domain/analytics/report';
import type { ChartImages, Mailer, ReportMailer } from './ports';
import { type ReportEmail, type ReportSection, type ReportTable, renderReportEmail } from './report-email';

/** Categories a chart shows: the largest, as the report lists them largest first. */
const CHART_CATEGORIES = 10;

const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 1000) / 10);
const rounded = (hours: number | null) => (hours === null ? null : Math.round(hours * 10) / 10);
const rateFigure = (label: string, rate: Rate) => ({
  label,
  value: rate.count,
  unit: rate.rate === null ? 'tickets' : `tickets (${percent(rate.rate)}%)`,
});

function talliesChart(id: string, title: string, tallies: readonly Tally[]) {
  const shown = tallies.slice(0, CHART_CATEGORIES);
  return {
    id,
    title,
    alt: `${title}: ${shown.map((tally) => `${tally.key} ${tally.count}`).join(', ') || 'none'}`,
    kind: 'hbar' as const,
    categories: shown.map((tally) => tally.key),
    series: [{ name: 'Tickets', values: shown.map((tally) => tally.count) }],
    unit: 'tickets',
  };
}

function quantilesChart(id: string, title: string, list: readonly KeyedQuantiles[]) {
  const shown = list.slice(0, CHART_CATEGORIES);
  return {
    id,
    title,
    alt: `${title}, median and p90 in hours: ${
      shown.map((q) => `${q.key} ${rounded(q.medianHours)} and ${rounded(q.p90Hours)}`).join('; ') || 'none'
    }`,
    kind: 'hbar' as const,
    categories: shown.map((q) => q.key),
    series: [
      { name: 'Median', values: shown.map((q) => rounded(q.medianHours)) },
      { name: 'p90', values: shown.map((q) => rounded(q.p90Hours)) },
    ],
    unit: 'h',
  };
}

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
  const { volume, resolution, approvalLatency, rates, satisfaction, slaBreaches, signals, thresholds } =
    report;
  return {
    title: 'Tollgate weekly report',
    period: { from: report.period.from, to: report.period.to },
    intro: [
      `${volume.total} tickets were submitted and ${rates.resolved} resolved in the ${report.period.days} days up to ${report.period.to}.`,
    ],
    sections: [
      {
        title: 'Key figures',
        figures: [
          { label: 'Submitted', value: volume.total, unit: 'tickets' },
          { label: 'Resolved', value: rates.resolved, unit: 'tickets' },
          rateFigure('Auto-approved', rates.autoApproval),
          rateFigure('Rejected', rates.rejection),
          rateFigure('Cancelled', rates.cancellation),
          rateFigure('Timed out', rates.timeout),
          rateFigure('Failed', rates.failure),
          { label: 'Median time to resolution', value: rounded(resolution.overall.medianHours), unit: 'h' },
          { label: 'p90 time to resolution', value: rounded(resolution.overall.p90Hours), unit: 'h' },
          { label: 'SLA breaches (first response)', value: slaBreaches.firstResponse },
          { label: 'SLA breaches (resolution)', value: slaBreaches.resolution },
          {
            label: 'Satisfaction',
            value: satisfaction.average === null ? null : Math.round(satisfaction.average * 100) / 100,
            unit: `of 5 (${satisfaction.responses} responses)`,
          },
        ],
      },
      {
        title: 'Volume',
        charts: [
          talliesChart('volume-by-system', 'Submitted by system', volume.bySystem),
          talliesChart('volume-by-department', 'Submitted by department', volume.byDepartment),
        ],
      },
      {
        title: 'Time to resolution',
        charts: [
          quantilesChart(
            'resolution-by-entitlement',
            'Time to resolution by entitlement',
            resolution.byEntitlement,
          ),
        ],
      },
      {
        title: 'Approval latency',
        charts: [quantilesChart('approval-by-stage', 'Approval latency by stage', approvalLatency.byStage)],
      },
      {
        title: 'Satisfaction',
        charts: [
          {
            id: 'satisfaction-ratings',
            title: 'Ratings given',
            alt: `Ratings given: ${satisfaction.ratings.map((count, index) => `${index + 1}: ${count}`).join(', ')}`,
            kind: 'bar',
            categories: ['1', '2', '3', '4', '5'],
            series: [{ name: 'Responses', values: [...satisfaction.ratings] }],
            unit: 'responses',
          },
        ],
      },
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
