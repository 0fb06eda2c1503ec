import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AnalyticsBenchResult } from './analytics';
import { ANALYTICS_STORE } from './analytics-store';
import {
  type AnalyticsStoreResult,
  AUDIT,
  type AuditExportResult,
  type AuditExportRun,
  type AuditSeed,
  type AuditVerifyResult,
  type ConsolePagesResult,
} from './audit';
import type { BundleResults } from './bundles';
import { CONSOLE_PAGES } from './console-pages';
import { ASSUMPTIONS, type CostEstimate, PRICES, PRICES_AS_OF } from './cost';
import type { LifecycleResult } from './lifecycle';
import { type Measurement, round } from './measure';
import { MEMORY_TARGET_BYTES, type MemoryReading, type MemoryResult } from './memory';
import { type OpenLoopResult, PROBE, type SustainedResult } from './open-loop';
import type { OutboundLagResult } from './outbound';
import { POLICY_TARGETS, type PolicyResults } from './policies';
import { HISTORY } from './recorded-history';
import { RESTART_TARGET_RATIO, type RestartResult } from './restart';
import { REVOCATION_LAG_TARGET_P99_MS, type RevocationLagResult, type SweepReadsResult } from './revocations';
import type { Comparison } from './scenarios';
import { SIMULATION_POLL_MS, type SimulationResult } from './simulation';
import type { WebhooksResult } from './webhooks';

export interface RatioResult extends Comparison {
  value: number;
  /** Whether the ratio is within its target; null when the ratio has none. */
  pass: boolean | null;
}

export interface Results {
  date: string;
  git: { commit: string; dirty: boolean };
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  scenarios: Measurement[];
  ratios: RatioResult[];
  lifecycle: LifecycleResult;
  cost: CostEstimate;
  /** The highest arrival rate held, and its store writes; absent in results from before it. */
  sustained?: SustainedResult;
  /** Intake and the first email with the workflow running, at half the sustained rate. */
  openLoop?: OpenLoopResult;
  /** Each Lambda bundle's size and import time (bench/bundles.ts); absent in results from before it. */
  bundles?: BundleResults;
  /** Heap growth per finished execution (bench/memory.ts); absent in results from before it. */
  memory?: MemoryResult;
  /** Start-up time with archived executions (bench/restart.ts); absent in results from before it. */
  restart?: RestartResult;
  /** Cedar per call and per decision (bench/policies.ts); absent in results from before it. */
  policies?: PolicyResults;
  /** The analytics rollups over a generated history, and report times (bench/analytics.ts); absent before it. */
  analytics?: AnalyticsBenchResult;
  /** One policy simulation over a recorded history (bench/simulation.ts); absent in results from before it. */
  simulation?: SimulationResult;
  /** From a grant's `until` to its revoke task emailed (bench/revocations.ts); absent in results from before it. */
  revocationLag?: RevocationLagResult;
  /** What one revocation sweep reads among many active grants (bench/revocations.ts); absent in results from before it. */
  sweepReads?: SweepReadsResult;
  /** From each outbound event's change to its receipt by a subscriber (bench/outbound.ts); absent in results from before it. */
  outboundLag?: OutboundLagResult;
  /** One audit export at each size (bench/audit.ts); absent in results from before it. */
  auditExport?: AuditExportResult;
  /** A checkpoint, then the verify CLI, at each size (bench/audit.ts); absent in results from before it. */
  auditVerify?: AuditVerifyResult;
  /** The analytics rollups of the last days through the store, at each size (bench/analytics-store.ts); absent before it. */
  analyticsStore?: AnalyticsStoreResult;
  /** The console's pages at each size (bench/console-pages.ts); absent in results from before it. */
  consolePages?: ConsolePagesResult;
  /** Inbound webhooks beside intake, and duplicate deliveries (bench/webhooks.ts); absent in results from before it. */
  webhooks?: WebhooksResult;
}

/** When, at which commit and on what machine a part of the bench ran. */
export type RunStamp = Pick<Results, 'date' | 'git' | 'machine'>;

/** What the measured system and the bench run from (not `bench/results.*`, which every run rewrites). */
const MEASURED_PATHS = [
  'bin',
  'lib',
  'cdk.json',
  'functions',
  'seed',
  'policies',
  'statemachines',
  'package.json',
  'package-lock.json',
  'bench/*.ts',
];

export function describeRun(repoRoot: string): RunStamp {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  return {
    date: new Date().toISOString(),
    // Dirty: the measured code had uncommitted changes, so the commit alone does not identify it.
    git: {
      commit: git('rev-parse', 'HEAD'),
      dirty: git('status', '--porcelain', '--', ...MEASURED_PATHS) !== '',
    },
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
  };
}

export function compare(measurements: Measurement[], comparisons: Comparison[]): RatioResult[] {
  const find = (name: string) => {
    const found = measurements.find((measurement) => measurement.name === name);
    if (!found) throw new Error(`Comparison names an unknown scenario: ${name}`);
    return found;
  };
  return comparisons.map((comparison) => {
    const value =
      Math.round(
        (find(comparison.numerator)[comparison.statistic] /
          find(comparison.denominator)[comparison.statistic]) *
          100,
      ) / 100;
    return {
      ...comparison,
      value,
      pass: comparison.target === undefined ? null : value <= comparison.target,
    };
  });
}

export function ratioLabel(ratio: Comparison): string {
  return `${ratio.numerator} / ${ratio.denominator}, ${ratio.statistic}`;
}

export function verdict(ratio: RatioResult): string {
  if (ratio.pass === null) return '—';
  return `${ratio.pass ? 'pass' : 'FAIL'} (target ≤ ${ratio.target}x)`;
}

/** The results the last run wrote, so a part measured on its own can replace its section only. */
export function readResults(benchDir: string): Results {
  return JSON.parse(readFileSync(join(benchDir, 'results.json'), 'utf8')) as Results;
}

export function writeResults(benchDir: string, results: Results): void {
  writeFileSync(join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(benchDir, 'results.md'), markdown(results));
}

/** When, at which commit and on what machine: each part's section starts with it. */
function measuredOn({ date, git, machine }: RunStamp): string {
  return (
    `Measured ${date} at commit \`${git.commit.slice(0, 12)}\`${git.dirty ? ' (with uncommitted changes)' : ''}` +
    ` on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}.`
  );
}

function markdown(results: Results): string {
  const scenarioTable = markdownTable(
    [
      { title: 'scenario', align: 'left' },
      ...['clients', 'calls', 'p50', 'p90', 'p99', 'mean', 'max', 'calls/s'].map(
        (title): Column => ({ title, align: 'right' }),
      ),
    ],
    results.scenarios.map((s) => [
      s.name,
      s.clients,
      s.requests,
      s.p50,
      s.p90,
      s.p99,
      s.mean,
      s.max,
      s.throughput,
    ]),
  );
  const ratioTable = markdownTable(
    [
      { title: 'ratio', align: 'left' },
      { title: 'value', align: 'right' },
      { title: 'target', align: 'left' },
    ],
    results.ratios.map((r) => [ratioLabel(r), `${r.value}x`, verdict(r)]),
  );
  const labels = results.scenarios.map((s) => JSON.stringify(s.name)).join(', ');
  const top = Math.ceil(Math.max(...results.scenarios.map((s) => s.p99)) * 1.1);
  return [
    '# Bench results',
    '',
    measuredOn(results),
    'Written by `npm run bench`; `results.json` holds the same figures. `npm run bench -- <part> ...` runs only the',
    'parts named (`latency`: the scenarios and the lifecycle; `load`, `bundles`, `memory`, `restart`, `policies`, `simulation`,',
    '`revocation-lag`, `sweep-reads`, `audit-export`, `audit-verify`, `analytics-store`, `console-pages`, `analytics`, `webhooks`)',
    'and keeps the other sections.',
    '',
    'Intake is `POST /requests` through the local system (`bin/local.ts`, dynalite on disk); PutItem is a',
    'bare PutItem of a copy of a stored ticket on the same store, in the same run. Latencies in ms,',
    'after a warm-up at the same concurrency; throughput in calls per second.',
    '',
    ...scenarioTable,
    '',
    '```mermaid',
    'xychart-beta',
    '  title "Latency in ms: p99 (back bar), p50 (front bar)"',
    `  x-axis [${labels}]`,
    `  y-axis "ms" 0 --> ${top}`,
    `  bar [${results.scenarios.map((s) => s.p99).join(', ')}]`,
    `  bar [${results.scenarios.map((s) => s.p50).join(', ')}]`,
    '```',
    '',
    'Ratios (the figure that matters: intake over the store it writes to):',
    '',
    ...ratioTable,
    '',
    ...lifecycleSection(results.lifecycle, results.cost),
    ...(results.sustained && results.openLoop
      ? underLoadSection(results.sustained, results.openLoop, results.scenarios, results.lifecycle)
      : []),
    ...(results.memory ? memorySection(results.memory) : []),
    ...(results.restart ? restartSection(results.restart) : []),
    ...(results.bundles ? bundleSection(results.bundles) : []),
    ...(results.policies ? policySection(results.policies) : []),
    ...(results.simulation ? simulationSection(results.simulation) : []),
    ...(results.revocationLag ? revocationLagSection(results.revocationLag) : []),
    ...(results.sweepReads ? sweepReadsSection(results.sweepReads) : []),
    ...(results.outboundLag ? outboundLagSection(results.outboundLag) : []),
    ...(results.auditExport ? auditExportSection(results.auditExport) : []),
    ...(results.auditVerify ? auditVerifySection(results.auditVerify) : []),
    ...(results.analyticsStore ? analyticsStoreSection(results.analyticsStore) : []),
    ...(results.consolePages ? consolePagesSection(results.consolePages) : []),
    ...(results.analytics ? analyticsSection(results.analytics) : []),
    ...(results.webhooks ? webhooksSection(results.webhooks) : []),
  ].join('\n');
}

