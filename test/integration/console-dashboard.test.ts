import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoGrantStore } from '../../functions/adapters/dynamodb/workflow-records';
import type { StoredReport } from '../../functions/app/ports';
import type { SimulationView } from '../../functions/app/simulations';
import { chartOption } from '../../functions/domain/analytics/charts';
import type { AnalyticsReport } from '../../functions/domain/analytics/report';
import { reportCharts } from '../../functions/domain/analytics/report-view';
import { browserChartsPath, ECHARTS_FILE } from '../../functions/handlers/pages/assets';
import { LOCAL_TABLE_NAME, localCredentials } from '../../functions/local/dynamodb';
import { accessBody, supportBody } from '../support/bodies';
import { ConsoleSession } from '../support/console-session';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { standingGrant } from '../support/ticket-factory';
import { eventually, TollgateClient } from '../support/workflow-client';

/**
 * GET /console/dashboard through the local server, signed in at the local OpenID provider: Alex and
 * Bo (Engineering) each granted GitHub write access by Erin today, Ivan's wiki read auto-approved.
 * Thresholds low enough that two people make a recurring request and two approvals a rule candidate.
 */
let tollgate: TestRuntime;
let client: TollgateClient;
const today = new Date().toISOString().slice(0, 10);
const ticketIds: string[] = [];

beforeAll(async () => {
  tollgate = await startTestRuntime({
    ANALYTICS_THRESHOLDS: JSON.stringify({
      recurringRequests: { minPeople: 2 },
      ruleCandidates: { minApprovals: 2 },
    }),
  });
  client = new TollgateClient(tollgate.url);
  const auto = await client.call<{ id: string }>(people.ivan, 'POST', '/requests', accessBody());
  await client.ticketWhen(people.ivan, auto.body.id, (ticket) => ticket.status === 'fulfilling');
  for (const requester of [people.alex, people.bo]) {
    const granted = await client.grantThrough(
      requester,
      people.erin,
      people.ian,
      accessBody({ system: 'github', entitlement: 'github-write' }),
    );
    ticketIds.push(granted.id);
  }
  // Today's rollup, as the analytics-today schedule stores it every five minutes.
  await client.runSchedule('analytics-today');
}, 120_000);

afterAll(async () => {
  await tollgate?.close();
});

const signedIn = async (identity: string) => {
  const session = new ConsoleSession(tollgate.url);
  await session.signIn(identity);
  return session;
};

async function dashboard(identity: string, query = ''): Promise<{ status: number; html: string }> {
  const response = await (await signedIn(identity)).request(`${tollgate.url}/console/dashboard${query}`);
  return { status: response.status, html: await response.text() };
}

/** The value of a key figure as the page's list shows it. */
const figure = (html: string, label: string) =>
  new RegExp(`<dt>${label}</dt><dd>([^<]*)</dd>`).exec(html)?.[1];

/** Each chart of the page: its ECharts option (the JSON block) and its data table's cells. */
function chartsOf(html: string) {
  return [...html.matchAll(/<figure class="chart" data-chart="([\w-]+)"[\s\S]*?<\/figure>/g)].map(
    ([figureHtml, id]) => {
      const json = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(
        figureHtml,
      )?.[1];
      const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(figureHtml)?.[1] ?? '';
      const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row]) =>
        [...(row ?? '').matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map(([, cell]) => cell ?? ''),
      );
      return { id: id ?? '', option: JSON.parse(json ?? 'null'), rows };
    },
  );
}

/** A table cell as the number it shows: `1,234.5 tickets` is 1234.5, a dash none. */
const numberIn = (cell: string) => (cell === '–' ? null : Number(cell.replace(/,/g, '').split(' ')[0]));

