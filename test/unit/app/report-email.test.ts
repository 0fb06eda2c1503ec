import { type ParsedMail, simpleParser } from 'mailparser';
import mjml2html from 'mjml';
import { beforeAll, describe, expect, it } from 'vitest';
import { chartAssetPaths, PngCharts } from '../../../functions/adapters/charts/png';
import { composeMime } from '../../../functions/adapters/email';
import {
  MAX_REPORT_HTML_BYTES,
  MAX_TABLE_ROWS,
  type ReportEmail,
  renderReportEmail,
  reportMjml,
} from '../../../functions/app/report-email';

const charts = new PngCharts(chartAssetPaths(undefined));

/** A week's report as the analytics would hand it over: figures, two charts, a signal's table, a rule's Cedar text. */
const weekly: ReportEmail = {
  title: 'Tollgate weekly report',
  period: { from: '2026-11-23', to: '2026-11-29' },
  intro: ['What happened to access requests this week.'],
  sections: [
    {
      title: 'Volume',
      figures: [
        { label: 'Tickets submitted', value: 1234 },
        { label: 'Median time to resolution', value: 3.456, unit: 'h' },
        { label: 'Auto-approval rate', value: 41.5, unit: '%' },
        { label: 'Satisfaction', value: null },
      ],
      charts: [
        {
          id: 'volume-by-day',
          title: 'Tickets by day',
          alt: 'Tickets submitted each day, from 120 on Monday to 310 on Friday',
          kind: 'line',
          categories: ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27'],
          series: [{ name: 'Submitted', values: [120, 180, 200, 260, 310] }],
          unit: 'tickets',
        },
        {
          id: 'resolution-by-entitlement',
          title: 'Time to resolution by entitlement',
          alt: 'Median and p90 hours to resolution for each entitlement; aws-prod-admin is slowest',
          kind: 'hbar',
          categories: ['github-write', 'aws-prod-admin', 'wiki-read'],
          series: [
            { name: 'Median', values: [2.5, 20.25, 0.1] },
            { name: 'p90', values: [6, 48, null] },
          ],
          unit: 'h',
        },
      ],
    },
    {
      title: 'Governance signals',
      paragraphs: ['Three people of Engineering asked for github-write: a role may be missing.'],
      tables: [
        {
          title: 'Recurring requests',
          columns: ['Department', 'Entitlement', 'People'],
          rows: [['Engineering', 'github-write', 3]],
        },
      ],
      blocks: [
        {
          title: 'Rule candidate',
          text: 'permit (principal in Department::"engineering", action == Action::"request", resource == Entitlement::"github-write");',
        },
      ],
    },
  ],
  links: [
    {
      label: 'Open the dashboard',
      url: 'https://tollgate.example.com/analytics?from=2026-11-23&to=2026-11-29',
    },
  ],
  footer: 'Tollgate sends this report every Monday to the configured recipients.',
};

