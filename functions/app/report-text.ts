import type { AnalyticsReport, KeyedQuantiles, Rate, Tally } from '../domain/analytics/report';
import type { Quantiles } from '../domain/analytics/sketch';

/** Columns padded to their widest cell, numbers to the right. */
export function textTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [headers, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly (string | number)[], texts: string[]) =>
    texts
      .map((text, column) =>
        typeof row[column] === 'number'
          ? text.padStart(widths[column] ?? 0)
          : text.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const [head = [], ...body] = cells;
  return [
    line(headers, head),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...body.map((texts, index) => line(rows[index] ?? [], texts)),
  ].join('\n');
}

const hours = (value: number | null) =>
  value === null ? '-' : value < 1 ? `${(value * 60).toFixed(1)} min` : `${value.toFixed(1)} h`;
const percent = (rate: number | null) => (rate === null ? '-' : `${(rate * 100).toFixed(1)}%`);
const section = (title: string, body: string) => `${title}\n${'='.repeat(title.length)}\n${body}\n`;
const none = 'none';

const talliesTable = (name: string, tallies: readonly Tally[]) =>
  tallies.length === 0
    ? none
    : textTable(
        [name, 'tickets'],
        tallies.map((tally) => [tally.key, tally.count]),
      );
const quantilesTable = (name: string, list: readonly KeyedQuantiles[]) =>
  list.length === 0
    ? none
    : textTable(
        [name, 'tickets', 'median', 'p90'],
        list.map((q) => [q.key, q.count, hours(q.medianHours), hours(q.p90Hours)]),
      );
const overall = (q: Quantiles) =>
  `${q.count} resolved, median ${hours(q.medianHours)}, p90 ${hours(q.p90Hours)}`;
const rateRow = (name: string, rate: Rate) => [name, rate.count, percent(rate.rate)];

/**
 * The report as plain text: the key figures, then each signal with the tickets and people behind it,
 * then the rule candidates with their Cedar text. What `npm run analytics` prints and the email's text.
 */
export function reportText(report: AnalyticsReport): string {
  const { volume, resolution, approvalLatency, rates, satisfaction, slaBreaches, signals } = report;
  const parts = [
    `Tollgate analytics, ${report.period.from} to ${report.period.to} (${report.period.days} days), computed ${report.computedAt}\n`,
    section(
      'Key figures',
      textTable(
        ['figure', 'count', 'rate'],
        [
          ['submitted', volume.total, ''],
          ['resolved', rates.resolved, ''],
          rateRow('auto-approved', rates.autoApproval),
          rateRow('rejected', rates.rejection),
          rateRow('cancelled', rates.cancellation),
          rateRow('timed out', rates.timeout),
          rateRow('failed', rates.failure),
          ['SLA breaches (first response)', slaBreaches.firstResponse, ''],
          ['SLA breaches (resolution)', slaBreaches.resolution, ''],
          ['satisfaction responses', satisfaction.responses, percent(satisfaction.responseRate)],
        ],
      ) +
        `\nTime to resolution: ${overall(resolution.overall)}` +
        `\nSatisfaction: ${satisfaction.average === null ? '-' : `${satisfaction.average.toFixed(2)} of 5`}`,
    ),
    section('Volume by type', talliesTable('type', volume.byType)),
    section('Volume by system', talliesTable('system', volume.bySystem)),
    section('Volume by department', talliesTable('department', volume.byDepartment)),
    section('Volume by entitlement', talliesTable('entitlement', volume.byEntitlement)),
    section('Volume by urgency', talliesTable('urgency', volume.byUrgency)),
    section('Time to resolution by entitlement', quantilesTable('entitlement', resolution.byEntitlement)),
    section('Time to resolution by system', quantilesTable('system', resolution.bySystem)),
    section('Approval latency by stage', quantilesTable('stage', approvalLatency.byStage)),
    section(
      'Approval latency by approver',
      approvalLatency.byApprover.length === 0
        ? none
        : textTable(
            ['approver', 'decisions', 'approved', 'denied', 'median', 'p90'],
            approvalLatency.byApprover.map((q) => [
              q.key,
              q.count,
              q.approved,
              q.denied,
              hours(q.medianHours),
              hours(q.p90Hours),
            ]),
          ),
    ),
    section(
      `Signal: recurring requests (at least ${report.thresholds.recurringRequests.minPeople} people of one department)`,
      signals.recurringRequests.length === 0
        ? none
        : signals.recurringRequests
            .map(
              (s) =>
                `${s.department} asked for ${s.entitlement} (${s.system}) ${s.tickets.length} times, by ${s.people.length} people: ${s.people.join(', ')}\n  tickets: ${s.tickets.join(', ')}`,
            )
            .join('\n'),
    ),
    section(
      `Signal: re-requests within ${report.thresholds.reRequests.withinDays} days of a grant's end`,
      signals.reRequests.length === 0
        ? none
        : textTable(
            ['person', 'entitlement', 'times', 'tickets'],
            signals.reRequests.map((s) => [s.person, s.entitlement, s.times, s.tickets.join(' ')]),
          ),
    ),
    section(
      'Signal: rubber-stamp approvers',
      signals.rubberStampApprovers.length === 0
        ? none
        : textTable(
            ['approver', 'decisions', 'approved', 'median', 'tickets'],
            signals.rubberStampApprovers.map((s) => [
              s.approver,
              s.decisions,
              percent(s.approvalRate),
              `${s.medianMinutes.toFixed(1)} min`,
              s.tickets.slice(0, 5).join(' '),
            ]),
          ),
    ),
    section(
      'Signal: slow entitlements',
      signals.slowEntitlements.length === 0
        ? none
        : textTable(
            ['entitlement', 'tickets', 'median', 'p90', 'slowest'],
            signals.slowEntitlements.map((s) => [
              s.entitlement,
              s.tickets,
              hours(s.medianHours),
              hours(s.p90Hours),
              s.slowest.join(' '),
            ]),
          ),
    ),
    section(
      `Signal: standing grants older than ${report.thresholds.standingGrants.olderThanDays} days, never reviewed`,
      signals.unreviewedStandingGrants.length === 0
        ? none
        : textTable(
            ['holder', 'entitlement', 'days', 'grant'],
            signals.unreviewedStandingGrants.map((s) => [
              s.holder,
              s.entitlement,
              Math.floor(s.days),
              s.grant,
            ]),
          ),
    ),
    section(
      'Rule candidates',
      report.ruleCandidates.length === 0
        ? none
        : report.ruleCandidates
            .map(
              (c) =>
                `${c.entitlement} (${c.system}, ${c.sensitivity}) for ${c.department}: approved ${c.approved} times, never denied` +
                `${c.simulation ? `; simulation job ${c.simulation.jobId}` : ''}\n  tickets: ${c.tickets.join(', ')}\n\n${c.cedar}\n`,
            )
            .join('\n'),
    ),
  ];
  return parts.join('\n');
}
