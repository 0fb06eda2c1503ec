import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { daysOf, rollupDay } from '../functions/app/analytics';
import type { TicketSummary } from '../functions/app/ports';
import type { LocalMetrics } from '../functions/local/dev-routes';
import { ConsoleSession } from '../test/support/console-session';
import { rollupDeps } from './analytics-store';
import { devToken, expectOk, JsonClient } from './http-client';
import { followJob, type JobView } from './jobs';
import { localDynamoClient, type Ready } from './local-system';
import { percentile, round } from './measure';
import type { Progress } from './progress';

/** Issue 18: no console page over 200 ms of server time at 10,000 tickets, none over 100 KB before its charts. */
export const CONSOLE_PAGES = {
  targetMs: 200,
  targetBytes: 100 * 1024,
  /** Requests of each page measured, one after the other, after `warmup` that are not. */
  requests: 50,
  warmup: 2,
  /** The audit search's page of results (its `limit`): the search measured must fill one. */
  searchPage: 25,
  /** A simulation of a rule candidate that runs this long is stuck, not slow. */
  simulationTimeoutMs: 10 * 60_000,
};
/** The demo auditor: the dashboard is for auditor, security and admin, the audit pages for auditor and security. */
const AUDITOR = 'aude.audit@example.com';
/** The demo admin: the admin pages are for admin alone. */
const ADMIN = 'ivan.it@example.com';
/**
 * The audit search measured, as its form sends it (every field, the blank ones empty): the tickets of one system
 * whose access is active now, filed in the last 30 days. Status is not in the system's index partition, so it is
 * checked on the tickets read: more read than shown.
 */
const SEARCHED = { system: 'github', status: 'active', days: 30 };
const DAY_MS = 86_400_000;
/** The days before today whose rollups are stored first: the longest period measured. */
const ROLLED_UP_DAYS = 30;

export interface ConsolePageRun {
  tickets: number;
  /** Who was signed in; absent from results written before the audit and admin pages were measured (the auditor). */
  viewer?: string;
  page: string;
  /** What the page shows, in words. */
  about: string;
  requests: number;
  /** Each request's time from sending it to the last byte of the page, over loopback: the server's time. */
  ms: { p50: number; p95: number; max: number };
  /**
   * The server process's CPU time (user and system, every thread) over the measured requests, per page: its
   * work, which waiting for a core on a busy machine does not lengthen as it lengthens the times above.
   */
  cpuMsPerPage: number;
  bytes: number;
  /** DynamoDB requests per page, by operation (`GET /dev/metrics`, before and after the measured requests). */
  dynamodbPerPage: Record<string, number>;
  /** The machine's 1-minute load average before and after the measured requests. */
  load: [number, number];
  pass: boolean;
}

/** A page to measure, as whom, and what its HTML must show for the figures to stand (a problem in words, or null). */
interface PageToMeasure {
  viewer: string;
  page: string;
  about: string;
  check?: (html: string) => string | null;
}

/**
 * The console's pages of the seeded system once the weekly report ran and the simulations it started of the rule
 * candidates are done, and the audit checkpoint and verification ran. As the auditor: the dashboard, the week up
 * to today (the default; today's figures from the rollup the analytics-today schedule stored) and the last full 7
 * and 30 days, every day's from its stored rollup (the page reads rollups alone, and none is missing); the audit
 * page, with no search, then a search that fills a page, then one ticket's record. As the admin: the overview,
 * the policies and the failed webhook deliveries.
 */
export async function measureConsolePages(
  system: Ready,
  tickets: number,
  progress: Progress,
): Promise<ConsolePageRun[]> {
  const api = new JsonClient(system.url, 1);
  try {
    await rollupsAsScheduled(system, tickets, progress);
    await weeklyReportWithSimulations(api, tickets, progress);
    await verificationAsScheduled(api, tickets, progress);
    const pages = [...dashboardPages(), ...(await auditPages(api)), ...adminPages()];
    const sessions = new Map<string, ConsoleSession>();
    for (const viewer of new Set(pages.map((page) => page.viewer))) {
      sessions.set(viewer, await ConsoleSession.signedIn(system.url, viewer));
    }
    const runs: ConsolePageRun[] = [];
    for (const page of pages) {
      const browser = sessions.get(page.viewer) as ConsoleSession;
      runs.push(await measurePage(api, browser, { ...page, tickets, pid: system.pid }, progress));
    }
    return runs;
  } finally {
    api.close();
  }
}

/** A UTC day, `daysAgo` before today. */
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);

/** No day of the period may lack its rollup: the page would leave it out, and weigh less. */
const everyDayRolledUp = (html: string) =>
  html.includes('id="missing-days"') ? 'names days without a stored rollup' : null;

function dashboardPages(): PageToMeasure[] {
  return [
    { page: '/console/dashboard', about: 'the 7 days up to today (the default)' },
    { page: `/console/dashboard?from=${day(7)}&to=${day(1)}`, about: 'the last 7 full days' },
    { page: `/console/dashboard?from=${day(30)}&to=${day(1)}`, about: 'the last 30 full days' },
  ].map((page) => ({ ...page, viewer: AUDITOR, check: everyDayRolledUp }));
}

