import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_TABLE_NAME } from '../functions/local/dynamodb';
import { ANALYTICS, measureAnalyticsApart } from './analytics';
import { measureAudit } from './audit';
import { measureBundles } from './bundles';
import { costPerTicket } from './cost';
import { JsonClient, seededPeople } from './http-client';
import { runLifecycle } from './lifecycle';
import { type LocalSystem, launchLocalSystem, localDynamoClient, type WithLocalSystem } from './local-system';
import { type Measurement, measure, round } from './measure';
import { MEMORY_TARGET_BYTES, measureMemory } from './memory';
import { findSustainedRate, runOpenLoop } from './open-loop';
import { measureOutboundLag } from './outbound';
import { measurePolicies } from './policies';
import { Progress } from './progress';
import {
  compare,
  describeAudit,
  describeRun,
  describeWebhooks,
  type Results,
  type RunStamp,
  ratioLabel,
  readResults,
  verdict,
  writeResults,
} from './report';
import { measureRestart, RESTART_TARGET_RATIO } from './restart';
import {
  capacityUnits,
  measureRevocationLag,
  measureSweepReads,
  REVOCATION_LAG_TARGET_P99_MS,
} from './revocations';
import { type BenchContext, comparisons, scenarios } from './scenarios';
import { measureSimulation } from './simulation';
import { measureWebhooks } from './webhooks';

/** Per scenario: with 1000 calls p99 rests on the 10 slowest, and the run stays near a minute on two busy cores. */
const COUNTS = { warmup: 50, requests: 1000 };
/** The open loop at half the sustained rate: long enough for a p99 over a few hundred arrivals. */
const OPEN_LOOP_SECONDS = 30;
/** Enough connections for the most concurrent scenario, so no client waits for a socket. */
const MAX_CLIENTS = Math.max(...scenarios.map((scenario) => scenario.clients));

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const progress = new Progress();
/** The local system running now, which a Ctrl-C stops. */
let current: LocalSystem | undefined;
let interrupted = false;

/** The parts of the bench, in the order they run. */
const PARTS = [
  'latency',
  'load',
  'bundles',
  'memory',
  'restart',
  'policies',
  'simulation',
  'revocation-lag',
  'sweep-reads',
  'outbound-lag',
  'audit-export',
  'audit-verify',
  'analytics-store',
  'console-pages',
  'analytics',
  'webhooks',
] as const;
type Part = (typeof PARTS)[number];

/**
 * `npm run bench`: runs every part and writes bench/results.*. `npm run bench -- memory restart` runs only the
 * parts named; the others keep what the last run wrote.
 * - latency: every scenario against one local system, then the whole ticket lifecycle against a fresh one (the
 *   intake scenarios leave thousands of tickets waiting in the approvers' inboxes);
 * - load: the highest arrival rate held with people acting on their emails, then intake and the first email
 *   under an open loop at half that rate;
 * - bundles: the Lambda bundles' sizes and import times;
 * - memory: heap growth per finished execution;
 * - restart: start-up time with 10,000 archived executions against none;
 * - policies: Cedar's time per call and per decision at 100 and 1,000 policies, in this process;
 * - simulation: one policy simulation over 10,000 recorded tickets, in tickets per second and state transitions;
 * - revocation-lag: at TOLLGATE_TIME_SCALE=1, 1,000 grants ending within a minute, from `until` to the revoke
 *   task emailed (BENCH_REVOCATION_GRANTS, BENCH_REVOCATION_WINDOW_SECONDS and BENCH_REVOCATION_LEAD_SECONDS
 *   size a smaller run);
 * - sweep-reads: what one revocation sweep reads at 10,000 active grants, 100 of them due (BENCH_SWEEP_GRANTS,
 *   BENCH_SWEEP_DUE);
 * - outbound-lag: at TOLLGATE_TIME_SCALE=1 with one subscriber, 300 auto-approved requests filed at 3 a second, from
 *   each event's change to its receipt (BENCH_OUTBOUND_TICKETS, BENCH_OUTBOUND_RATE size another run);
 * - audit-export, audit-verify: one export through the API, and a checkpoint then `audit:verify`, over 10,000 and
 *   100,000 recorded tickets (BENCH_AUDIT_TICKETS sizes a smaller run); both parts share each seeded system;
 * - analytics-store: on the same seeded systems, the analytics rollups of the last 7 days through the local DynamoDB
 *   endpoint, what they read, and the report from them through the API;
 * - console-pages: on the same seeded systems, the console's pages as the auditor (the dashboard, the audit search
 *   and a ticket's record) and the admin (the overview, the policies, the deliveries) open them: the server's CPU
 *   time, the HTML's bytes and the DynamoDB requests per page;
 * - analytics: the day rollups streamed over a generated year of tickets in this process (100,000; set
 *   BENCH_ANALYTICS_TICKETS=1000000 for the issue's run), then the report of 7, 30 and 90 days from them;
 * - webhooks: on a fresh system, 100 signed `ticket.create` events delivered 10 times each, shuffled, by 32
 *   concurrent senders (exactly 100 tickets, every copy answered as the first), then intake and the signed
 *   `ticket.create` and `identity.updated` webhooks at 1 and 8 clients, interleaved call by call.
 */
