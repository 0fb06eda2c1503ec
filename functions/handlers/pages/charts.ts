import { type Chart, chartOption } from '../../domain/analytics/charts';
import { type ChartGroup, chartTable } from '../../domain/analytics/report-view';
import { ECHARTS_FILE } from './assets';
import { type Html, html, jsonData } from './html';

/** The scripts a page with charts loads after console.js, in this order: ECharts, then the script that draws with it. */
export const chartScripts = [`/console/assets/${ECHARTS_FILE}`, '/console/assets/charts.js'];

/** The browser's own fonts, as the console's stylesheet names them. */
const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';

/** Pixels a chart takes: a bar per category for horizontal bars (and room for a legend), a fixed height otherwise. */
function heightOf(chart: Chart): number {
  if (chart.kind !== 'hbar') return 240;
  return Math.max(120, chart.categories.length * (chart.series.length > 1 ? 40 : 28) + 56);
}

/**
 * One chart as a figure: its ECharts option (the same `chartOption` the emailed PNG is drawn from)
 * in a JSON data block that charts.js draws into the canvas, and its data as a table with a
 * caption, open until the chart is drawn. Without the script, or for a screen reader, the table
 * is the chart; the drawn canvas is an image named by the chart's alt text.
 */
export function chartFigure(chart: Chart): Html {
  const id = `chart-${chart.id}`;
  const table = chartTable(chart);
  const [category = '', ...series] = table.columns;
  return html`<figure class="chart" data-chart="${id}" aria-labelledby="${id}-title"><figcaption id="${id}-title">${chart.title}</figcaption>
<div class="chart-canvas" data-height="${heightOf(chart)}" role="img" aria-label="${chart.alt}"></div>
${jsonData(id, chartOption(chart, FONT_FAMILY))}
<details class="chart-data" open><summary>The data of “${chart.title}”</summary><div class="scroll"><table><caption>${chart.title}${chart.unit ? ` (${chart.unit})` : ''}</caption>
<thead><tr><th scope="col">${category || 'Category'}</th>${series.map((name) => html`<th scope="col">${name}</th>`)}</tr></thead>
<tbody>${table.rows.map(
    ([label, ...values]) =>
      html`<tr><th scope="row">${label}</th>${values.map((value) => html`<td>${value}</td>`)}</tr>`,
  )}</tbody></table></div></details></figure>`;
}

/** A group of charts under its heading; a chart with nothing to show is said to be empty instead of drawn. */
export function chartSection(group: ChartGroup): Html {
  return html`<section class="card"><h2>${group.title}</h2>${group.charts.map((chart) =>
    chart.categories.length > 0
      ? chartFigure(chart)
      : html`<p><strong>${chart.title}</strong>: nothing in this period.</p>`,
  )}</section>`;
}