function policySection(results: PolicyResults): string[] {
  const target = (size: number) =>
    size === 100
      ? `call p99 < ${POLICY_TARGETS[100].callP99} ms, decision p99 < ${POLICY_TARGETS[100].decisionP99} ms`
      : `decision p99 < ${POLICY_TARGETS[1000].decisionP99} ms`;
  return [
    '## Policy decisions (Cedar)',
    '',
    measuredOn(results),
    'The set is checked and parsed once; a decision is one Cedar call that answers every action (autoReject,',
    'autoApprove and the three stages), then the outcome read from it, on inputs built as intake builds them',
    '(the demo policies plus generated ones reading the same attributes), after 1,000 decisions to warm up. In ms.',
    '',
    ...markdownTable(
      [
        { title: 'policies', align: 'right' },
        ...['compile', 'call p50', 'call p99', 'decision p50', 'decision p99'].map(
          (title): Column => ({ title, align: 'right' }),
        ),
        { title: 'target (issue 11)', align: 'left' },
      ],
      results.sets.map((set) => [
        set.policies,
        set.compileMs,
        set.call.p50,
        set.call.p99,
        set.decision.p50,
        set.decision.p99,
        `${target(set.policies)}: ${set.pass ? 'met' : 'missed'}`,
      ]),
    ),
    '',
  ];
}

function analyticsSection(analytics: AnalyticsBenchResult): string[] {
  const mb = (bytes: number) => `${round(bytes / 1024 / 1024)} MB`;
  return [
    '## Analytics rollups',
    '',
    `${analytics.tickets} generated tickets over ${analytics.days} days, in a process of its own (\`BENCH_ANALYTICS_TICKETS\`; the issue's run is 1,000,000):`,
    "each day's tickets made, rolled up (functions/domain/analytics/rollup.ts) and dropped, the rollup written to a file as the JSON the store holds.",
    'Then the report of the last 7, 30 and 90 days from those rollups, parsed as read from the store (median of 5 runs).',
    '',
    ...markdownTable(
      [
        { title: 'tickets', align: 'right' },
        { title: 's', align: 'right' },
        { title: 'tickets/s', align: 'right' },
        { title: 'RSS after a quarter', align: 'right' },
        { title: 'peak RSS', align: 'right' },
        { title: 'rollups', align: 'right' },
        { title: 'largest day', align: 'right' },
        ...Object.keys(analytics.reportMs).map((period) => ({
          title: `report ${period} (ms)`,
          align: 'right' as const,
        })),
        { title: 'verdict', align: 'left' },
      ],
      [
        [
          analytics.tickets,
          analytics.seconds,
          analytics.ticketsPerSecond,
          mb(analytics.rssAfterQuarter),
          mb(analytics.peakRss),
          mb(analytics.rollupBytes),
          `${round(analytics.largestRollupBytes / 1024)} KB`,
          ...Object.values(analytics.reportMs),
          analytics.pass ? 'pass (< 60 s, RSS < 300 MB)' : 'FAIL (target < 60 s, RSS < 300 MB)',
        ],
      ],
    ),
    '',
  ];
}

function simulationSection(simulation: SimulationResult): string[] {
  const { history } = simulation;
  const count = (value: number) => value.toLocaleString('en-US');
  return [
    '## Policy simulation',
    '',
    measuredOn(simulation),
    `On a fresh local system, ${count(history.tickets)} access tickets filed over the last ${HISTORY.days} days, recorded without intake by \`bench/recorded-history.ts\`:`,
    "each scripted with the project's domain code (the demo directory and catalog, the baseline policies, routing, the workflow's steps, people answering",
    "after minutes or hours) and written with the store's own adapters, as intake and the workflow would have left it.",
    `They hold ${count(history.snapshots)} distinct policy inputs (snapshots): tickets asking the same in the same circumstances share one.`,
    `Scripting took ${history.scriptSeconds} s and writing ${history.writeSeconds} s, neither part of the figure.`,
    '',
    ...markdownTable(
      [
        { title: 'recorded outcome', align: 'left' },
        { title: 'tickets', align: 'right' },
      ],
      Object.entries(history.outcomes).map(([outcome, tickets]) => [outcome, tickets]),
    ),
    '',
    ...markdownTable(
      [
        { title: 'status now', align: 'left' },
        { title: 'tickets', align: 'right' },
      ],
      Object.entries(history.statuses).map(([status, tickets]) => [status, tickets ?? 0]),
    ),
    '',
    `Then one simulation through the API (\`POST /policies/simulations\`, then \`GET /policies/simulations/{id}\` every ${SIMULATION_POLL_MS} ms until done)`,
    `of a candidate that adds ${simulation.added.map((id) => `\`${id}\``).join(', ')} to the baseline, over the default period (90 days).`,
    'The time runs from the 202 to the first answer that said done; state transitions and SimulatePage invocations are the',
    "difference of `GET /dev/metrics` across it, the transitions priced at Step Functions' list price.",
    '',
    ...markdownTable(
      ['tickets', 'seconds', 'tickets/s', 'pages', 'state transitions', 'transitions, USD'].map(
        (title): Column => ({ title, align: 'right' }),
      ),
      [
        [
          simulation.examined,
          simulation.seconds,
          simulation.ticketsPerSecond,
          simulation.pages,
          simulation.stateTransitions,
          usd(simulation.transitionsUsd),
        ],
      ],
    ),
    '',
    `The result: ${simulation.examined} examined, ${simulation.replayed} replayed, ${simulation.changed} would be decided otherwise, ` +
      `${simulation.notReplayable} not replayable, ${simulation.movedWhileRunning ?? 'uncounted'} left out for moving while it ran. The candidate:`,
    '',
    ...(simulation.changes.length > 0
      ? simulation.changes.map((sentence) => `- ${sentence}`)
      : ['- would change no outcome']),
    '',
  ];
}

function revocationLagSection(lag: RevocationLagResult): string[] {
  const count = (value: number) => value.toLocaleString('en-US');
  return [
    '## Revocation lag',
    '',
    measuredOn(lag),
    `On a fresh local system at \`TOLLGATE_TIME_SCALE=1\`, ${count(lag.grants)} time-bound grants of \`github-write\`, each to a holder of its own`,
    `(so no grant covers another and every revocation has work), whose \`until\` falls evenly over ${lag.windowSeconds} s.`,
    'The grants were not requested, approved and fulfilled through the API (on two cores that takes far longer than the window):',
    "each ticket was scripted with the project's domain code as the workflow leaves a fulfilled one (`bench/grants.ts`:",
    'filed, auto-approved, fulfilled an hour before its `until`), written with the ticket store, and given its grant and',
    "its one-time schedule by the fulfilment step's own `writeDerivedItems`, against the local Scheduler endpoint.",
    `That took ${lag.setupSeconds} s, all of it before the first \`until\`. What is measured is what follows on its own: the schedule`,
    'fires (at its `at()` time, `until` rounded up to the second), the `grant-revocation` execution starts, and its',
    `BeginRevocation step emails the system's ${lag.emailsPerGrant} fulfillers "To revoke".`,
    "Lag in ms from each grant's `until` to the last of its revoke emails landing in the outbox (the time in the ULID that names the file):",
    '',
    ...markdownTable(
      ['grants', 'window, s', 'p50', 'p90', 'p95', 'p99', 'max', 'first email p99', 'missing'].map(
        (title): Column => ({ title, align: 'right' }),
      ),
      [
        [
          lag.grants,
          lag.windowSeconds,
          lag.p50,
          lag.p90,
          lag.p95,
          lag.p99,
          lag.max,
          lag.firstEmailP99,
          lag.missing,
        ],
      ],
    ),
    '',
    `Issue 13's target is a p99 under ${REVOCATION_LAG_TARGET_P99_MS / 1000} s${lag.grants === 1000 && lag.windowSeconds === 60 ? '' : ` (set for 1,000 grants in 60 s; this run was ${count(lag.grants)} in ${lag.windowSeconds} s)`}, with no revocation lost: **${lag.pass ? 'pass' : 'FAIL'}**.`,
    '',
  ];
}