async function main(): Promise<void> {
  const parts = selectedParts(process.argv.slice(2));
  // Taken before the server starts: the commit whose code it loads, even if others commit meanwhile.
  const run = describeRun(repoRoot);
  process.once('SIGINT', () => {
    interrupted = true;
    progress.clear();
    console.log('Interrupted: stopping the local system');
    void (current?.stop() ?? Promise.resolve()).then(() => process.exit(130));
  });
  try {
    const everyPart = parts.size === PARTS.length;
    let results: Results = parts.has('latency')
      ? { ...(everyPart ? {} : readResults(benchDir)), ...(await measureLatency(run)) }
      : readResults(benchDir);
    if (parts.has('load')) results = { ...results, ...(await measureUnderLoad()) };
    if (parts.has('bundles')) results = { ...results, bundles: await measureBundles(progress) };
    if (parts.has('memory')) {
      const memory = await measureMemory(withLocalSystem, run, progress);
      console.log(
        `Memory: the heap after GC grew ${memory.bytesPerExecution} bytes per finished execution  ` +
          `${memory.pass ? 'pass' : 'FAIL'} (target < ${MEMORY_TARGET_BYTES} bytes)`,
      );
      results = { ...results, memory };
    }
    if (parts.has('restart')) {
      const restart = await measureRestart(withLocalSystem, run, progress);
      console.log(
        `Restart: READY in ${restart.archivedMedian} ms with ${restart.archived} archived executions, ` +
          `${restart.noExecutionsMedian} ms with none: ${restart.ratio}x  ` +
          `${restart.pass ? 'pass' : 'FAIL'} (target ≤ ${RESTART_TARGET_RATIO}x)`,
      );
      results = { ...results, restart };
    }
    if (parts.has('policies')) {
      const policies = measurePolicies(`${repoRoot}policies`, run, progress);
      for (const set of policies.sets) {
        console.log(
          `Policies: ${set.policies} policies, per call p50 ${set.call.p50} ms p99 ${set.call.p99} ms, ` +
            `per decision p50 ${set.decision.p50} ms p99 ${set.decision.p99} ms  ${set.pass ? 'pass' : 'FAIL'}`,
        );
      }
      results = { ...results, policies };
    }
    if (parts.has('simulation')) {
      const simulation = await measureSimulation(withLocalSystem, `${repoRoot}policies`, run, progress);
      console.log(
        `Simulation: ${simulation.examined} tickets in ${simulation.seconds} s, ${simulation.ticketsPerSecond} tickets/s; ` +
          `${simulation.pages} pages, ${simulation.stateTransitions} state transitions ($${simulation.transitionsUsd.toFixed(4)}); ` +
          `${simulation.changed} would change`,
      );
      results = { ...results, simulation };
    }
    if (parts.has('revocation-lag')) {
      const lag = await measureRevocationLag(withLocalSystem, run, progress);
      console.log(
        `Revocation lag: ${lag.grants} grants ending over ${lag.windowSeconds} s, until to revoke task emailed ` +
          `p50 ${lag.p50} ms, p95 ${lag.p95} ms, p99 ${lag.p99} ms, max ${lag.max} ms, ${lag.missing} missing  ` +
          `${lag.pass ? 'pass' : 'FAIL'} (target p99 < ${REVOCATION_LAG_TARGET_P99_MS} ms)`,
      );
      results = { ...results, revocationLag: lag };
    }
    if (parts.has('sweep-reads')) {
      const sweep = await measureSweepReads(withLocalSystem, run, progress);
      console.log(
        `Sweep reads: ${sweep.grants} active grants, ${sweep.due} due; the sweep read ${sweep.items.Query ?? 0} index entries, ` +
          `${sweep.items.BatchGetItem ?? 0} grants and ${sweep.items.GetItem ?? 0} tickets ` +
          `(${capacityUnits(sweep)} read capacity units), started ${sweep.started} revocations, in ${sweep.ms} ms  ` +
          `${sweep.pass ? 'pass' : 'FAIL'} (reads only the due grants)`,
      );
      results = { ...results, sweepReads: sweep };
    }
    if (parts.has('outbound-lag')) {
      const lag = await measureOutboundLag(withLocalSystem, run, progress);
      console.log(
        `Outbound lag: ${lag.received} of ${lag.events} events from ${lag.tickets} tickets at ${lag.perSecond}/s, change to receipt ` +
          `p50 ${lag.p50} ms, p90 ${lag.p90} ms, p99 ${lag.p99} ms, max ${lag.max} ms; ${lag.missing} missing, ` +
          `${lag.repeats} repeats, ${lag.unverified} unverified`,
      );
      results = { ...results, outboundLag: lag };
    }
    if (
      parts.has('audit-export') ||
      parts.has('audit-verify') ||
      parts.has('analytics-store') ||
      parts.has('console-pages')
    ) {
      const audit = await measureAudit(withLocalSystem, repoRoot, run, progress, {
        exports: parts.has('audit-export'),
        verify: parts.has('audit-verify'),
        analyticsStore: parts.has('analytics-store'),
        consolePages: parts.has('console-pages'),
      });
      for (const line of describeAudit(audit)) console.log(line);
      results = { ...results, ...audit };
    }
    if (parts.has('analytics')) {
      const analytics = await measureAnalyticsApart();
      const mb = (bytes: number) => round(bytes / 1024 / 1024);
      console.log(
        `Analytics: ${analytics.tickets} tickets rolled up in ${analytics.seconds} s (${analytics.ticketsPerSecond}/s), ` +
          `RSS ${mb(analytics.rssAfterQuarter)} MB after a quarter, peak ${mb(analytics.peakRss)} MB; report ` +
          `${Object.entries(analytics.reportMs)
            .map(([period, ms]) => `${period} ${ms} ms`)
            .join(
              ', ',
            )}  ${analytics.pass ? 'pass' : 'FAIL'} (target < ${ANALYTICS.targetSeconds} s, RSS < ${mb(ANALYTICS.targetRssBytes)} MB)`,
      );
      results = { ...results, analytics };
    }
    if (parts.has('webhooks')) {
      const webhooks = await withLocalSystem((system) => measureWebhooks(system, run, progress));
      for (const line of describeWebhooks(webhooks)) console.log(line);
      results = { ...results, webhooks };
    }
    writeResults(benchDir, results);
    console.log('Wrote bench/results.md and bench/results.json');
  } catch (error) {
    // After a Ctrl-C the failures are only the server going away underneath us.
    if (!interrupted) throw error;
  }
}