describe('renderReportEmail', () => {
  let parsed: ParsedMail;
  let html: string;

  beforeAll(async () => {
    const rendered = await renderReportEmail(weekly, charts);
    html = rendered.html;
    parsed = await simpleParser(
      Buffer.from(await composeMime('tollgate@example.com', { to: ['aude.audit@example.com'], ...rendered })),
      // As a mail client reads it: by default mailparser inlines each cid: part as a data: URL.
      { keepCidLinks: true },
    );
  });

  it('sends each chart as a PNG part whose cid the HTML shows, with the chart alt text', () => {
    // Prepare
    const cids = [...html.matchAll(/<img\b[^>]*\bsrc="cid:([^"]+)"[^>]*>/g)].map((match) => ({
      cid: match[1],
      alt: /\balt="([^"]*)"/.exec(match[0])?.[1],
    }));

    // Act
    const parts = parsed.attachments.map((part) => ({
      cid: part.cid,
      contentType: part.contentType,
      filename: part.filename,
      png: part.content.subarray(1, 4).toString('latin1'),
      width: part.content.readUInt32BE(16),
    }));

    // Assess
    expect(parts).toEqual([
      {
        cid: 'chart-volume-by-day@tollgate',
        contentType: 'image/png',
        filename: 'volume-by-day.png',
        png: 'PNG',
        width: 680,
      },
      {
        cid: 'chart-resolution-by-entitlement@tollgate',
        contentType: 'image/png',
        filename: 'resolution-by-entitlement.png',
        png: 'PNG',
        width: 680,
      },
    ]);
    expect(cids).toEqual([
      { cid: 'chart-volume-by-day@tollgate', alt: weekly.sections[0]?.charts?.[0]?.alt },
      { cid: 'chart-resolution-by-entitlement@tollgate', alt: weekly.sections[0]?.charts?.[1]?.alt },
    ]);
  });

  it('shows each chart data in a table beside its image', () => {
    // Prepare
    const afterImage = html.slice(html.indexOf('cid:chart-resolution-by-entitlement@tollgate'));

    // Act
    const table = /<table[^>]*>\s*<tr><th[\s\S]*?<\/table>/.exec(afterImage)?.[0] ?? '';

    // Assess
    expect(table).toMatch(/<th[^>]*>Median<\/th><th[^>]*>p90<\/th>/);
    expect(table).toMatch(/<td[^>]*>aws-prod-admin<\/td><td[^>]*>20\.25 h<\/td><td[^>]*>48 h<\/td>/);
    expect(table).toMatch(/<td[^>]*>wiki-read<\/td><td[^>]*>0\.1 h<\/td><td[^>]*>–<\/td>/);
  });

  it('keeps the HTML under 100 KB', () => {
    // Act
    const bytes = Buffer.byteLength(parsed.html || '');

    // Assess
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(MAX_REPORT_HTML_BYTES);
  });

  it('declares its language, so a screen reader reads it as English', () => {
    // Assess
    expect(parsed.html).toMatch(/<html lang="en"/);
  });

  it('carries no remote URL in the HTML but the report links', () => {
    // Prepare
    const links = weekly.links?.map((link) => link.url.replaceAll('&', '&amp;')) ?? [];

    // Act
    const urls = [
      ...(parsed.html || '').matchAll(/\b(\w[\w:-]*)\s*=\s*"(https?:[^"]*)"|url\(\s*['"]?(https?:[^)'"]*)/gi),
    ].map((match) => ({ attribute: match[1] ?? 'url()', url: match[2] ?? match[3] }));

    // Assess
    // XML namespaces name a vocabulary: nothing is fetched from them.
    expect(urls.filter((found) => !found.attribute.startsWith('xmlns'))).toEqual(
      links.map((url) => ({ attribute: 'href', url })),
    );
    expect(parsed.html).not.toMatch(/<(?:link|script|iframe)\b/i);
    expect([...(parsed.html || '').matchAll(/\bsrc\s*=\s*"([^"]*)"/gi)].map((match) => match[1])).toEqual([
      'cid:chart-volume-by-day@tollgate',
      'cid:chart-resolution-by-entitlement@tollgate',
    ]);
  });

  it('compiles as MJML in strict validation without an error', async () => {
    // Act
    const compiled = await mjml2html(reportMjml(weekly), { validationLevel: 'strict', fonts: {} });

    // Assess
    expect(compiled.errors).toEqual([]);
  });

  it('writes the same figures, chart data, tables and Cedar text in the plain-text part', () => {
    // Act
    const text = parsed.text ?? '';

    // Assess
    expect(text).toContain('Tollgate weekly report\n2026-11-23 to 2026-11-29');
    expect(text).toContain(
      'Tickets submitted: 1,234\nMedian time to resolution: 3.46 h\nAuto-approval rate: 41.5%\nSatisfaction: –',
    );
    expect(text).toContain('Tickets by day:\n- Day: 2026-11-23, Submitted: 120 tickets');
    expect(text).toContain('- aws-prod-admin, Median: 20.25 h, p90: 48 h');
    expect(text).toContain('- Department: Engineering, Entitlement: github-write, People: 3');
    expect(text).toContain(weekly.sections[1]?.blocks?.[0]?.text);
    expect(text).toContain(`Open the dashboard: ${weekly.links?.[0]?.url}`);
    for (const figure of ['1,234', '3.46 h', '41.5%']) expect(parsed.html).toContain(figure);
  });

  it('shows at most MAX_TABLE_ROWS rows of a table, and says how many more there are, in both parts', async () => {
    // Prepare
    const long: ReportEmail = {
      ...weekly,
      sections: [
        {
          title: 'Approvers',
          tables: [
            {
              title: 'Decisions',
              columns: ['Approver', 'Decisions'],
              rows: Array.from({ length: MAX_TABLE_ROWS + 7 }, (_, index) => [
                `approver-${index}@x.com`,
                index,
              ]),
            },
          ],
        },
      ],
    };

    // Act
    const rendered = await renderReportEmail(long, charts);

    // Assess
    expect(rendered.text).toContain(`approver-${MAX_TABLE_ROWS - 1}@x.com`);
    expect(rendered.text).not.toContain(`approver-${MAX_TABLE_ROWS}@x.com`);
    expect(rendered.text).toContain('… and 7 more rows');
    expect(rendered.html).not.toContain(`approver-${MAX_TABLE_ROWS}@x.com`);
    expect(rendered.html).toContain('… and 7 more rows');
  });

  it('shows fewer rows a table, in both parts, when MAX_TABLE_ROWS of each would pass 100 KB', async () => {
    // Prepare: a busy week's signals, twelve tables of 40 people each
    const busy: ReportEmail = {
      ...weekly,
      sections: [
        {
          title: 'Governance signals',
          tables: Array.from({ length: 12 }, (_, table) => ({
            title: `Signal ${table}`,
            columns: ['Person', 'Entitlement', 'Requests'],
            rows: Array.from({ length: 40 }, (_, row) => [
              `person-${table}-${row}@example.com`,
              `entitlement-with-a-long-name-${row}`,
              row,
            ]),
          })),
        },
      ],
    };
    const atMost = await mjml2html(reportMjml(busy), { validationLevel: 'strict', fonts: {} });

    // Act
    const rendered = await renderReportEmail(busy, charts);

    // Assess
    expect(Buffer.byteLength(atMost.html)).toBeGreaterThan(MAX_REPORT_HTML_BYTES);
    expect(Buffer.byteLength(rendered.html)).toBeLessThan(MAX_REPORT_HTML_BYTES);
    for (const part of [rendered.html, rendered.text]) {
      expect(part).toContain('person-11-4@example.com');
      expect(part).not.toContain(`person-11-${MAX_TABLE_ROWS - 1}@example.com`);
      expect(part.split(/… and \d+ more rows/).length - 1).toBe(12);
    }
  });

  it('refuses a report whose HTML would pass 100 KB', async () => {
    // Prepare
    const huge: ReportEmail = {
      ...weekly,
      sections: Array.from({ length: 200 }, (_, index) => ({
        title: `Section ${index}`,
        paragraphs: ['x'.repeat(400)],
      })),
    };

    // Act
    const rendering = renderReportEmail(huge, charts);

    // Assess
    await expect(rendering).rejects.toThrow(
      /The report's HTML is \d+ bytes with 5 rows a table, over the 102400/,
    );
  });

  it('refuses two charts with one id', async () => {
    // Prepare
    const chart = weekly.sections[0]?.charts?.[0];
    const twice: ReportEmail = {
      ...weekly,
      sections: [{ title: 'Twice', charts: chart ? [chart, chart] : [] }],
    };

    // Act
    const rendering = renderReportEmail(twice, charts);

    // Assess
    await expect(rendering).rejects.toThrow('Two charts of the report have the id volume-by-day');
  });
});