function outboundLagSection(lag: OutboundLagResult): string[] {
  return [
    '## Outbound delivery lag',
    '',
    measuredOn(lag),
    `On a fresh local system at \`TOLLGATE_TIME_SCALE=1\` with one subscriber (a receiver in the bench's process), ${lag.tickets}`,
    `auto-approved requests for \`wiki-read\` filed through the API at ${lag.perSecond} a second, each making \`ticket.created\` at intake`,
    "and `ticket.decided` at its first workflow step. Each event's lag runs from its payload's `timestamp` (when its change",
    "happened) to the receiver's clock on arrival: the ticket's write, the writer invoking the dispatcher through the local",
    'Lambda endpoint, the dispatcher reading the ticket, writing the delivery, then signing and posting it (one attempt).',
    "Every receipt was checked with `standardwebhooks` and the subscriber's secret. The machine's one-minute load average",
    `was ${lag.loadAverage?.start ?? 'unrecorded'} as the requests began and ${lag.loadAverage?.end ?? 'unrecorded'} at the end (other work shared its two cores). In ms:`,
    '',
    ...markdownTable(
      [
        'events',
        'received',
        'p50',
        'p90',
        'p99',
        'max',
        'ticket.created p99',
        'missing',
        'repeats',
        'unverified',
      ].map((title): Column => ({ title, align: 'right' })),
      [
        [
          lag.events,
          lag.received,
          lag.p50,
          lag.p90,
          lag.p99,
          lag.max,
          lag.createdP99,
          lag.missing,
          lag.repeats,
          lag.unverified,
        ],
      ],
    ),
    '',
  ];
}

function sweepReadsSection(sweep: SweepReadsResult): string[] {
  const count = (value: number) => value.toLocaleString('en-US');
  const operations = Object.keys(sweep.requests);
  return [
    '## Revocation sweep reads',
    '',
    measuredOn(sweep),
    `On a fresh local system, ${count(sweep.grants)} active time-bound grants written through the grant store (\`DynamoGrantStore.put\`),`,
    `${count(sweep.due)} of them with their \`until\` passed and their tickets written (scripted as for the revocation lag), the others ending`,
    "within 30 days, without tickets (the sweep never reads those). Then one `sweepDueRevocations` call, with the system's own",
    'sweep kept from running in between, through a client that counts each request, the items it read (index entries a Query',
    'evaluated, items a GetItem or BatchGetItem found) and the capacity DynamoDB reported (`ReturnConsumedCapacity: TOTAL`;',
    "the local store is dynalite, whose units follow DynamoDB's rules but are not AWS's bill).",
    `REVOKE_DUE (gsi5) held ${count(sweep.indexEntries)} entries; the sweep found ${sweep.found} due, started ${sweep.started} revocations, in ${sweep.ms} ms.`,
    '',
    ...markdownTable(
      [
        { title: 'operation', align: 'left' },
        ...['requests', 'items read', 'read capacity units'].map(
          (title): Column => ({ title, align: 'right' }),
        ),
      ],
      operations.map((operation) => [
        operation,
        sweep.requests[operation] ?? 0,
        sweep.items[operation] ?? 0,
        sweep.capacityUnits[operation] ?? 'unreported',
      ]),
    ),
    '',
    `Issue 13's target: the sweep reads only the grants that are due, never a scan: **${sweep.pass ? 'pass' : 'FAIL'}**.`,
    '',
  ];
}

function lifecycleSection(lifecycle: LifecycleResult, cost: CostEstimate): string[] {
  const t = lifecycle.perTicket;
  const operations = (names: string[]) => names.map((name) => `${name} ${t.dynamodb[name] ?? 0}`).join(', ');
  const countTable = markdownTable(
    [
      { title: 'per ticket', align: 'left' },
      { title: 'count', align: 'right' },
      { title: 'made of', align: 'left' },
    ],
    [
      [
        'state transitions',
        t.stateTransitions,
        'every state entered, Choice and Succeed included, and every retry',
      ],
      [
        'Lambda invocations',
        t.workflowInvocations + t.httpInvocations,
        `${t.workflowInvocations} workflow tasks + ${t.httpInvocations} API calls: intake, inbox listing, decision, fulfilment report`,
      ],
      [
        'DynamoDB writes',
        t.writes,
        `${operations(['PutItem', 'UpdateItem', 'DeleteItem'])}, and ${t.batchWriteItems} items in BatchWriteItem requests`,
      ],
      [
        'DynamoDB BatchWriteItem requests',
        t.batchWriteRequests,
        'their items are counted in the writes above',
      ],
      [
        'DynamoDB write units',
        round(t.writeUnits.table + t.writeUnits.indexes),
        `${t.writeUnits.table} on the table, ${t.writeUnits.indexes} on its indexes, as DynamoDB bills those writes`,
      ],
      ['DynamoDB reads', t.reads, operations(['GetItem', 'Query', 'Scan', 'BatchGetItem'])],
      [
        'emails',
        t.emails,
        "the approver's, one to each fulfiller who is not the beneficiary, the requester's notices (approved, fulfilled) and the survey",
      ],
      ['ticket size, bytes', t.ticketBytes, 'the largest closed ticket as `GET /requests/{id}` answers it'],
    ],
  );
  const costTable = markdownTable(
    [
      { title: 'item', align: 'left' },
      { title: 'quantity', align: 'right' },
      { title: 'unit', align: 'left' },
      { title: 'USD per unit', align: 'right' },
      { title: 'USD per ticket', align: 'right' },
    ],
    [
      ...cost.lines.map((line) => [line.item, line.quantity, line.unit, usd(line.unitPrice), usd(line.cost)]),
      ['**total**', '', '', '', `**${usd(cost.total)}**`],
    ],
  );
  const { stateTransitions, costUsd } = cost.targets;
  const passFail = (pass: boolean) => (pass ? 'pass' : 'FAIL');
  const targetTable = markdownTable(
    [
      { title: "issue 5's target, per access ticket", align: 'left' },
      { title: 'measured', align: 'right' },
      { title: 'verdict', align: 'left' },
    ],
    [
      [
        `under ${stateTransitions.target} state transitions`,
        stateTransitions.value,
        passFail(stateTransitions.pass),
      ],
      [
        `under $${costUsd.target} of AWS cost, assuming ${t.emails} emails`,
        `$${usd(costUsd.value)}`,
        passFail(costUsd.pass),
      ],
    ],
  );
  return [
    '## The whole lifecycle',
    '',
    'On a fresh local system, Alex and Bo (who report to Erin) ask for `github-write` without a duration, so each ticket closes as `fulfilled`.',
    'Erin approves from her inbox (`GET /approvals`, then `POST /approvals/{id}/decision`); Ian reports the work done (`POST /requests/{id}/fulfilment`).',
    '',
    `${lifecycle.tickets} tickets through ${lifecycle.pipelines} pipelines: each requester files its next ticket when its last one closed, while one approver and one fulfiller work through their inboxes, looking again every 50 ms when empty.`,
    "Time from intake to closure in ms, from each ticket's own timeline (`submitted` to `closed`):",
    '',
    ...markdownTable(
      ['tickets', 'pipelines', 'seconds', 'tickets/s', 'p50', 'p90', 'p99', 'max'].map(
        (title): Column => ({ title, align: 'right' }),
      ),
      [
        [
          lifecycle.tickets,
          lifecycle.pipelines,
          lifecycle.seconds,
          lifecycle.ticketsPerSecond,
          lifecycle.p50,
          lifecycle.p90,
          lifecycle.p99,
          lifecycle.max,
        ],
      ],
    ),
    '',
    `Per ticket: means over ${lifecycle.countedTickets} tickets filed one at a time, each the difference of \`GET /dev/metrics\` before its intake and after its execution ended.`,
    'Between steps the bench watched the emails count and the local Step Functions endpoint, which are no part of the AWS bill, so the figures hold the flow and nothing else; the reconcile schedule did not run meanwhile.',
    '',
    ...countTable,
    '',
    `Implied AWS cost per ticket, at us-east-1 list prices as of ${PRICES_AS_OF} (written in \`bench/cost.ts\`, not fetched; free tiers left out):`,
    '',
    ...Object.values(PRICES).map((price) => `- ${price.text} (${price.source})`),
    '',
    `Assumed: ${ASSUMPTIONS.lambdaMemoryMb} MB and ${ASSUMPTIONS.lambdaMs} ms billed per Lambda invocation.`,
    `Writes are charged in the write units the local store tallied as DynamoDB bills them (per ticket ${t.writeUnits.table} on the table, ${t.writeUnits.indexes} on its indexes): on the table a unit per KB of the larger of the item before and after, failed conditional writes included; on an index a unit per KB of each entry put or deleted, two when its key moves, none when the write leaves the entry as it was.`,
    `Every read is charged as a strongly consistent read of the ticket item (${t.ticketBytes} bytes: ${cost.unitsPerRead} RRU): an upper bound, the ticket being the largest item.`,
    'Not counted: storage, CloudWatch Logs, data transfer, Secrets Manager.',
    '',
    ...costTable,
    '',
    ...targetTable,
    '',
  ];
}

