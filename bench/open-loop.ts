import { Agent } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalMetrics } from '../functions/local/dev-routes';
import { LOCAL_TABLE_NAME, localCredentials } from '../functions/local/dynamodb';
import { TollgateClient } from '../test/support/workflow-client';
import { JsonClient } from './http-client';
import { storeWrites } from './lifecycle';
import { percentile, round } from './measure';
import { type EmailedAction, watchOutbox } from './outbox-watcher';
import type { Progress } from './progress';
import { putItemOperation } from './scenarios';

/** Alex and Bo file; Erin, their manager, approves; Ian (or Bo, for others' tickets) fulfils. */
const REQUESTERS = ['alex.dev@example.com', 'bo.dev@example.com'];
const REQUEST = {
  type: 'access',
  system: 'github',
  entitlement: 'github-write',
  justification: 'Push the release branch for 4.2',
};
/** People reading their email act on it this many at a time. */
const PEOPLE_ACTING_AT_ONCE = 8;
/** How often the scripted people look for new email. */
const OUTBOX_POLL_MS = 20;
const SAMPLE_EVERY_MS = 1_000;
/** How long the last tickets may take to close once arrivals stop. */
const DRAIN_TIMEOUT_MS = 60_000;
/** A rate holds when the backlog grows by less than this share of the arrivals. */
const HELD_GROWTH_SHARE = 0.05;

export interface Latencies {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface OpenLoopResult {
  /** Access requests filed per second, on a fixed schedule whatever the answers' speed (open loop). */
  rate: number;
  seconds: number;
  /** `POST /requests`, from sending to its 201, in ms. */
  intake: Latencies;
  /** A bare PutItem on the same store, sent half-way between two intakes, in ms. */
  putItem: Latencies;
  /** From a ticket's 201 to the approver's email landing in the outbox, in ms. */
  firstEmail: Latencies;
  /** Executions running, sampled each second while tickets arrived. */
  backlog: { atS: number; running: number }[];
  /** The backlog's growth over the second half of the arrivals (least squares), executions per second. */
  backlogGrowthPerSecond: number;
  /** Held: every intake answered 201, the backlog did not grow, and every ticket closed after arrivals stopped. */
  held: boolean;
  /** Store writes per second while tickets arrived: puts, updates, deletes and each item of a batch write. */
  writesPerSecond: number;
}

/**
 * Files access requests at `rate` per second for `seconds`, each on its schedule however long the
 * ones before took, while the approver and fulfillers act on their emails as they arrive (opening
 * each emailed link and submitting its form) and a bare PutItem goes to the same store between
 * every two intakes, so intake and the store are measured under the same load, interleaved.
 */
export async function runOpenLoop(
  system: { url: string; dynamodbUrl: string; dataDir: string },
  load: { rate: number; seconds: number },
  progress: Progress,
): Promise<OpenLoopResult> {
  const label = `open loop, ${load.rate} tickets/s for ${load.seconds} s`;
  const arrivals = Math.round(load.rate * load.seconds);
  // Enough sockets that no arrival waits for one: an open loop sends whether or not answers came.
  const api = new JsonClient(system.url, 256);
  const dynamodb = new DynamoDBClient({
    endpoint: system.dynamodbUrl,
    region: 'us-east-1',
    credentials: localCredentials,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }) },
  });
  const people = new TollgateClient(system.url);
  const tokens = await Promise.all(REQUESTERS.map((identity) => people.token(identity)));
  const putItem = await putItemOperation({ api, dynamodb, tableName: LOCAL_TABLE_NAME, tokens });

  const intake: number[] = [];
  const stored: number[] = [];
  const answeredAt = new Map<string, number>();
  const emailedAt = new Map<string, number>();
  const failures: string[] = [];
  const actions: EmailedAction[] = [];
  const outbox = watchOutbox(
    join(system.dataDir, 'outbox'),
    (action) => {
      if (action.kind === 'approval' && !emailedAt.has(action.ticketId))
        emailedAt.set(action.ticketId, action.sentAt);
      actions.push(action);
    },
    OUTBOX_POLL_MS,
  );
  let acting = true;
  const actors = Array.from({ length: PEOPLE_ACTING_AT_ONCE }, async () => {
    while (acting) {
      const action = actions.shift();
      if (!action) {
        await sleep(OUTBOX_POLL_MS);
        continue;
      }
      const fields: Record<string, string> =
        action.kind === 'approval'
          ? { decision: 'approve', comment: 'bench' }
          : { result: 'done', note: 'bench' };
      const { status } = await people.submitLink(people.onThisServer(action.link), fields);
      // 409: the other fulfiller of the ticket acted first.
      if (status !== 200 && status !== 409)
        failures.push(`${action.kind} link of ${action.ticketId}: ${status}`);
    }
  });

  const metrics = async () => (await api.get('/dev/metrics')).body as LocalMetrics;
  // What an earlier run left running would be counted as this one's backlog.
  await drain(metrics, 0);
  const before = await metrics();
  const backlog: OpenLoopResult['backlog'] = [];
  const begun = performance.now();
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { stepfunctions } = await metrics();
      backlog.push({
        atS: round((performance.now() - begun) / 1000),
        running: stepfunctions.executionsRunning,
      });
      progress.update(
        label,
        backlog.length,
        load.seconds,
        `${stepfunctions.executionsRunning} executions running`,
      );
      await sleep(SAMPLE_EVERY_MS);
    }
  })();

  const period = 1000 / load.rate;
  const fileOne = async (n: number) => {
    await sleep(begun + n * period - performance.now());
    const sent = performance.now();
    const token = tokens[n % tokens.length];
    const response = await api.post('/requests', REQUEST, { authorization: `Bearer ${token}` });
    intake.push(performance.now() - sent);
    if (response.status === 201) answeredAt.set((response.body as { id: string }).id, Date.now());
    else failures.push(`POST /requests answered ${response.status}`);
  };
  const storeOne = async (n: number) => {
    await sleep(begun + (n + 0.5) * period - performance.now());
    const sent = performance.now();
    await putItem(0, n);
    stored.push(performance.now() - sent);
  };
  await Promise.all(Array.from({ length: arrivals }, (_, n) => Promise.all([fileOne(n), storeOne(n)])));
  const during = await metrics();
  const arrivalSeconds = (performance.now() - begun) / 1000;
  sampling = false;
  await sampler;

  const drained = await drain(metrics, before.stepfunctions.executionsRunning);
  acting = false;
  await Promise.all([outbox.stop(), ...actors]);
  api.close();
  dynamodb.destroy();

  const firstEmail = [...answeredAt].flatMap(([id, answered]) => {
    const emailed = emailedAt.get(id);
    return emailed === undefined ? [] : [emailed - answered];
  });
  if (firstEmail.length < answeredAt.size)
    failures.push(`${answeredAt.size - firstEmail.length} tickets got no email`);
  const growth = growthPerSecond(backlog.slice(Math.floor(backlog.length / 2)));
  progress.finish(`${label}: ${failures.length === 0 ? 'no failures' : failures.slice(0, 3).join('; ')}`);
  return {
    rate: load.rate,
    seconds: load.seconds,
    intake: latencies(intake),
    putItem: latencies(stored),
    firstEmail: latencies(firstEmail),
    backlog,
    backlogGrowthPerSecond: round(growth),
    held: failures.length === 0 && drained && growth <= HELD_GROWTH_SHARE * load.rate,
    writesPerSecond: round((storeWrites(during) - storeWrites(before)) / arrivalSeconds),
  };
}

