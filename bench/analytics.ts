import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ReportBuilder } from '../functions/domain/analytics/report';
import { type DayRollup, DayRollupBuilder } from '../functions/domain/analytics/rollup';
import { defaultThresholds } from '../functions/domain/analytics/thresholds';
import type { Ticket } from '../functions/domain/ticket';
import type { TimelineEvent } from '../functions/domain/timeline';
import { seededRandom } from '../functions/local/history-script';
import { round } from './measure';
import { Progress } from './progress';

/**
 * Issue 16: the analytics rollups streamed over a generated history, in this process: BENCH_ANALYTICS_TICKETS
 * tickets (1,000,000 for the run; 100,000 by default) over a year, a day at a time, each day's tickets made,
 * rolled up and dropped, each rollup written to a file as the JSON the store holds. Then the report of the last 7, 30 and 90
 * days from those rollups, at that fixed history.
 */
export const ANALYTICS = {
  tickets: Number(process.env.BENCH_ANALYTICS_TICKETS ?? 100_000),
  days: 365,
  targetSeconds: 60,
  targetRssBytes: 300 * 1024 * 1024,
  periods: [7, 30, 90],
  /** Report timings are the median of this many runs. */
  reportRuns: 5,
};

export interface AnalyticsBenchResult {
  tickets: number;
  days: number;
  seconds: number;
  ticketsPerSecond: number;
  /** Resident set after the first quarter of the days, and the most it reached: flat means the two are close. */
  rssAfterQuarter: number;
  peakRss: number;
  /** The stored rollups' size, all days together, and the largest (a DynamoDB item holds 400 KB). */
  rollupBytes: number;
  largestRollupBytes: number;
  /** Milliseconds to build each period's report from its rollups (parsed from JSON, as read from the store). */
  reportMs: Record<string, number>;
  pass: boolean;
}

const DAY_MS = 86_400_000;
const MINUTE = 60_000;

const departments = ['Engineering', 'Finance', 'People', 'Security', 'IT', 'Sales', 'Support', 'Legal'];
const systems = ['wiki', 'github', 'payroll', 'aws-prod', 'hris', 'crm', 'jira', 'vpn'];
const entitlements = ['read', 'write', 'admin'];
const closures = [
  'fulfilled',
  'fulfilled',
  'fulfilled',
  'fulfilled',
  'rejected',
  'cancelled',
  'timed_out',
  'failed',
] as const;

const event = (seq: number, type: string, at: number, to: Ticket['status'], data = {}): TimelineEvent => ({
  seq,
  type,
  at: new Date(at).toISOString(),
  actor: 'tollgate',
  reason: null,
  from: null,
  to,
  data,
  // What the rollups read is the events' times and statuses; the bench spends nothing on hashing.
  prev: '',
  hash: '',
});

/** One generated ticket, resolved within the day it was filed (so each day's rollup holds it twice over). */
function ticketAt(random: () => number, n: number, at: number): Ticket {
  const system = systems[Math.floor(random() * systems.length)] as string;
  const entitlement = `${system}-${entitlements[Math.floor(random() * entitlements.length)]}`;
  const person = `person${Math.floor(random() * 2000)}@example.com`;
  const approver = `manager${Math.floor(random() * 100)}@example.com`;
  const opened = at + 1000;
  const decided = opened + Math.floor(MINUTE * 2 ** (random() * 12));
  const closure = closures[Math.floor(random() * closures.length)] as (typeof closures)[number];
  const resolved = decided + Math.floor(MINUTE * 2 ** (random() * 10));
  return {
    id: `T${String(n).padStart(25, '0')}`,
    number: `TG-${n}`,
    type: 'access',
    status: 'closed',
    closure,
    requester: person,
    beneficiary: person,
    beneficiaryOwner: null,
    department: departments[Math.floor(random() * departments.length)] as string,
    system,
    entitlement,
    justification: null,
    urgency: 'normal',
    duration: null,
    durationBasis: null,
    evidence: [],
    category: null,
    description: null,
    decision: null,
    approvals: [
      {
        stage: 'manager',
        candidates: [approver],
        decidedBy: approver,
        decision: closure === 'rejected' ? 'deny' : 'approve',
        at: new Date(decided).toISOString(),
        comment: null,
        via: 'link',
        deadline: null,
        reminderAt: null,
        escalationAt: null,
        phase: 'asked',
        escalatedTo: [],
        path: [],
      },
    ],
    fulfilment: null,
    grant: null,
    revocation: null,
    extends: null,
    assignee: null,
    sla: null,
    createdAt: new Date(at).toISOString(),
    updatedAt: new Date(resolved).toISOString(),
    timeline: [
      event(1, 'submitted', at, 'submitted'),
      event(2, 'stage_opened', opened, 'pending_approval', { index: 0 }),
      event(3, 'closed', resolved, 'closed'),
    ],
    version: 3,
  };
}