/** Issue 10's targets under load. */
export const UNDER_LOAD_TARGETS = {
  intakeOverPutItemP50: 4,
  firstEmailP99Ms: 1000,
  writesShareOfPutItem: 0.5,
  writesPerTicket: 20,
};

function underLoadSection(
  sustained: SustainedResult,
  openLoop: OpenLoopResult,
  scenarios: Measurement[],
  lifecycle: LifecycleResult,
): string[] {
  const t = UNDER_LOAD_TARGETS;
  const putItem8 = scenarios.find((scenario) => scenario.name === 'PutItem ×8');
  const run = sustained.sustained;
  const intakeRatio = Math.round((openLoop.intake.p50 / openLoop.putItem.p50) * 100) / 100;
  const writesShare = putItem8 ? Math.round((run.writesPerSecond / putItem8.throughput) * 100) / 100 : null;
  const passFail = (pass: boolean) => (pass ? 'pass' : 'FAIL');
  const latencyRow = (name: string, l: OpenLoopResult['intake']) => [
    name,
    l.count,
    l.p50,
    l.p90,
    l.p99,
    l.max,
  ];
  return [
    '## Under load, with the workflow running',
    '',
    "Open loop: access requests arrive on a fixed schedule, whatever the answers' speed, from Alex and Bo, while Erin and the fulfillers",
    'act on each email as it lands in the outbox (opening its link and submitting the form), so every ticket runs its whole workflow',
    'beside the arrivals. Between every two intakes a bare PutItem goes to the same store: both are measured under the same load.',
    '',
    `Sustained rate: probes at rising rates from ${PROBE.firstRate} tickets/s (${PROBE.seconds} s each, the next ${PROBE.factor} times the last) until one did not hold,`,
    'then 60 s at the highest that did. A rate holds when every intake answers 201, the executions running do not grow',
    '(least-squares slope over the second half under 5% of the arrival rate) and every ticket closes once arrivals stop.',
    '',
    ...markdownTable(
      [
        ...['tickets/s', 'seconds'].map((title): Column => ({ title, align: 'right' })),
        { title: 'held', align: 'left' },
        ...['backlog growth/s', 'store writes/s'].map((title): Column => ({ title, align: 'right' })),
      ],
      [
        ...sustained.probes.map((probe) => [
          probe.rate,
          PROBE.seconds,
          probe.held ? 'yes' : 'no',
          probe.backlogGrowthPerSecond,
          probe.writesPerSecond,
        ]),
        [
          `**${run.rate}**`,
          run.seconds,
          run.held ? 'yes' : 'no',
          run.backlogGrowthPerSecond,
          run.writesPerSecond,
        ],
      ],
    ),
    '',
    `Latencies in ms at ${openLoop.rate} tickets/s (half the sustained rate) for ${openLoop.seconds} s:`,
    '',
    ...markdownTable(
      [
        { title: 'call', align: 'left' },
        ...['count', 'p50', 'p90', 'p99', 'max'].map((title): Column => ({ title, align: 'right' })),
      ],
      [
        latencyRow('intake (`POST /requests`)', openLoop.intake),
        latencyRow('PutItem, interleaved', openLoop.putItem),
        latencyRow("201 to the approver's email", openLoop.firstEmail),
      ],
    ),
    '',
    ...markdownTable(
      [
        { title: "issue 10's target", align: 'left' },
        { title: 'measured', align: 'right' },
        { title: 'verdict', align: 'left' },
      ],
      [
        [
          `intake p50 within ${t.intakeOverPutItemP50}x of PutItem's under the same load`,
          `${intakeRatio}x`,
          passFail(intakeRatio <= t.intakeOverPutItemP50),
        ],
        [
          `201 to first email p99 under ${t.firstEmailP99Ms} ms`,
          openLoop.firstEmail.p99,
          passFail(openLoop.firstEmail.p99 < t.firstEmailP99Ms),
        ],
        [
          `store writes/s at the sustained rate at least ${t.writesShareOfPutItem * 100}% of PutItem ×8's calls/s${putItem8 ? ` (${putItem8.throughput})` : ''}`,
          writesShare === null ? 'n/a' : `${Math.round(writesShare * 100)}%`,
          writesShare === null ? '—' : passFail(writesShare >= t.writesShareOfPutItem),
        ],
        [
          `writes per ticket ${t.writesPerTicket} or fewer`,
          lifecycle.perTicket.writes,
          passFail(lifecycle.perTicket.writes <= t.writesPerTicket),
        ],
      ],
    ),
    '',
  ];
}

function bundleSection(results: BundleResults): string[] {
  const { bundles } = results;
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const labels = bundles.map((bundle) => JSON.stringify(bundle.handler)).join(', ');
  const top = Math.ceil(Math.max(...bundles.map((bundle) => bundle.importMax)) * 1.1);
  return [
    '## Lambda bundles',
    '',
    `${measuredOn(results)} By \`bench/bundles.ts\`.`,
    "The app is synthesized as `cdk synth` does it (esbuild, minified ESM, the AWS SDK bundled). Each function's `index.mjs` is",
    `imported ${bundles[0]?.imports ?? 0} times, each in a fresh \`node\` with the function's environment, as Lambda's init phase loads it`,
    '(reading the signing secret, from a local stand-in for Secrets Manager). Sizes in KiB without source maps; import times in ms.',
    "Deployed: everything in the function's package, which for the functions that decide by policy adds Cedar's node module (its",
    'wasm, which the import loads and compiles) and the policies/ folder to the bundle.',
    '',
    ...markdownTable(
      [
        { title: 'handler', align: 'left' },
        ...['KiB', 'KiB gzipped', 'deployed KiB', 'deployed KiB gzipped', 'import p50', 'import max'].map(
          (title): Column => ({ title, align: 'right' }),
        ),
      ],
      bundles.map((bundle) => [
        bundle.handler,
        kib(bundle.bytes),
        kib(bundle.gzipBytes),
        bundle.packageBytes === undefined ? 'n/a' : kib(bundle.packageBytes),
        bundle.packageGzipBytes === undefined ? 'n/a' : kib(bundle.packageGzipBytes),
        bundle.importP50,
        bundle.importMax,
      ]),
    ),
    '',
    '```mermaid',
    'xychart-beta',
    '  title "Import time in ms: max (back bar), p50 (front bar)"',
    `  x-axis [${labels}]`,
    `  y-axis "ms" 0 --> ${top}`,
    `  bar [${bundles.map((bundle) => bundle.importMax).join(', ')}]`,
    `  bar [${bundles.map((bundle) => bundle.importP50).join(', ')}]`,
    '```',
    '',
  ];
}