/** Waits until as few executions run as did before the arrivals; false if they did not within the timeout. */
async function drain(metrics: () => Promise<LocalMetrics>, runningBefore: number): Promise<boolean> {
  const giveUpAt = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < giveUpAt) {
    if ((await metrics()).stepfunctions.executionsRunning <= runningBefore) return true;
    await sleep(SAMPLE_EVERY_MS / 4);
  }
  return false;
}

/** The least-squares slope of the running executions over time. */
function growthPerSecond(samples: { atS: number; running: number }[]): number {
  if (samples.length < 2) return 0;
  const meanT = samples.reduce((sum, s) => sum + s.atS, 0) / samples.length;
  const meanR = samples.reduce((sum, s) => sum + s.running, 0) / samples.length;
  const covariance = samples.reduce((sum, s) => sum + (s.atS - meanT) * (s.running - meanR), 0);
  const variance = samples.reduce((sum, s) => sum + (s.atS - meanT) ** 2, 0);
  return variance === 0 ? 0 : covariance / variance;
}

function latencies(values: number[]): Latencies {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? 0),
  };
}

/** Rates tried while looking for the sustained one: each 1.5 times the last, from 2 tickets a second. */
export const PROBE = { firstRate: 2, factor: 1.5, seconds: 20, maxProbes: 8 };

export interface SustainedResult {
  probes: Pick<OpenLoopResult, 'rate' | 'held' | 'backlogGrowthPerSecond' | 'writesPerSecond'>[];
  /** The highest rate that held in a probe, run again for 60 s. */
  sustained: OpenLoopResult;
}

/**
 * The highest arrival rate the system holds: short probes at rising rates until one does not hold,
 * then 60 s at the highest that did. Each probe starts once the last one's tickets have closed.
 */
export async function findSustainedRate(
  system: { url: string; dynamodbUrl: string; dataDir: string },
  progress: Progress,
): Promise<SustainedResult> {
  const probes: SustainedResult['probes'] = [];
  let rate = PROBE.firstRate;
  let highestHeld: number | undefined;
  for (let n = 0; n < PROBE.maxProbes; n++) {
    const probe = await runOpenLoop(system, { rate, seconds: PROBE.seconds }, progress);
    const { held, backlogGrowthPerSecond, writesPerSecond } = probe;
    probes.push({ rate, held, backlogGrowthPerSecond, writesPerSecond });
    if (!held) break;
    highestHeld = rate;
    rate = round(rate * PROBE.factor);
  }
  const sustainedRate = highestHeld ?? round(PROBE.firstRate / PROBE.factor);
  const sustained = await runOpenLoop(system, { rate: sustainedRate, seconds: 60 }, progress);
  return { probes, sustained };
}