function selectedParts(names: string[]): Set<Part> {
  const unknown = names.filter((name) => !(PARTS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`No bench part named ${unknown.join(', ')}: the parts are ${PARTS.join(', ')}`);
  }
  return new Set(names.length === 0 ? PARTS : (names as Part[]));
}

/** The latency scenarios and their ratios, then the whole lifecycle and its cost. */
async function measureLatency(
  run: RunStamp,
): Promise<Pick<Results, keyof RunStamp | 'scenarios' | 'ratios' | 'lifecycle' | 'cost'>> {
  const measurements = await withLocalSystem(runScenarios);
  const ratios = compare(measurements, comparisons);
  const lifecycle = await withLocalSystem(({ url }) => runLifecycle(url, progress));
  const cost = costPerTicket(lifecycle.perTicket);

  console.log('');
  console.table(measurements);
  for (const ratio of ratios) console.log(`${ratioLabel(ratio)}: ${ratio.value}x  ${verdict(ratio)}`);
  const { perTicket, ticketsPerSecond, p50, p99 } = lifecycle;
  console.log(
    `Lifecycle: ${ticketsPerSecond} tickets/s, intake to closed p50 ${p50} ms, p99 ${p99} ms; per ticket ` +
      `${perTicket.stateTransitions} state transitions, ${perTicket.writes} writes, ${perTicket.reads} reads, ` +
      `${perTicket.emails} emails, $${cost.total.toFixed(6)}`,
  );
  return { ...run, scenarios: measurements, ratios, lifecycle, cost };
}

