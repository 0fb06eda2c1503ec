import mjml2html from 'mjml';
import { assertChart, type Chart } from '../domain/analytics/charts';
import {
  chartTable,
  formatValue,
  type ReportFigure,
  type ReportTable,
} from '../domain/analytics/report-view';
import type { ChartImages, EmailAttachment } from './ports';

/** Preformatted text shown as it is, such as the Cedar text of a rule candidate. */
export interface ReportBlock {
  title: string;
  text: string;
}

export interface ReportSection {
  title: string;
  paragraphs?: string[];
  figures?: ReportFigure[];
  /** Each drawn as an image with its alt text, and its values in a table beside it. */
  charts?: Chart[];
  tables?: ReportTable[];
  blocks?: ReportBlock[];
}

/** What a report email says, independent of how it is drawn: the input of `renderReportEmail`. */
export interface ReportEmail {
  title: string;
  /** ISO dates, both included. */
  period: { from: string; to: string };
  intro?: string[];
  sections: ReportSection[];
  /** Where to read more (the dashboard, the API): the only kind of URL the email carries. */
  links?: { label: string; url: string }[];
  footer?: string;
}

export interface RenderedReportEmail {
  subject: string;
  html: string;
  text: string;
  /** One PNG per chart, referenced from the HTML as `cid:{cid}`. */
  attachments: (EmailAttachment & { cid: string })[];
}

/** Gmail clips a message whose HTML passes 102 KB: the report keeps under this. */
export const MAX_REPORT_HTML_BYTES = 100 * 1024;
/** Rows of a table or of a chart's data shown in the email; the rest is counted, in both parts alike. */
export const MAX_TABLE_ROWS = 25;
/**
 * The rows shown per table when the report at MAX_TABLE_ROWS would pass MAX_REPORT_HTML_BYTES (a
 * busy week's signals): the email then shows the top of each table, and the dashboard the rest.
 */
const FEWER_TABLE_ROWS = [10, 5] as const;

/** The size a chart is shown at in the email, in CSS pixels: the image column of a 600 px message. */
const CHART_SIZE = { width: 340, height: 240 };
const FONT = 'Arial, Helvetica, sans-serif';
const MUTED = '#616e7c';

/**
 * Renders a report as an email: MJML compiled in strict validation (a template error fails the
 * rendering instead of sending a broken email), each chart a PNG part the HTML shows by `cid:`
 * with its alt text and its data in a table beside it, no remote URL but the report's own links,
 * and a plain-text part with the same figures and tables. Each table shows MAX_TABLE_ROWS rows, or
 * fewer when that would pass MAX_REPORT_HTML_BYTES; throws when even the fewest would.
 */
export async function renderReportEmail(
  report: ReportEmail,
  images: ChartImages,
): Promise<RenderedReportEmail> {
  const charts = report.sections.flatMap((section) => section.charts ?? []);
  const ids = new Set<string>();
  for (const chart of charts) {
    assertChart(chart);
    if (ids.has(chart.id)) throw new Error(`Two charts of the report have the id ${chart.id}`);
    ids.add(chart.id);
  }
  for (const link of report.links ?? []) {
    if (!/^https?:\/\//i.test(link.url) || !URL.canParse(link.url)) {
      throw new Error(`Report link "${link.label}" needs an absolute http(s) URL, got: ${link.url}`);
    }
  }
  const attachments = await Promise.all(
    charts.map(async (chart) => ({
      filename: `${chart.id}.png`,
      contentType: 'image/png',
      cid: cidOf(chart),
      content: await images.png(chart, CHART_SIZE),
    })),
  );
  let bytes = 0;
  for (const rowLimit of [MAX_TABLE_ROWS, ...FEWER_TABLE_ROWS]) {
    const html = await compileMjml(reportMjml(report, rowLimit));
    bytes = Buffer.byteLength(html);
    if (bytes < MAX_REPORT_HTML_BYTES) {
      return {
        subject: `${report.title}: ${report.period.from} to ${report.period.to}`,
        html,
        text: reportText(report, rowLimit),
        attachments,
      };
    }
  }
  throw new Error(
    `The report's HTML is ${bytes} bytes with ${FEWER_TABLE_ROWS.at(-1)} rows a table, over the ${MAX_REPORT_HTML_BYTES} that mail clients show whole`,
  );
}