/**
 * The audit page bare (the search form, the latest verification, the export form), the search SEARCHED names as
 * the form submits it, its last page (the newest tickets are the likeliest to be active, so later pages read more
 * tickets for each one shown, and the last reads on to the period's end), and the record of the first ticket it
 * finds that went through an approval, whose decision names a policy snapshot the store holds.
 */
async function auditPages(api: JsonClient): Promise<PageToMeasure[]> {
  const auth = { authorization: `Bearer ${await devToken(api, AUDITOR)}` };
  const filters = { system: SEARCHED.system, status: SEARCHED.status, from: day(SEARCHED.days), to: day(0) };
  const searchPage = async (cursor?: string) =>
    (await expectOk(
      api.get(
        `/requests?${new URLSearchParams({ ...filters, limit: String(CONSOLE_PAGES.searchPage), ...(cursor ? { cursor } : {}) })}`,
        auth,
      ),
      'GET /requests',
    )) as { items: TicketSummary[]; next: string | null };
  const found = await searchPage();
  // The search's last page, as its "Next page" links lead to it (the API's cursors: the same query, the same pages).
  let last: { cursor: string; page: number } | null = null;
  for (let cursor = found.next, page = 2; cursor; page++) {
    last = { cursor, page };
    cursor = (await searchPage(cursor)).next;
  }
  const ticket = found.items.find((item) => item.decision?.inputs && item.approvals.length > 0);
  if (!ticket) throw new Error(`No ${SEARCHED.system} ticket ${SEARCHED.status} went through an approval`);
  await expectOk(api.get(`/policies/inputs/${ticket.decision?.inputs}`, auth), 'GET /policies/inputs/{hash}');
  const form = new URLSearchParams({
    number: '',
    requester: '',
    beneficiary: '',
    system: filters.system,
    entitlement: '',
    status: filters.status,
    from: filters.from,
    to: filters.to,
  });
  const verified = (html: string) =>
    html.includes('No verification has run yet') ? 'shows no verification' : null;
  const pages: Omit<PageToMeasure, 'viewer'>[] = [
    {
      page: '/console/audit',
      about: 'the audit page, no search: the form, the latest verification, the export form',
      check: verified,
    },
    {
      page: `/console/audit?${form}`,
      about: `a search, as the form sends it: ${SEARCHED.system} tickets ${SEARCHED.status} now, filed in the last ${SEARCHED.days} days`,
      check: (html) => {
        const rows = html.split('<tr><td><a href="/console/audit/requests/').length - 1;
        return rows === CONSOLE_PAGES.searchPage
          ? verified(html)
          : `shows ${rows} tickets, not a page of ${CONSOLE_PAGES.searchPage}`;
      },
    },
    ...(last
      ? [
          {
            // The link the page before shows: the fields asked, then the cursor.
            page: `/console/audit?${new URLSearchParams({ ...filters, cursor: last.cursor })}`,
            about: `the same search's last page (page ${last.page}, as its "Next page" links lead)`,
            // Since fc95464 a page reads at most four index pages: the last may show few tickets, or none.
            check: (html: string) =>
              !html.includes('>Next page</a>') ? verified(html) : 'is not the last page of results',
          },
        ]
      : []),
    {
      page: `/console/audit/requests/${ticket.id}`,
      about: `one ticket's record (${ticket.number}: ${ticket.approvals.length} ${ticket.approvals.length === 1 ? 'approval' : 'approvals'}, its decision's inputs)`,
      check: (html) =>
        html.includes('What policy saw') && !html.includes('is missing.</p>')
          ? verified(html)
          : 'lacks its policy snapshot',
    },
  ];
  return pages.map((page) => ({ ...page, viewer: AUDITOR }));
}

function adminPages(): PageToMeasure[] {
  return [
    {
      page: '/console/admin',
      about: 'the admin overview: the live policies, the catalog, the directory',
    },
    { page: '/console/admin/policies', about: 'the live policies, to edit' },
    {
      page: '/console/admin/deliveries',
      about: 'the webhook deliveries that failed (the default status)',
    },
  ].map((page) => ({ ...page, viewer: ADMIN }));
}

/**
 * The rollups the schedules would have stored on a system that ran for the history's days: each past day's
 * (the nightly job's), and today's so far (analytics-today's), with their own code, through the local DynamoDB
 * endpoint. The dashboard reads stored rollups alone (since e97d267): a day without one is left out of its
 * figures and named on the page, never rolled up by the page.
 */
async function rollupsAsScheduled(system: Ready, tickets: number, progress: Progress): Promise<void> {
  const dynamodb = localDynamoClient(system.dynamodbUrl, 4);
  try {
    const deps = rollupDeps(dynamodb);
    const today = new Date().toISOString().slice(0, 10);
    const days = daysOf(new Date(Date.now() - ROLLED_UP_DAYS * DAY_MS).toISOString().slice(0, 10), today);
    for (const [index, day] of days.entries()) {
      await rollupDay(deps, day);
      progress.update(
        `console-pages, ${tickets} tickets`,
        index + 1,
        days.length,
        'days rolled up as scheduled',
      );
    }
  } finally {
    dynamodb.destroy();
  }
}

