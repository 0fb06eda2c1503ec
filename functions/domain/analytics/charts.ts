import type { BarSeriesOption, LineSeriesOption } from 'echarts/charts';
import type { GridComponentOption, LegendComponentOption } from 'echarts/components';
import type { ComposeOption } from 'echarts/core';

/**
 * One chart as data: what the weekly report draws as a PNG and the dashboard draws in the
 * browser, both from `chartOption`, so the two never show a figure differently.
 */
export interface Chart {
  /** Lowercase letters, digits and dashes: it names the image part (`cid:`) and the file. */
  id: string;
  title: string;
  /** What the chart shows, in words, for whoever cannot see the image. */
  alt: string;
  /** `bar`: columns per category; `hbar`: horizontal bars, for long category names; `line`: over time. */
  kind: 'bar' | 'hbar' | 'line';
  /** The label of each category (a day, an entitlement, an approver), in order. */
  categories: string[];
  /** What the categories are (`System`, `Day`): the heading of the data table's first column. */
  category?: string;
  /** One value per category for each series; null where there is none (a day with no tickets resolved). */
  series: { name: string; values: (number | null)[] }[];
  /** What the values count or measure (`tickets`, `hours`, `%`), for the axis and the data table. */
  unit?: string;
}

export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption
>;

/** The palette both renderings share: readable on white, distinguishable in greyscale by order. */
export const CHART_COLORS = ['#1d4ed8', '#f59e0b', '#059669', '#dc2626', '#7c3aed', '#64748b'];

const CHART_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Throws unless the chart is drawable: a valid id, and one value per category in every series. */
export function assertChart(chart: Chart): void {
  if (!CHART_ID.test(chart.id))
    throw new Error(`Chart id "${chart.id}" must be lowercase letters, digits and dashes`);
  for (const series of chart.series) {
    if (series.values.length !== chart.categories.length) {
      throw new Error(
        `Chart ${chart.id}: series "${series.name}" has ${series.values.length} values for ${chart.categories.length} categories`,
      );
    }
  }
}

/**
 * The ECharts option that draws the chart. Pure: no size, renderer or animation, which each
 * rendering sets for itself; the title is left to the page or email around the chart.
 */
export function chartOption(chart: Chart, fontFamily = 'Inter, Arial, sans-serif'): ChartOption {
  assertChart(chart);
  const horizontal = chart.kind === 'hbar';
  const categoryAxis = {
    type: 'category' as const,
    data: chart.categories,
    axisLabel: { color: '#323f4b', fontSize: 11, hideOverlap: true },
    axisTick: { alignWithLabel: true },
    ...(horizontal ? { inverse: true } : {}),
  };
  const valueAxis = {
    type: 'value' as const,
    name: chart.unit ?? '',
    nameTextStyle: { color: '#616e7c', fontSize: 11 },
    axisLabel: { color: '#616e7c', fontSize: 11 },
    splitLine: { lineStyle: { color: '#e4e7eb' } },
    minInterval: chart.unit === '%' ? 0 : 1,
  };
  const legend = chart.series.length > 1;
  return {
    color: CHART_COLORS,
    textStyle: { fontFamily },
    legend: { show: legend, top: 0, textStyle: { fontSize: 11, color: '#323f4b' } },
    // ECharts 6 keeps axis labels inside the canvas by itself (outerBoundsMode `auto`).
    grid: { left: 8, right: 16, top: legend ? 32 : 16, bottom: 8 },
    xAxis: horizontal ? valueAxis : categoryAxis,
    yAxis: horizontal ? categoryAxis : valueAxis,
    series: chart.series.map((series) =>
      chart.kind === 'line'
        ? {
            type: 'line' as const,
            name: series.name,
            data: series.values,
            connectNulls: false,
            symbolSize: 5,
          }
        : { type: 'bar' as const, name: series.name, data: series.values, barMaxWidth: 28 },
    ),
  };
}