async function compileMjml(mjml: string): Promise<string> {
  const compiled = await mjml2html(mjml, {
    validationLevel: 'strict',
    // No web fonts: MJML would otherwise link Google Fonts for a font family it knows.
    fonts: {},
    keepComments: false,
  });
  if (compiled.errors.length > 0) {
    throw new Error(
      `The report's MJML is invalid: ${compiled.errors.map((e) => e.formattedMessage).join('; ')}`,
    );
  }
  return compiled.html;
}

const cidOf = (chart: Chart): string => `chart-${chart.id}@tollgate`;

/** The rows shown, and how many were left out. */
function shownRows<T>(rows: T[], limit: number): { rows: T[]; more: number } {
  return { rows: rows.slice(0, limit), more: Math.max(0, rows.length - limit) };
}

const moreRows = (more: number): string => `… and ${more} more ${more === 1 ? 'row' : 'rows'}`;

/** The MJML of the report, before compilation, with at most `rowLimit` rows a table. */
export function reportMjml(report: ReportEmail, rowLimit: number = MAX_TABLE_ROWS): string {
  const head =
    '<mj-head>' +
    `<mj-title>${esc(report.title)}</mj-title>` +
    `<mj-preview>${esc(`${report.title}: ${report.period.from} to ${report.period.to}`)}</mj-preview>` +
    `<mj-attributes><mj-all font-family="${FONT}" /><mj-text font-size="14px" line-height="20px" color="#1f2933" padding="4px 24px" /><mj-table font-size="13px" line-height="18px" color="#1f2933" padding="4px 24px" /></mj-attributes>` +
    '</mj-head>';
  const heading =
    '<mj-section background-color="#ffffff" padding="16px 0 8px"><mj-column>' +
    `<mj-text font-size="22px" line-height="28px" font-weight="bold">${esc(report.title)}</mj-text>` +
    `<mj-text color="${MUTED}">${esc(report.period.from)} to ${esc(report.period.to)}</mj-text>` +
    (report.intro ?? []).map((line) => `<mj-text>${esc(line)}</mj-text>`).join('') +
    '</mj-column></mj-section>';
  const links = report.links?.length
    ? '<mj-section background-color="#ffffff" padding="8px 0"><mj-column>' +
      report.links
        .map(
          (link) =>
            `<mj-button href="${esc(link.url)}" background-color="#1d4ed8" color="#ffffff" font-size="14px" align="left" padding="4px 24px">${esc(link.label)}</mj-button>`,
        )
        .join('') +
      '</mj-column></mj-section>'
    : '';
  const footer = report.footer
    ? `<mj-section padding="8px 0 16px"><mj-column><mj-text font-size="12px" color="${MUTED}">${esc(report.footer)}</mj-text></mj-column></mj-section>`
    : '';
  return `<mjml lang="en">${head}<mj-body background-color="#f5f7fa" width="600px">${heading}${report.sections
    .map((section) => sectionMjml(section, rowLimit))
    .join('')}${links}${footer}</mj-body></mjml>`;
}