export function measureAnalytics(progress: Progress): AnalyticsBenchResult {
  const random = seededRandom(16);
  const perDay = Math.ceil(ANALYTICS.tickets / ANALYTICS.days);
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  // On disk, as the store would hold them: the process keeps one day at a time.
  const folder = mkdtempSync(join(tmpdir(), 'tollgate-rollups-'));
  const stored: string[] = [];
  let rollupBytes = 0;
  let largestRollupBytes = 0;
  let peakRss = 0;
  let rssAfterQuarter = 0;
  let made = 0;
  const began = performance.now();
  for (let day = 0; day < ANALYTICS.days && made < ANALYTICS.tickets; day++) {
    const dayStart = start + day * DAY_MS;
    const builder = new DayRollupBuilder(new Date(dayStart).toISOString().slice(0, 10));
    for (let i = 0; i < perDay && made < ANALYTICS.tickets; i++) {
      // Filed in the day's first 18 hours: resolved the same day.
      const ticket = ticketAt(random, ++made, dayStart + Math.floor(random() * 0.75 * DAY_MS));
      builder.addSubmitted(ticket);
      builder.addResolved(ticket);
    }
    const json = JSON.stringify(builder.finish(new Date().toISOString()));
    const file = join(folder, `${day}.json`);
    writeFileSync(file, json);
    stored.push(file);
    rollupBytes += json.length;
    largestRollupBytes = Math.max(largestRollupBytes, json.length);
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    if (day === Math.floor(ANALYTICS.days / 4)) rssAfterQuarter = rss;
    progress.update('analytics', made, ANALYTICS.tickets, 'tickets rolled up');
  }
  const seconds = (performance.now() - began) / 1000;
  progress.finish(`analytics: ${made} tickets rolled up into ${stored.length} days in ${round(seconds)} s`);

  const reportMs: Record<string, number> = {};
  for (const days of ANALYTICS.periods) {
    const timings: number[] = [];
    for (let run = 0; run < ANALYTICS.reportRuns; run++) {
      const began = performance.now();
      const builder = new ReportBuilder();
      for (const file of stored.slice(-days))
        builder.add(JSON.parse(readFileSync(file, 'utf8')) as DayRollup);
      builder.finish({
        period: { from: '', to: '' },
        computedAt: new Date().toISOString(),
        thresholds: defaultThresholds(),
        sensitivities: new Map(),
        standingGrants: [],
      });
      timings.push(performance.now() - began);
    }
    reportMs[`${days}d`] = round(timings.sort((a, b) => a - b)[Math.floor(timings.length / 2)] as number);
  }
  rmSync(folder, { recursive: true, force: true });
  return {
    tickets: made,
    days: stored.length,
    seconds: round(seconds),
    ticketsPerSecond: Math.round(made / seconds),
    rssAfterQuarter,
    peakRss,
    rollupBytes,
    largestRollupBytes,
    reportMs,
    pass: seconds < ANALYTICS.targetSeconds && peakRss < ANALYTICS.targetRssBytes,
  };
}

const RESULT = 'ANALYTICS_RESULT ';

/**
 * Runs the measurement in a process of its own, as the bench measures the server's: the bench's own
 * process carries every other part's modules (the AWS SDK, Cedar's wasm), which are not the rollups'.
 */
export function measureAnalyticsApart(): Promise<AnalyticsBenchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let result: AnalyticsBenchResult | undefined;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith(RESULT)) result = JSON.parse(line.slice(RESULT.length)) as AnalyticsBenchResult;
      else process.stdout.write(`${line}\n`);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`The analytics bench exited (${code}) without a result`)),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`${RESULT}${JSON.stringify(measureAnalytics(new Progress()))}`);
}
