import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { daysOf, rollupDay } from '../functions/app/analytics';
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
  /** A simulation of a rule candidate that runs this long is stuck, not slow. */
  simulationTimeoutMs: 10 * 60_000,
};
/** The demo auditor: the dashboard is for auditor, security and admin. */
const VIEWING_AS = 'aude.audit@example.com';
const DAY_MS = 86_400_000;
/** The days before today whose rollups are stored first: the longest period measured. */
const ROLLED_UP_DAYS = 30;

export interface ConsolePageRun {
  tickets: number;
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

/**
 * The dashboard of the seeded system, as the auditor sees it once the weekly report ran and the simulations it
 * started of the rule candidates are done: the week up to today (the default; today's figures from the rollup
 * stored for it, which the analytics-today schedule refreshes every five minutes), then the last full 7 and 30
 * days. Every day's figures come from its stored rollup: the page reads rollups alone, and stores none.
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
    const browser = new ConsoleSession(system.url);
    await browser.signIn(VIEWING_AS);
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);
    const pages = [
      { page: '/console/dashboard', about: 'the 7 days up to today (the default)' },
      { page: `/console/dashboard?from=${day(7)}&to=${day(1)}`, about: 'the last 7 full days' },
      { page: `/console/dashboard?from=${day(30)}&to=${day(1)}`, about: 'the last 30 full days' },
    ];
    const runs: ConsolePageRun[] = [];
    for (const { page, about } of pages) {
      runs.push(await measurePage(api, browser, { tickets, page, about, pid: system.pid }, progress));
    }
    return runs;
  } finally {
    api.close();
  }
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

/** Runs the weekly report, so the rule candidates name their simulations, and waits for each to be done. */
async function weeklyReportWithSimulations(api: JsonClient, tickets: number, progress: Progress) {
  const auth = { authorization: `Bearer ${await devToken(api, VIEWING_AS)}` };
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
  what: { tickets: number; page: string; about: string; pid: number },
  progress: Progress,
): Promise<ConsolePageRun> {
  const url = `${browser.url}${what.page}`;
  const load = async () => {
    const start = performance.now();
    const response = await browser.request(url);
    const body = await response.text();
    const ms = performance.now() - start;
    if (response.status !== 200) throw new Error(`GET ${what.page} answered ${response.status}: ${body}`);
    return { ms, bytes: Buffer.byteLength(body) };
  };
  for (let i = 0; i < CONSOLE_PAGES.warmup; i++) await load();
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
  const { pid: _pid, ...page } = what;
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