function sectionMjml(section: ReportSection, rowLimit: number): string {
  const open = '<mj-section background-color="#ffffff" padding="8px 0"><mj-column>';
  const close = '</mj-column></mj-section>';
  const top =
    open +
    `<mj-divider border-width="1px" border-color="#e4e7eb" padding="8px 24px" /><mj-text font-size="17px" line-height="24px" font-weight="bold">${esc(section.title)}</mj-text>` +
    (section.paragraphs ?? []).map((line) => `<mj-text>${esc(line)}</mj-text>`).join('') +
    (section.figures?.length
      ? `<mj-table>${section.figures
          .map(
            (figure) =>
              `<tr><td style="padding:3px 12px 3px 0;border-bottom:1px solid #e4e7eb;">${esc(figure.label)}</td>` +
              `<td style="padding:3px 0;border-bottom:1px solid #e4e7eb;text-align:right;font-weight:bold;">${esc(formatValue(figure.value, figure.unit))}</td></tr>`,
          )
          .join('')}</mj-table>`
      : '') +
    close;
  // Each chart takes a row of its own: the image, and its data beside it (stacked on a phone).
  const charts = (section.charts ?? [])
    .map(
      (chart) =>
        '<mj-section background-color="#ffffff" padding="4px 0">' +
        `<mj-column width="60%"><mj-text font-weight="bold">${esc(chart.title)}</mj-text>` +
        `<mj-image src="cid:${cidOf(chart)}" alt="${esc(chart.alt)}" title="${esc(chart.title)}" width="${CHART_SIZE.width}px" height="${CHART_SIZE.height}px" padding="4px 12px 4px 24px" /></mj-column>` +
        `<mj-column width="40%">${tableMjml(chartTable(chart), false, rowLimit)}</mj-column>` +
        '</mj-section>',
    )
    .join('');
  const rest =
    (section.tables ?? []).length + (section.blocks ?? []).length > 0
      ? open +
        (section.tables ?? []).map((table) => tableMjml(table, true, rowLimit)).join('') +
        (section.blocks ?? [])
          .map(
            (block) =>
              `<mj-text font-weight="bold">${esc(block.title)}</mj-text>` +
              `<mj-text font-family="Menlo, Consolas, monospace" font-size="12px" line-height="16px" container-background-color="#f5f7fa"><pre style="margin:0;white-space:pre-wrap;">${esc(block.text)}</pre></mj-text>`,
          )
          .join('') +
        close
      : '';
  return top + charts + rest;
}

function tableMjml(table: ReportTable, titled: boolean, rowLimit: number): string {
  const { rows, more } = shownRows(table.rows, rowLimit);
  const cell = 'padding:3px 6px;border-bottom:1px solid #e4e7eb;';
  return (
    (titled ? `<mj-text font-weight="bold">${esc(table.title)}</mj-text>` : '') +
    `<mj-table font-size="12px"><tr>${table.columns
      // Headers stay whole: MJML columns break words, which cut "Department" into three lines.
      .map((column) => `<th style="${cell}text-align:left;white-space:nowrap;">${esc(column)}</th>`)
      .join('')}</tr>${rows
      .map(
        (row) =>
          `<tr>${row.map((value) => `<td style="${cell}">${esc(formatValue(value))}</td>`).join('')}</tr>`,
      )
      .join('')}</mj-table>` +
    (more > 0 ? `<mj-text font-size="12px" color="${MUTED}">${esc(moreRows(more))}</mj-text>` : '')
  );
}

function reportText(report: ReportEmail, rowLimit: number): string {
  const blocks = [`${report.title}\n${report.period.from} to ${report.period.to}`, ...(report.intro ?? [])];
  for (const section of report.sections) {
    const lines = [`== ${section.title} ==`];
    for (const paragraph of section.paragraphs ?? []) lines.push('', paragraph);
    if (section.figures?.length) {
      lines.push(
        '',
        ...section.figures.map((figure) => `${figure.label}: ${formatValue(figure.value, figure.unit)}`),
      );
    }
    for (const chart of section.charts ?? []) lines.push('', textTable(chartTable(chart), rowLimit));
    for (const table of section.tables ?? []) lines.push('', textTable(table, rowLimit));
    for (const block of section.blocks ?? []) lines.push('', `${block.title}:`, block.text);
    blocks.push(lines.join('\n'));
  }
  if (report.links?.length) blocks.push(report.links.map((link) => `${link.label}: ${link.url}`).join('\n'));
  if (report.footer) blocks.push(`--\n${report.footer}`);
  return `${blocks.join('\n\n')}\n`;
}

/** A table in plain text: its title, then each row as `column: value` pairs a reader can scan. */
function textTable(table: ReportTable, rowLimit: number): string {
  const { rows, more } = shownRows(table.rows, rowLimit);
  const lines = rows.map(
    (row) =>
      `- ${row
        .map((value, index) => {
          const column = table.columns[index];
          return column ? `${column}: ${formatValue(value)}` : formatValue(value);
        })
        .join(', ')}`,
  );
  return [`${table.title}:`, ...lines, ...(more > 0 ? [moreRows(more)] : [])].join('\n');
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}