describe('the dashboard', () => {
  it("shows an auditor the period's figures, as GET /analytics computes them", async () => {
    // Prepare
    const api = await client.call<AnalyticsReport>(people.aude, 'GET', '/analytics');

    // Act
    const { status, html } = await dashboard(people.aude);

    // Assess
    expect(status).toBe(200);
    expect(api.body.volume.total).toBe(3);
    expect(figure(html, 'Submitted')).toBe('3 tickets');
    expect(figure(html, 'Resolved')).toBe(`${api.body.rates.resolved} tickets`);
    expect(html).toContain(`value="${api.body.period.from}"`);
    expect(html).toContain(`value="${today}"`);
  });

  it('draws each chart from the option the emailed report is drawn from, its table carrying the same numbers', async () => {
    // Prepare
    const api = await client.call<AnalyticsReport>(people.aude, 'GET', '/analytics');
    const emailed = reportCharts(api.body).flatMap((group) => group.charts);

    // Act
    const charts = chartsOf((await dashboard(people.aude)).html);

    // Assess
    expect(charts.map((chart) => chart.id)).toEqual(emailed.map((chart) => `chart-${chart.id}`));
    for (const [index, chart] of charts.entries()) {
      const definition = emailed[index];
      if (!definition) throw new Error(`No chart ${chart.id} in the report`);
      // The same definition: the option differs in the font each rendering draws with, nothing else.
      const { textStyle: _font, ...drawn } = chart.option;
      const { textStyle: _emailFont, ...expected } = chartOption(definition);
      expect(drawn, chart.id).toEqual(JSON.parse(JSON.stringify(expected)));
      const categories = (
        definition.kind === 'hbar' ? chart.option.yAxis.data : chart.option.xAxis.data
      ) as string[];
      const series = chart.option.series as { data: (number | null)[] }[];
      expect(
        chart.rows.map((row) => row[0]),
        chart.id,
      ).toEqual(categories);
      expect(
        chart.rows.map((row) => row.slice(1).map(numberIn)),
        chart.id,
      ).toEqual(categories.map((_, at) => series.map((one) => one.data[at] ?? null)));
    }
    const system = charts.find((chart) => chart.id === 'chart-volume-by-system');
    expect(Object.fromEntries(system?.rows.map(([key, value]) => [key, value]) ?? [])).toEqual({
      github: '2 tickets',
      wiki: '1 tickets',
    });
  });

  it('shows the recurring request with the people by name and their tickets as links to the audit pages', async () => {
    // Act
    const { html } = await dashboard(people.aude);

    // Assess
    const recurring =
      /<h3>Recurring requests<\/h3>[\s\S]*?<\/ul><\/dd><\/dl><\/li><\/ul>/.exec(html)?.[0] ?? '';
    expect(recurring).toContain('Engineering: GitHub organisation: Push to repositories');
    expect(recurring).toContain('Alex Developer, Bo Developer');
    const links = [...recurring.matchAll(/href="([^"]+)"/g)].map(([, href]) => href);
    expect(links.sort()).toEqual(ticketIds.map((id) => `/console/audit/requests/${id}`).sort());
  });

  it("links an admin, who does not audit, to each ticket's own page instead", async () => {
    // Act
    const { html } = await dashboard(people.ivan);

    // Assess
    for (const id of ticketIds) {
      expect(html).toContain(`href="/console/requests/${id}"`);
      expect(html).not.toContain(`/console/audit/requests/${id}`);
    }
  });

  it('shows a rule candidate with its Cedar text, and the form that proposes it to an admin alone', async () => {
    // Act
    const pages = Object.fromEntries(
      await Promise.all(
        [people.ivan, people.aude, people.sam].map(async (identity) => [
          identity,
          (await dashboard(identity)).html,
        ]),
      ),
    ) as Record<string, string>;

    // Assess
    const api = await client.call<AnalyticsReport>(people.aude, 'GET', '/analytics');
    const [candidate] = api.body.ruleCandidates;
    expect(candidate).toMatchObject({ department: 'Engineering', entitlement: 'github-write', approved: 2 });
    const escaped = (candidate?.cedar ?? '').replaceAll('"', '&#34;');
    for (const html of Object.values(pages)) expect(html).toContain(`<pre><code>${escaped}</code></pre>`);
    const forms = (html: string) => [
      ...html.matchAll(
        /<form method="post" action="\/console\/admin\/policies\/simulate">([\s\S]*?)<\/form>/g,
      ),
    ];
    const [form] = forms(pages[people.ivan] ?? '');
    expect(form?.[1]).toMatch(/<input type="hidden" name="csrf" value="[\w-]{43}">/);
    expect(form?.[1]).toContain(`<input type="hidden" name="addId" value="${candidate?.id}">`);
    expect(form?.[1]).toContain(`<input type="hidden" name="addText" value="${escaped}">`);
    expect(forms(pages[people.aude] ?? '')).toEqual([]);
    expect(forms(pages[people.sam] ?? '')).toEqual([]);
  });

  it('shows the outcome of the simulation the weekly report started for the candidate, in words', async () => {
    // Prepare
    await client.runSchedule('weekly-report');
    const reports = await client.call<{ items: StoredReport[] }>(people.aude, 'GET', '/analytics/reports');
    const jobId = reports.body.items[0]?.report.ruleCandidates[0]?.simulation?.jobId;
    const done = await eventually(async () => {
      const job = await client.call<SimulationView>(people.aude, 'GET', `/policies/simulations/${jobId}`);
      return job.body.status === 'done' ? job.body : undefined;
    }, 30_000);

    // Act
    const { html } = await dashboard(people.aude);

    // Assess
    const approved = done.result?.outcomes.find(
      (row) => row.changed && row.candidate === 'auto_approved' && row.happened === 'approved',
    );
    expect(approved?.count).toBe(2);
    expect(html).toContain(
      `Simulated (started by the weekly report of ${reports.body.items[0]?.report.period.from} to ${today}): would auto-approve 2 tickets people approved, 0 they denied.`,
    );
  });

  it('shows the period form again with the message of each field it refuses', async () => {
    // Act
    const badDay = await dashboard(people.aude, '?from=2026-13-01');
    const backwards = await dashboard(people.aude, '?from=2026-12-10&to=2026-12-01');
    const tooLong = await dashboard(people.aude, '?from=2024-01-01&to=2026-12-01');

    // Assess
    expect(badDay.status).toBe(400);
    expect(badDay.html).toContain(
      '<input id="from" name="from" type="date" value="2026-13-01" aria-invalid="true" aria-describedby="from-error">',
    );
    expect(badDay.html).toContain('<p class="error" id="from-error">must be a date such as 2026-11-01</p>');
    expect(backwards.status).toBe(400);
    expect(backwards.html).toContain('<p class="error" id="from-error">must not be after to</p>');
    expect(tooLong.status).toBe(400);
    expect(tooLong.html).toContain('<p class="error" id="to-error">must be within 366 days of from</p>');
    expect(tooLong.html).not.toContain('class="chart"');
  });

  it('shows a chosen period, with nothing in it before the tickets were filed', async () => {
    // Act
    const { status, html } = await dashboard(people.sam, '?from=2026-01-01&to=2026-01-07');

    // Assess
    expect(status).toBe(200);
    expect(figure(html, 'Submitted')).toBe('0 tickets');
    expect(html).toContain('<p><strong>Submitted by system</strong>: nothing in this period.</p>');
    expect(html).toContain('7 days of this period have no stored rollup yet');
    expect(html).toContain('(2026-01-01, 2026-01-02, … 2026-01-07)');
  });

  it('leaves out a day without a stored rollup, reading no ticket, until the nightly run catches up on it', async () => {
    // Prepare: a week three weeks ago, which nothing has rolled up (GET /analytics rolls up the days of its own period)
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    const week = `?from=${day(20)}&to=${day(14)}`;

    // Act
    const before = await dashboard(people.aude, week);
    const nightly = await client.runSchedule<{ day: string; caughtUp: string[] }>('analytics-rollup');
    const after = await dashboard(people.aude, week);

    // Assess
    expect(before.html).toContain('7 days of this period have no stored rollup yet');
    expect(nightly.day).toBe(day(1));
    expect(nightly.caughtUp).toHaveLength(31);
    expect(nightly.caughtUp).toEqual(expect.arrayContaining([14, 15, 16, 17, 18, 19, 20].map(day)));
    expect(after.status).toBe(200);
    expect(after.html).not.toContain('id="missing-days"');
    expect(figure(after.html, 'Submitted')).toBe('0 tickets');
  });

  it('shows the standing grants older than the threshold (90 days), and none younger', async () => {
    // Prepare: Felix's standing wiki-edit grants, one of a ticket filed 91 days ago, one 89 days ago
    const client = new DynamoDBClient({
      endpoint: tollgate.runtime.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: localCredentials,
    });
    const grants = new DynamoGrantStore(createDocumentClient(client), LOCAL_TABLE_NAME);
    const filed = (days: number) => Date.now() - days * 86_400_000;
    const [old, young] = [filed(91), filed(89)].map((at) => ({
      ticket: ulid(at),
      from: new Date(at + 60_000),
    }));
    try {
      for (const { ticket, from } of [old, young] as { ticket: string; from: Date }[]) {
        await grants.put(
          standingGrant(ticket, {
            holder: people.felix,
            system: 'wiki',
            entitlement: 'wiki-edit',
            from: from.toISOString(),
          }),
        );
      }
    } finally {
      client.destroy();
    }

    // Act
    const { html } = await dashboard(people.aude);

    // Assess
    const section = /<h3>Standing grants nobody reviewed<\/h3>[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(section).toContain(
      '<h4>Felix Analyst: Company wiki: Edit pages <span class="muted">(wiki-edit)</span></h4>',
    );
    expect(section).toContain(`href="/console/audit/requests/${old?.ticket}"`);
    expect(section).toContain('(90 days)');
    expect(section).not.toContain(young?.ticket);
  });

  it('refuses a requester, who oversees no policies, with a 403 page', async () => {
    // Act
    const { status, html } = await dashboard(people.alex);

    // Assess
    expect(status).toBe(403);
    expect(html).toContain('This page is for people who oversee policies (admin, auditor, security)');
    expect(html).not.toContain('Governance signals');
  });

  it("reads today from today's stored rollup, which the analytics-today schedule brings up to date", async () => {
    // Prepare
    const before = figure((await dashboard(people.aude)).html, 'Submitted');
    const filed = await client.call(people.alex, 'POST', '/requests', supportBody());

    // Act
    const unchanged = await dashboard(people.aude);
    const rolledUp = await client.runSchedule<{ day: string; submitted: number }>('analytics-today');
    const after = await dashboard(people.aude);

    // Assess
    expect(filed.status).toBe(201);
    expect(figure(unchanged.html, 'Submitted')).toBe(before);
    expect(rolledUp.day).toBe(today);
    expect(figure(after.html, 'Submitted')).toBe(`${Number.parseInt(before ?? '', 10) + 1} tickets`);
    expect(after.html).toMatch(
      /today up to <time datetime="[^"]+">[^<]+<\/time>, when it was last rolled up/,
    );
  });

  it('loads ECharts from the system, as the package publishes it, kept by browsers for a year', async () => {
    // Prepare
    const { html } = await dashboard(people.aude);

    // Act
    const echarts = await fetch(`${tollgate.url}/console/assets/${ECHARTS_FILE}`);
    const script = await fetch(`${tollgate.url}/console/assets/charts.js`);

    // Assess
    expect(html).toContain(
      `<script src="/console/assets/${ECHARTS_FILE}" defer></script><script src="/console/assets/charts.js" defer></script>`,
    );
    expect(echarts.status).toBe(200);
    expect(echarts.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await echarts.text()).toBe(readFileSync(browserChartsPath(undefined), 'utf8'));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });
});