function memorySection(memory: MemoryResult): string[] {
  const kib = (bytes: number) => Math.round(bytes / 1024);
  /** Growth of a reading's figure since the reading before, per execution finished in between. */
  const perExecution =
    (figure: (reading: MemoryReading) => number, rounded: (value: number) => number) =>
    (reading: MemoryReading, index: number) => {
      const previous = memory.readings[index - 1];
      if (!previous) return '';
      return rounded((figure(reading) - figure(previous)) / (reading.executions - previous.executions));
    };
  const heapGrowth = perExecution((reading) => reading.heapUsed, Math.round);
  const queries = perExecution((reading) => reading.queries, round);
  return [
    '## Memory per finished execution',
    '',
    measuredOn(memory),
    `The local system runs under \`node --expose-gc\`. \`GET /dev/memory\` (local only) makes the server's process run a last-resort full GC (collections repeated until nothing more is freed) and answer its \`process.memoryUsage()\`; the bench checks that the answer names the server's pid.`,
    "The figure is `heapUsed`: V8's heap of that one process, which holds the store (dynalite), the Step Functions service, SES, the scheduler and the handlers alike, so it counts whatever any of them keeps per ticket.",
    "Memory outside V8's heap (LevelDB's native caches, buffers) shows only in the resident set (RSS), listed but not judged.",
    `Tickets go through the whole lifecycle as above (${memory.pipelines} pipelines; one execution each): ${memory.warmupTickets} to warm up, then ${memory.tickets} more in ${memory.readings.length - 1} batches.`,
    `Each reading is taken with no execution running, the lowest heap of three, each after its own GC; "executions" counts those started since start-up, all of them finished.`,
    '',
    ...markdownTable(
      [
        'executions',
        'heap used, KiB',
        'RSS, MiB',
        'heap growth per execution since the last reading, bytes',
        'DynamoDB Queries per execution since the last reading',
      ].map((title): Column => ({ title, align: 'right' })),
      memory.readings.map((reading, index) => [
        reading.executions,
        kib(reading.heapUsed),
        mib(reading.rss),
        heapGrowth(reading, index),
        queries(reading, index),
      ]),
    ),
    '',
    `Heap growth from the first reading to the last: **${memory.bytesPerExecution} bytes per finished execution**; issue 10's target is under ${MEMORY_TARGET_BYTES} bytes (0.2 KB): **${memory.pass ? 'pass' : 'FAIL'}**.`,
    '',
  ];
}