/**
 * The audit checkpoint, then the verification the audit-verify schedule stores each night, run now through the
 * local system: the audit pages show the latest one, and a system that ran a day has one.
 */
async function verificationAsScheduled(api: JsonClient, tickets: number, progress: Progress): Promise<void> {
  for (const schedule of ['audit-checkpoint', 'audit-verify']) {
    progress.update(`console-pages, ${tickets} tickets`, 0, 1, schedule);
    await expectOk(api.post(`/dev/schedules/${schedule}/run`, {}), `POST /dev/schedules/${schedule}/run`);
  }
}

/** Runs the weekly report, so the rule candidates name their simulations, and waits for each to be done. */
async function weeklyReportWithSimulations(api: JsonClient, tickets: number, progress: Progress) {
  const auth = { authorization: `Bearer ${await devToken(api, AUDITOR)}` };
  progress.update(`console-pages, ${tickets} tickets`, 0, 1, 'weekly report');
  const { result } = (await expectOk(
    api.post('/dev/schedules/weekly-report/run', {}),
    'POST /dev/schedules/weekly-report/run',
  )) as { result: { id: string } };
  const reports = (await expectOk(api.get('/analytics/reports?limit=1', auth), 'GET /analytics/reports')) as {
    items: { id: string; report: { ruleCandidates: { simulation: { jobId: string } | null }[] } }[];
  };
  const stored = reports.items.find((item) => item.id === result.id);
  for (const candidate of stored?.report.ruleCandidates ?? []) {
    if (!candidate.simulation) continue;
    const job = await followJob<JobView>(api, auth, `/policies/simulations/${candidate.simulation.jobId}`, {
      part: `console-pages, ${tickets} tickets`,
      phase: 'tickets replayed by a rule candidate',
      total: tickets,
      pollMs: 250,
      timeoutMs: CONSOLE_PAGES.simulationTimeoutMs,
      progress,
    });
    if (job.status !== 'done')
      throw new Error(`The simulation ${job.id} ${job.status}: ${job.error?.message}`);
  }
}

/** The CPU time a process has used, user and system, in ms (Linux /proc; its clock ticks are 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measurePage(
  api: JsonClient,
  browser: ConsoleSession,
  what: PageToMeasure & { tickets: number; pid: number },
  progress: Progress,
): Promise<ConsolePageRun> {
  const url = `${browser.url}${what.page}`;
  const load = async () => {
    const start = performance.now();
    const response = await browser.request(url);
    const body = await response.text();
    const ms = performance.now() - start;
    if (response.status !== 200) throw new Error(`GET ${what.page} answered ${response.status}: ${body}`);
    return { ms, bytes: Buffer.byteLength(body), body };
  };
  for (let i = 0; i < CONSOLE_PAGES.warmup; i++) {
    const { body } = await load();
    const problem = what.check?.(body);
    if (problem) throw new Error(`GET ${what.page} as ${what.viewer} ${problem}`);
  }
  const metrics = async () => (await expectOk(api.get('/dev/metrics'), 'GET /dev/metrics')) as LocalMetrics;
  const before = await metrics();
  const cpuBefore = cpuMs(what.pid);
  const loadBefore = round(loadavg()[0] ?? 0);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < CONSOLE_PAGES.requests; i++) {
    const loaded = await load();
    times.push(loaded.ms);
    bytes = Math.max(bytes, loaded.bytes);
    progress.update(`console-pages, ${what.tickets} tickets`, i + 1, CONSOLE_PAGES.requests, what.about);
  }
  const cpuMsPerPage = round((cpuMs(what.pid) - cpuBefore) / CONSOLE_PAGES.requests);
  const after = await metrics();
  const sorted = [...times].sort((a, b) => a - b);
  const ms = {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    max: round(sorted.at(-1) ?? 0),
  };
  progress.finish(`console-pages: ${what.tickets} tickets, ${what.about}: p50 ${ms.p50} ms, ${bytes} bytes`);
  const { pid: _pid, check: _check, ...page } = what;
  return {
    ...page,
    requests: CONSOLE_PAGES.requests,
    ms,
    cpuMsPerPage,
    bytes,
    dynamodbPerPage: Object.fromEntries(
      Object.entries(after.dynamodb)
        .map(([operation, count]) => [
          operation,
          round((count - (before.dynamodb[operation] ?? 0)) / CONSOLE_PAGES.requests),
        ])
        .filter(([, perPage]) => perPage !== 0),
    ),
    load: [loadBefore, round(loadavg()[0] ?? 0)],
    pass: cpuMsPerPage < CONSOLE_PAGES.targetMs && bytes < CONSOLE_PAGES.targetBytes,
  };
}