/** The sustained rate, then the open loop at half of it, on one fresh system. */
async function measureUnderLoad(): Promise<Pick<Results, 'sustained' | 'openLoop'>> {
  return withLocalSystem(async (system) => {
    const sustained = await findSustainedRate(system, progress);
    const openLoop = await runOpenLoop(
      system,
      { rate: round(sustained.sustained.rate / 2), seconds: OPEN_LOOP_SECONDS },
      progress,
    );
    console.log(
      `Sustained: ${sustained.sustained.rate} tickets/s (${sustained.sustained.held ? 'held' : 'NOT held'}), ` +
        `${sustained.sustained.writesPerSecond} store writes/s; at ${openLoop.rate} tickets/s intake p50 ` +
        `${openLoop.intake.p50} ms vs PutItem ${openLoop.putItem.p50} ms, 201 to first email p99 ${openLoop.firstEmail.p99} ms`,
    );
    return { sustained, openLoop };
  });
}

/** Starts a local system (with its own data unless `options` name a folder), runs `work` against it, and stops it. */
const withLocalSystem: WithLocalSystem = async (work, options) => {
  console.log('Starting the local system…');
  const system = launchLocalSystem(repoRoot, options);
  current = system;
  try {
    const ready = await system.ready;
    console.log(
      `Local system at ${ready.url}, DynamoDB at ${ready.dynamodbUrl}, ready in ${Math.round(ready.startupMs)} ms`,
    );
    return await work(ready);
  } finally {
    await system.stop();
    current = undefined;
  }
};

/** The latency scenarios, each with its setup, against one system. */
async function runScenarios({
  url,
  dynamodbUrl,
}: {
  url: string;
  dynamodbUrl: string;
}): Promise<Measurement[]> {
  let api: JsonClient | undefined;
  let dynamodb: DynamoDBClient | undefined;
  try {
    api = new JsonClient(url, MAX_CLIENTS);
    // Keep-alive like the API's clients, so both sides of each ratio pay the same for connections.
    dynamodb = localDynamoClient(dynamodbUrl, MAX_CLIENTS);
    const context: BenchContext = {
      api,
      dynamodb,
      tableName: LOCAL_TABLE_NAME,
      tokens: (await seededPeople(api, MAX_CLIENTS)).map(({ token }) => token),
    };

    const measurements: Measurement[] = [];
    for (const scenario of scenarios) {
      const operation = await scenario.setup(context);
      measurements.push(await measure(scenario, operation, COUNTS, progress));
    }
    return measurements;
  } finally {
    api?.close();
    dynamodb?.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