function restartSection(restart: RestartResult): string[] {
  return [
    '## Restart with archived executions',
    '',
    measuredOn(restart),
    'Time from spawning the local system (`node --import tsx bin/local.ts`) to its `READY` line, on two data folders it had started on before, so both are seeded alike and neither pays for seeding:',
    `one with no executions, and one with ${restart.realTickets} real tickets closed and ${restart.archived.toLocaleString('en-US')} archived executions synthesized from their ${restart.realTickets} archived executions:`,
    "copies under new names (so new ARNs, and new file names, each the SHA-256 of its ARN), written through the service's own `CheckpointStore.archive`: a file each in `stepfunctions/archive/` and a line each in its `index.jsonl`.",
    `The starts alternate, ${restart.rounds} on each folder. At each start with the archive, the running service answered DescribeExecution of a synthesized execution (\`${restart.synthesizedArn}\`) as SUCCEEDED.`,
    '',
    ...markdownTable(
      [
        { title: 'data folder', align: 'left' },
        { title: 'starts, ms', align: 'left' },
        { title: 'median, ms', align: 'right' },
      ],
      [
        ['no executions', restart.noExecutionsMs.join(', '), restart.noExecutionsMedian],
        [
          `${restart.archived.toLocaleString('en-US')} archived executions`,
          restart.archivedMs.join(', '),
          restart.archivedMedian,
        ],
      ],
    ),
    '',
    `Medians' ratio: **${restart.ratio}x**; issue 10's target is within ${RESTART_TARGET_RATIO}x: **${restart.pass ? 'pass' : 'FAIL'}**.`,
    '',
  ];
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** A figure results written before it was measured lack, in MiB, or a dash. */
const mibIfMeasured = (bytes: number | undefined) => (bytes === undefined ? '–' : mib(bytes));

/**
 * The largest size's figure over the smallest's, as a ratio to two places; null with one size only, or when
 * results written before the figure was measured lack it.
 */
function largestOverSmallest<T extends { tickets: number }>(
  runs: T[],
  figure: (run: T) => number | undefined,
): number | null {
  const bySize = [...runs].sort((a, b) => a.tickets - b.tickets);
  const smallest = bySize[0];
  const largest = bySize.at(-1);
  if (!smallest || !largest || smallest === largest) return null;
  const [over, under] = [figure(largest), figure(smallest)];
  if (over === undefined || under === undefined) return null;
  return round(over / under);
}

/** Issue 14's "flat as history grows", judged on the export's live heap peak, largest size over smallest. */
function liveHeapVerdict(runs: AuditExportRun[]): string {
  const ratio = largestOverSmallest(runs, (run) => run.liveHeap?.peak);
  if (ratio === null) return 'live heap not measured';
  return ratio <= AUDIT.flatRatio
    ? `flat: at most ${AUDIT.flatRatio}x`
    : `NOT flat: over ${AUDIT.flatRatio}x`;
}

/** The console's summary of the audit parts: each size, then the ratios that matter. */
export function describeAudit(
  audit: Pick<Results, 'auditExport' | 'auditVerify' | 'analyticsStore' | 'consolePages'>,
): string[] {
  const lines: string[] = [];
  if (audit.auditExport) {
    const { runs } = audit.auditExport;
    for (const run of runs) {
      lines.push(
        `Audit export: ${run.tickets} tickets, ${run.rows} rows (${run.fileRows} in the file) in ${run.seconds} s, ` +
          `${run.ticketsPerSecond} tickets/s, ${run.steps} steps; server peak RSS ${mib(run.memory.peakRss)} MiB ` +
          `(store files mapped ${mibIfMeasured(run.memory.atHighestSample?.storeFiles)} MiB at the highest sample), ` +
          `peak anonymous RSS ${mibIfMeasured(run.memory.peakAnonymous)} MiB, peak heap ${mib(run.memory.peakHeapUsed)} MiB, ` +
          `load ${run.load?.join(' / ') ?? '–'}; live heap after a GC ${mibIfMeasured(run.liveHeap?.before)} MiB before, ` +
          `peak ${mibIfMeasured(run.liveHeap?.peak)} MiB (${run.liveHeap?.samples ?? '–'} readings in ${run.liveHeap?.seconds ?? '–'} s, ` +
          `load ${run.liveHeap?.load.join(' / ') ?? '–'})`,
      );
    }
    lines.push(
      `Audit export, largest over smallest: live heap peak ${largestOverSmallest(runs, (run) => run.liveHeap?.peak)}x ` +
        `(${liveHeapVerdict(runs)}), peak anonymous RSS ${largestOverSmallest(runs, (run) => run.memory.peakAnonymous)}x, ` +
        `peak RSS ${largestOverSmallest(runs, (run) => run.memory.peakRss)}x, ` +
        `peak heap ${largestOverSmallest(runs, (run) => run.memory.peakHeapUsed)}x, ` +
        `throughput ${largestOverSmallest(runs, (run) => run.ticketsPerSecond)}x`,
    );
  }
  if (audit.auditVerify) {
    const { runs } = audit.auditVerify;
    for (const run of runs) {
      lines.push(
        `Audit verify: ${run.chains} chains in ${run.seconds} s, ${run.chainsPerSecond} chains/s, ` +
          `peak RSS ${mib(run.peakRss)} MiB, exit ${run.exitCode} (checkpoint ${run.checkpointSeconds} s); ` +
          `young generation capped: peak RSS ${mibIfMeasured(run.youngGenerationCapped?.peakRss)} MiB in ${run.youngGenerationCapped?.seconds ?? '–'} s`,
      );
    }
    lines.push(
      `Audit verify, largest over smallest: peak RSS ${largestOverSmallest(runs, (run) => run.peakRss)}x, ` +
        `young generation capped ${largestOverSmallest(runs, (run) => run.youngGenerationCapped?.peakRss)}x, ` +
        `throughput ${largestOverSmallest(runs, (run) => run.chainsPerSecond)}x`,
    );
  }
  if (audit.analyticsStore) {
    const { runs } = audit.analyticsStore;
    for (const run of runs) {
      lines.push(
        `Analytics store: ${run.tickets} tickets, ${run.submittedPerDay} submitted and ${run.countedPerDay} counted a day, ` +
          `rollup ${run.rollupMs.mean} ms a day (max ${run.rollupMs.max}), ${run.itemsPerCounted} items read per ticket counted, ` +
          `report of ${run.days} days ${run.reportMs} ms  ${run.pass ? 'pass' : 'FAIL'} (no Scan)`,
      );
    }
    lines.push(
      `Analytics store, largest over smallest: rollup time ${largestOverSmallest(runs, (run) => run.rollupMs.mean)}x ` +
        `for ${largestOverSmallest(runs, (run) => run.countedPerDay)}x the tickets a day counts, ` +
        `items read per ticket counted ${largestOverSmallest(runs, (run) => run.itemsPerCounted)}x; report ${largestOverSmallest(runs, (run) => run.reportMs)}x`,
    );
  }
  for (const run of audit.consolePages?.runs ?? []) {
    lines.push(
      `Console page: ${run.tickets} tickets, as ${run.viewer ?? '–'}, ${run.page} (${run.about}): p50 ${run.ms.p50} ms, p95 ${run.ms.p95} ms, ` +
        `max ${run.ms.max} ms, server CPU ${run.cpuMsPerPage} ms a page, ${run.bytes} bytes, load ${run.load.join(' / ')}  ` +
        `${run.pass ? 'pass' : 'FAIL'} (target CPU < ${CONSOLE_PAGES.targetMs} ms, < ${CONSOLE_PAGES.targetBytes / 1024} KB)`,
    );
  }
  return lines;
}

/** How the audit parts' tickets were made, shared by both sections. */
function auditSeedLines(seeds: AuditSeed[]): string[] {
  const count = (value: number) => value.toLocaleString('en-US');
  const first = seeds[0];
  if (!first) return [];
  return [
    `For each size a fresh data folder, with tickets recorded as for the policy simulation (\`bench/recorded-history.ts\`:`,
    `${count(first.scripted)} access tickets over the last ${HISTORY.days} days, scripted once in ${first.scriptSeconds} s with the project's domain code, as intake`,
    `and the workflow would have left them) and written by \`bench/audit-history.ts\` with the store's own keys and adapters, in BatchWriteItem`,
    `requests, with the grant item each fulfilment left (\`grantFrom\`, \`DynamoGrantStore\`). Left out: the ${count(first.inFlightLeftOut)} scripted tickets still waiting`,
    '(they have no execution, so the reconcile schedule would close them as failed mid-run), and the grants whose revocation or expiry',
    'notice falls due within hours (the script never revoked them, so the sweep would start them all mid-run). Beyond the scripted tickets,',
    "the rest are copies under fresh ULIDs made at the same instant (so they fall in the same period); a ticket's chain does not hold",
    "its id, but a granted one's names its grant (`G{ticket id}`), so those chains are sealed again, and every copy passes `findBrokenLink`.",
    "They are written to the folder's store (the local DynamoDB, dynalite, in a seeding process of its own) before a local system first starts on it:",
    'no schedule runs on a half-written history (the audit checkpoint runs every 15 minutes), and the process measured holds only its',
    'start-up and the work. Schedules start afresh at that start, so none runs within its first 2 minutes, and no ticket or grant is due.',
    '',
    ...markdownTable(
      [
        'tickets',
        'copies',
        'grants',
        'grants left out',
        'closed',
        'active',
        'policy snapshots',
        'written in, s',
      ].map((title): Column => ({ title, align: 'right' })),
      seeds.map((seed) => [
        seed.tickets,
        seed.copies,
        seed.grants,
        seed.grantsLeftOut,
        seed.statuses.closed ?? 0,
        seed.statuses.active ?? 0,
        seed.snapshots,
        seed.writeSeconds,
      ]),
    ),
    '',
  ];
}

function auditExportSection(result: AuditExportResult): string[] {
  const { runs } = result;
  return [
    '## Audit export',
    '',
    measuredOn(result),
    ...auditSeedLines(result.seeds),
    'First after the start, one export of the whole period as CSV through the API, as the demo auditor (`POST /audit/exports`, then `GET /audit/exports/{id}`',
    `every ${AUDIT.sampleMs} ms until done); the file is downloaded from the presigned link (the local S3 endpoint) and its records counted.`,
    'Seconds run from the 202 to the first answer that said done; steps are the workflow Lambda calls and state transitions the difference',
    "of `GET /dev/metrics` across it. Memory is the local system's process, which runs the handlers and the state machine in-process,",
    "and also the store (dynalite) and the S3 endpoint. The peak resident set is the kernel's (VmHWM, reset as the export starts). It also",
    "counts the pages of files the process maps, and LevelDB, under dynalite, maps the store's table files (up to 1,000 of them) and reads",
    'them there: each page the export reads stays resident while the file is open, so that part grows with the table, not with the export.',
    'It is what "store files" shows: the pages mapped from the data folder\'s `dynamodb/` (from `/proc/{pid}/smaps`) at the sample with',
    "the highest resident set. The export's own memory is in the anonymous resident set (`RssAnon`, the heaps and buffers the process",
    "allocates; dynalite's JavaScript and LevelDB's caches count there too, so it is an upper bound), the highest of the samples taken",
    `every ${AUDIT.sampleMs} ms; the peak heap is the highest \`heapUsed\` of \`GET /dev/memory\` at the same samples (no forced GC: garbage`,
    'not yet collected counts). Both peaks count the garbage V8 has not collected yet, whose headroom grows over a longer run (see the',
    'control run of the verification below), so they are an upper bound of what the export holds. "Before" is the reading as it starts.',
    "The machine is shared with other work on two cores, so seconds are noisy (the load is the machine's 1-minute load average as the",
    'export began and as it was done); the ratios come from one run.',
    '',
    ...markdownTable(
      [
        'tickets',
        'rows',
        'rows in file',
        'MiB',
        'seconds',
        'rows/s',
        'tickets/s',
        'steps',
        'state transitions',
        'RSS before, MiB',
        'peak RSS, MiB',
        'store files at the highest sample, MiB',
        'peak anonymous RSS, MiB',
        'heap before, MiB',
        'peak heap, MiB',
        'load before / after',
      ].map((title): Column => ({ title, align: 'right' })),
      runs.map((run) => [
        run.tickets,
        run.rows,
        run.fileRows,
        mib(run.bytes),
        run.seconds,
        run.rowsPerSecond,
        run.ticketsPerSecond,
        run.steps,
        run.stateTransitions,
        mib(run.memory.before.rss),
        mib(run.memory.peakRss),
        mibIfMeasured(run.memory.atHighestSample?.storeFiles),
        mibIfMeasured(run.memory.peakAnonymous),
        mib(run.memory.before.heapUsed),
        mib(run.memory.peakHeapUsed),
        run.load?.join(' / ') ?? '–',
      ]),
    ),
    '',
    "The live heap comes from a second run of the same export: that local system stopped, its schedules' state removed (so they start",
    'afresh, as at the first start, rather than catch up at once), and the system started again on the same folder with `node --expose-gc`.',
    `There each \`GET /dev/memory\`, every ${AUDIT.liveHeapSampleMs} ms, first runs a last-resort full GC (collections repeated until nothing more is freed)`,
    "and answers V8's heap then in use: what the process holds live, garbage left out (the export, the handlers, the state machine,",
    'dynalite\'s JavaScript and the S3 endpoint alike, so still an upper bound of the export\'s own). "Before" is its first reading, the peak the',
    'highest; they are readings, not a continuous trace, so a peak between two can be missed. Those GCs stop the process, so that run is slower',
    "and its seconds are no throughput: the seconds and rates above are the first run's, with no GC forced. Its load is read as above.",
    '',
    ...markdownTable(
      [
        'tickets',
        'live heap before, MiB',
        'live heap peak, MiB',
        'readings',
        'seconds',
        'load before / after',
      ].map((title): Column => ({ title, align: 'right' })),
      runs.map((run) => [
        run.tickets,
        mibIfMeasured(run.liveHeap?.before),
        mibIfMeasured(run.liveHeap?.peak),
        run.liveHeap?.samples ?? '–',
        run.liveHeap?.seconds ?? '–',
        run.liveHeap?.load.join(' / ') ?? '–',
      ]),
    ),
    '',
    `Largest over smallest, for ${largestOverSmallest(runs, (run) => run.tickets)}x the tickets: live heap peak **${largestOverSmallest(runs, (run) => run.liveHeap?.peak)}x**,`,
    `peak anonymous RSS ${largestOverSmallest(runs, (run) => run.memory.peakAnonymous)}x, peak heap (no GC forced) ${largestOverSmallest(runs, (run) => run.memory.peakHeapUsed)}x,`,
    `peak RSS ${largestOverSmallest(runs, (run) => run.memory.peakRss)}x, store files mapped ${largestOverSmallest(runs, (run) => run.memory.atHighestSample?.storeFiles)}x,`,
    `throughput (tickets/s) ${largestOverSmallest(runs, (run) => run.ticketsPerSecond)}x.`,
    '',
    `Issue 14 asks that memory stay flat as history grows. Judged on the live heap peak (flat if the largest size's is at most ${AUDIT.flatRatio}x`,
    `the smallest's): **${liveHeapVerdict(runs)}**. The resident set figures are not that measure: they include the store's table files that`,
    'LevelDB (dynalite) maps, which grow with the table, and garbage V8 has not collected yet. In AWS the store is DynamoDB, not the export',
    "function's memory.",
    '',
  ];
}

function auditVerifySection(result: AuditVerifyResult): string[] {
  const { runs } = result;
  return [
    '## Audit verification',
    '',
    measuredOn(result),
    ...auditSeedLines(result.seeds),
    'After the export, one checkpoint through the local system (`POST /dev/schedules/audit-checkpoint/run`, the first, over every chain), and',
    '`npm run audit:verify` as a user runs it: a process of its own (`node --import tsx bin/audit-verify.ts`) reading the local DynamoDB',
    `and S3 endpoints directly. Seconds run from spawning it to its exit; its peak resident set is the kernel's VmHWM, read every ${AUDIT.verifyPollMs} ms until it exited.`,
    'Chains are those the CLI counted: the tickets, the grant items and the admin log. The machine is shared with other work on two cores, so seconds are noisy.',
    "The CLI keeps one page of the table, one batch of a checkpoint's heads and the findings in memory; the checkpointed heads go to a",
    "temporary SQLite file. What else its resident set holds is V8's headroom for garbage: node lets the young generation's semi-spaces",
    'grow to 16 MiB each while short-lived objects keep coming (a page of chains at a time), and a longer run keeps them coming for longer.',
    `So it runs a second time with them held to ${AUDIT.youngGenerationCap} MiB (\`node --max-semi-space-size=${AUDIT.youngGenerationCap}\`, "capped"): what grows with the chains there is`,
    'what the verification itself holds.',
    '',
    ...markdownTable(
      [
        'tickets',
        'chains',
        'checkpoint, s',
        'verify, s',
        'chains/s',
        'peak RSS, MiB',
        'exit code',
        'capped: verify, s',
        'capped: peak RSS, MiB',
        'capped: exit code',
      ].map((title): Column => ({ title, align: 'right' })),
      runs.map((run) => [
        run.tickets,
        run.chains,
        run.checkpointSeconds,
        run.seconds,
        run.chainsPerSecond,
        mib(run.peakRss),
        run.exitCode,
        run.youngGenerationCapped?.seconds ?? '–',
        mibIfMeasured(run.youngGenerationCapped?.peakRss),
        run.youngGenerationCapped?.exitCode ?? '–',
      ]),
    ),
    '',
    `Largest over smallest: peak RSS **${largestOverSmallest(runs, (run) => run.peakRss)}x**, capped **${largestOverSmallest(runs, (run) => run.youngGenerationCapped?.peakRss)}x**; throughput (chains/s) ${largestOverSmallest(runs, (run) => run.chainsPerSecond)}x.`,
    'What the CLI found (every chain intact is the expected answer: nothing was tampered with):',
    '',
    ...runs.map((run) => `- ${run.tickets} tickets: ${run.chainsLine}`),
    '',
  ];
}

function analyticsStoreSection(result: AnalyticsStoreResult): string[] {
  const { runs } = result;
  const operations = [...new Set(runs.flatMap((run) => Object.keys(run.requestsPerDay)))].sort();
  return [
    '## Analytics rollups through the store',
    '',
    measuredOn(result),
    ...auditSeedLines(result.seeds),
    `After the audit parts, each of the last ${ANALYTICS_STORE.days} full days rolled up one at a time with the nightly job's own code`,
    "(`rollupDay` of functions/app/analytics.ts, in the bench process) against the local system's DynamoDB endpoint, counting what it",
    "read (a Query's ScannedCount, items a GetItem or BatchGetItem found); then `GET /analytics` over those days, the report from their",
    'stored rollups through the API. Per day rolled up, on average:',
    '',
    ...markdownTable(
      [
        { title: 'tickets', align: 'right' },
        { title: 'submitted a day', align: 'right' },
        { title: 'counted a day', align: 'right' },
        { title: 'rollup, ms (mean / max)', align: 'right' },
        ...operations.map(
          (operation): Column => ({ title: `${operation} (requests / items)`, align: 'right' }),
        ),
        { title: 'items read per ticket counted', align: 'right' },
        { title: 'report, ms', align: 'right' },
        { title: 'verdict', align: 'left' },
      ],
      runs.map((run) => [
        run.tickets,
        run.submittedPerDay,
        run.countedPerDay,
        `${run.rollupMs.mean} / ${run.rollupMs.max}`,
        ...operations.map(
          (operation) => `${run.requestsPerDay[operation] ?? 0} / ${run.itemsPerDay[operation] ?? 0}`,
        ),
        run.itemsPerCounted,
        run.reportMs,
        run.pass ? 'pass (no Scan)' : 'FAIL (a Scan)',
      ]),
    ),
    '',
    `Largest over smallest: rollup time ${largestOverSmallest(runs, (run) => run.rollupMs.mean)}x for ${largestOverSmallest(runs, (run) => run.countedPerDay)}x the tickets a day counts`,
    `(submitted, resolved or rated that day), items read per ticket counted ${largestOverSmallest(runs, (run) => run.itemsPerCounted)}x (flat: the rollup reads its day),`,
    `report ${largestOverSmallest(runs, (run) => run.reportMs)}x (it reads the stored rollups and the active standing grants, which the copies multiply).`,
    '',
  ];
}

/** The console's summary of the webhooks part. */
export function describeWebhooks(result: WebhooksResult): string[] {
  const { duplicates: d } = result;
  return [
    ...result.ratios.map((ratio) => `Webhooks: ${ratioLabel(ratio)}: ${ratio.value}x`),
    `Webhook duplicates: ${d.deliveries} deliveries of ${d.events} events (${d.overlapping} while a copy was in flight), ` +
      `${d.ticketsStored} tickets stored, ${d.eventsAnsweredAlike} events answered alike, ${d.originals} original answers; ` +
      `p50 ${d.all.p50} ms, p99 ${d.all.p99} ms  ${d.pass ? 'pass' : 'FAIL'} (exactly ${d.events} effects, every copy answered as the first)`,
  ];
}

function webhooksSection(result: WebhooksResult): string[] {
  const { duplicates: d } = result;
  const statuses = Object.entries(d.statuses)
    .map(([status, count]) => `${count} × ${status}`)
    .join(', ');
  return [
    '## Inbound webhooks',
    '',
    measuredOn(result),
    'Signed as an integration signs them (the `standardwebhooks` library, the local secret of `npm start`, a fresh',
    '`webhook-timestamp` and signature for each delivery) and posted to `POST /webhooks/{integration}` on a fresh local',
    'system. Intake is `POST /requests` with a bearer token; `ticket.create` (servicedesk) files the same access request',
    'for the same person through intake after verifying the signature and reserving the `webhook-id`; `identity.updated`',
    `(hr) changes the title of a person HR added for the bench, each of them about ${result.updatesPerPerson} times (every write of an`,
    'entry appends an event to the history it carries, so one person changed a thousand times would measure a growing item). The',
    'three are measured together: the calls of all three, shuffled from a fixed seed, are taken in turn by the clients',
    `(${result.counts.requests} measured calls of each after ${result.counts.warmup} of each to warm up), so all three run under the same load,`,
    'on the same store, each about as often after each of the others. Latencies in ms, including the client signing (microseconds).',
    '',
    ...markdownTable(
      [
        { title: 'call', align: 'left' },
        ...['clients', 'calls', 'p50', 'p90', 'p99', 'mean', 'max'].map(
          (title): Column => ({ title, align: 'right' }),
        ),
      ],
      result.latency.map((s) => [s.name, s.clients, s.requests, s.p50, s.p90, s.p99, s.mean, s.max]),
    ),
    '',
    'Ratios (a webhook over intake, measured in the same run):',
    '',
    ...markdownTable(
      [
        { title: 'ratio', align: 'left' },
        { title: 'value', align: 'right' },
      ],
      result.ratios.map((r) => [ratioLabel(r), `${r.value}x`]),
    ),
    '',
    `Duplicates: ${d.events} distinct \`ticket.create\` events for one new person, each delivered ${d.copies} times (the same`,
    `\`webhook-id\` and body, signed afresh each time, as a sender's retries are), ${d.deliveries} deliveries shuffled (a fixed`,
    `seed) and sent by ${d.concurrency} concurrent senders. Then the person's tickets are read back through the API, as the auditor`,
    'Aude reads them (`GET /requests?requester=`, then each ticket). The check: every delivery answered 201, all copies of',
    `each event answered with the same body, ${d.events} distinct tickets named, ${d.events} tickets stored, each with one`,
    '`received_by_webhook` event naming one of the events sent.',
    '',
    ...markdownTable(
      [
        { title: 'figure', align: 'left' },
        { title: 'measured', align: 'right' },
      ],
      [
        ['deliveries', d.deliveries],
        ['sent while another copy of the same event was in flight', d.overlapping],
        ['answers', statuses],
        ['answered as originals (no `idempotent-replayed`)', d.originals],
        ['events whose copies were all answered alike', `${d.eventsAnsweredAlike} of ${d.events}`],
        ['distinct tickets the answers name', d.ticketsAnswered],
        ['tickets stored for the person', d.ticketsStored],
        ['tickets with one `received_by_webhook` event', d.ticketsReceivedOnce],
        ['seconds, deliveries per second', `${d.seconds} s, ${round(d.deliveries / d.seconds)}/s`],
        ['latency of every delivery, p50 / p99 / max, ms', `${d.all.p50} / ${d.all.p99} / ${d.all.max}`],
        [
          'latency of the replayed ones, p50 / p99 / max, ms',
          `${d.replayed.p50} / ${d.replayed.p99} / ${d.replayed.max}`,
        ],
      ],
    ),
    '',
    `Exactly ${d.events} effects, every duplicate answered the original response: **${d.pass ? 'pass' : 'FAIL'}**.`,
    '',
  ];
}

function consolePagesSection(result: ConsolePagesResult): string[] {
  const { runs } = result;
  const operations = [...new Set(runs.flatMap((run) => Object.keys(run.dynamodbPerPage)))].sort();
  const failing = runs.filter((run) => !run.pass);
  return [
    '## Console pages',
    '',
    measuredOn(result),
    ...auditSeedLines(result.seeds),
    'After the audit parts, the rollups the schedules would have stored (each of the last 30 days, and today so far, by their own code',
    'against the local DynamoDB endpoint), then the weekly report (stored, not mailed) and the simulations it starts of the rule',
    'candidates, until done, then the audit checkpoint and the verification the audit-verify schedule stores each night (both through',
    '`POST /dev/schedules/{name}/run`). Then the demo auditor and the demo admin each sign in at the local OpenID provider and open',
    'their pages. The auditor: the dashboard (three periods), the audit page with no search, a search as its form sends it (every field,',
    `the blank ones empty) that fills a page of ${CONSOLE_PAGES.searchPage}, the same search's last page (as its "Next page" links lead), and the record of`,
    'the first ticket the search found that went through an approval. The admin: the overview, the policies and the failed webhook',
    'deliveries (the default list). Before the figures count, each page is checked: the dashboard names no day without a stored rollup,',
    "the audit pages show the latest verification, the search a full page and then its last, the record its decision's inputs.",
    `${CONSOLE_PAGES.warmup} requests of each page to warm up, then ${CONSOLE_PAGES.requests} one after the other, each from the request sent to the last byte of the page`,
    "over loopback: the server's time, the store (dynalite) running in the server's process. The dashboard reads stored rollups only,",
    "today's as the analytics-today schedule left it. DynamoDB requests per page from `GET /dev/metrics` (schedules running meanwhile",
    "count too). The HTML alone: ECharts (700 KB, cached a year) and the scripts come apart. The server's CPU time over the measured",
    'requests (every thread, from /proc, in 10 ms ticks) per page is its work, and what the verdict reads: these machines are shared,',
    "and the times above stretch with the machine's load average (1 minute, before and after each page) as the CPU time does not.",
    '',
    ...markdownTable(
      [
        { title: 'tickets', align: 'right' },
        { title: 'as', align: 'left' },
        { title: 'page', align: 'left' },
        { title: 'p50, ms', align: 'right' },
        { title: 'p95, ms', align: 'right' },
        { title: 'max, ms', align: 'right' },
        { title: 'server CPU a page, ms', align: 'right' },
        { title: 'HTML, bytes', align: 'right' },
        ...operations.map((operation): Column => ({ title: operation, align: 'right' })),
        { title: 'load', align: 'right' },
        { title: 'verdict', align: 'left' },
      ],
      runs.map((run) => [
        run.tickets,
        run.viewer ?? '–',
        `${run.about}: \`${pageShown(run.page)}\``,
        run.ms.p50,
        run.ms.p95,
        run.ms.max,
        run.cpuMsPerPage,
        run.bytes,
        ...operations.map((operation) => run.dynamodbPerPage[operation] ?? 0),
        `${run.load[0]} / ${run.load[1]}`,
        run.pass
          ? `pass (CPU < ${CONSOLE_PAGES.targetMs} ms, < ${CONSOLE_PAGES.targetBytes / 1024} KB)`
          : `FAIL (target CPU < ${CONSOLE_PAGES.targetMs} ms, < ${CONSOLE_PAGES.targetBytes / 1024} KB)`,
      ]),
    ),
    '',
    failing.length === 0
      ? `Issue 18's target, no page over ${CONSOLE_PAGES.targetMs} ms of server time nor ${CONSOLE_PAGES.targetBytes / 1024} KB before its charts, for every page measured: **pass**.`
      : `Issue 18's target, no page over ${CONSOLE_PAGES.targetMs} ms of server time nor ${CONSOLE_PAGES.targetBytes / 1024} KB before its charts: **FAIL** for ${failing.map((run) => `\`${pageShown(run.page)}\` at ${run.tickets} tickets`).join(', ')}.`,
    '',
  ];
}

/** A console page's path as the tables show it: a cursor (a long signed token) as an ellipsis. */
function pageShown(page: string): string {
  return page.replace(/([?&]cursor=)[^&]+/, '$1…');
}

/** Dollars to the tenth of a micro-dollar, without trailing zeros. */
function usd(value: number): string {
  return value.toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
}

interface Column {
  title: string;
  align: 'left' | 'right';
}

/** A table padded to its widest cells, as biome formats markdown, so `npm run lint` accepts the file as written. */
function markdownTable(columns: Column[], rows: (string | number)[][]): string[] {
  const text = rows.map((row) => row.map(String));
  const sized = columns.map((column, index) => ({
    ...column,
    width: Math.max(3, column.title.length, ...text.map((row) => (row[index] ?? '').length)),
  }));
  const line = (cells: string[]) =>
    `| ${sized
      .map(({ align, width }, index) => {
        const cell = cells[index] ?? '';
        return align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(' | ')} |`;
  const rule = `| ${sized.map(({ align, width }) => (align === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width))).join(' | ')} |`;
  return [line(columns.map((column) => column.title)), rule, ...text.map(line)];
}
