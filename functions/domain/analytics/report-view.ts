import type { Chart } from './charts';
import type { AnalyticsReport, KeyedQuantiles, Rate, Tally } from './report';

/**
 * What a report shows a person, whatever draws it (the weekly email, the console's dashboard): its
 * key figures, its charts (one definition each), and each chart's data as a table, every value
 * formatted alike. The renderers lay these out; none defines a figure or a chart of its own.
 */

/** A figure of a report: a count, a time, a rate, with what it measures. */
export interface ReportFigure {
  label: string;
  value: number | string | null;
  /** Shown after the value: `tickets`, `h`, `%`. */
  unit?: string;
}

/** Rows of text under named columns: the people and tickets behind a signal, or a chart's data. */
export interface ReportTable {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

/** Charts under one heading: "Volume", "Time to resolution". */
export interface ChartGroup {
  title: string;
  charts: Chart[];
}

/** Categories a chart shows: the largest, as the report lists them largest first. */
export const CHART_CATEGORIES = 10;

export const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 1000) / 10);
export const rounded = (hours: number | null) => (hours === null ? null : Math.round(hours * 10) / 10);

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** A value as every rendering shows it: numbers grouped and rounded alike, nothing as a dash. */
export function formatValue(value: number | string | null, unit?: string): string {
  if (value === null) return '–';
  const shown = typeof value === 'number' ? numberFormat.format(value) : value;
  if (!unit) return shown;
  return unit === '%' ? `${shown}%` : `${shown} ${unit}`;
}

/** A chart's values as a table: a row per category, a column per series, each value formatted. */
export function chartTable(chart: Chart): ReportTable {
  return {
    title: chart.title,
    columns: [
      chart.category ?? (chart.kind === 'line' ? 'Day' : ''),
      ...chart.series.map((series) => series.name),
    ],
    rows: chart.categories.map((category, index) => [
      category,
      ...chart.series.map((series) => formatValue(series.values[index] ?? null, chart.unit)),
    ]),
  };
}

const rateFigure = (label: string, rate: Rate): ReportFigure => ({
  label,
  value: rate.count,
  unit: rate.rate === null ? 'tickets' : `tickets (${percent(rate.rate)}%)`,
});

/** The period's key figures: volume, outcomes, resolution time, SLA breaches and satisfaction. */
export function keyFigures(report: AnalyticsReport): ReportFigure[] {
  const { volume, resolution, rates, satisfaction, slaBreaches } = report;
  return [
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
  ];
}

function talliesChart(id: string, title: string, category: string, tallies: readonly Tally[]): Chart {
  const shown = tallies.slice(0, CHART_CATEGORIES);
  return {
    id,
    title,
    category,
    alt: `${title}: ${shown.map((tally) => `${tally.key} ${tally.count}`).join(', ') || 'none'}`,
    kind: 'hbar',
    categories: shown.map((tally) => tally.key),
    series: [{ name: 'Tickets', values: shown.map((tally) => tally.count) }],
    unit: 'tickets',
  };
}

function quantilesChart(id: string, title: string, category: string, list: readonly KeyedQuantiles[]): Chart {
  const shown = list.slice(0, CHART_CATEGORIES);
  return {
    id,
    title,
    category,
    alt: `${title}, median and p90 in hours: ${
      shown.map((q) => `${q.key} ${rounded(q.medianHours)} and ${rounded(q.p90Hours)}`).join('; ') || 'none'
    }`,
    kind: 'hbar',
    categories: shown.map((q) => q.key),
    series: [
      { name: 'Median', values: shown.map((q) => rounded(q.medianHours)) },
      { name: 'p90', values: shown.map((q) => rounded(q.p90Hours)) },
    ],
    unit: 'h',
  };
}

/** THE charts of a report, by heading: volume, time to resolution, approval latency and ratings. */
export function reportCharts(report: AnalyticsReport): ChartGroup[] {
  const { volume, resolution, approvalLatency, satisfaction } = report;
  return [
    {
      title: 'Volume',
      charts: [
        talliesChart('volume-by-system', 'Submitted by system', 'System', volume.bySystem),
        talliesChart('volume-by-department', 'Submitted by department', 'Department', volume.byDepartment),
      ],
    },
    {
      title: 'Time to resolution',
      charts: [
        quantilesChart(
          'resolution-by-entitlement',
          'Time to resolution by entitlement',
          'Entitlement',
          resolution.byEntitlement,
        ),
      ],
    },
    {
      title: 'Approval latency',
      charts: [
        quantilesChart('approval-by-stage', 'Approval latency by stage', 'Stage', approvalLatency.byStage),
      ],
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
          category: 'Rating',
          series: [{ name: 'Responses', values: [...satisfaction.ratings] }],
          unit: 'responses',
        },
      ],
    },
  ];
}
