import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { daysOf, type RollupDeps, rollupDay } from '../functions/app/analytics';
import { localRollupDeps } from '../functions/local/rollups';
import { devToken, expectOk, JsonClient } from './http-client';
import { localDynamoClient, type Ready } from './local-system';
import { round } from './measure';
import type { Progress } from './progress';
import { countReads } from './read-counts';

/** Issue 16: the rollup job's store path through the local DynamoDB endpoint, over the audit bench's seeded histories. */
export const ANALYTICS_STORE = {
  /** The full days before today that are rolled up, one at a time, as the nightly schedule rolls up each. */
  days: 7,
};
/** The demo auditor: GET /analytics is for auditor, security and admin. */
const READING_AS = 'aude.audit@example.com';
const DAY_MS = 86_400_000;

export interface AnalyticsStoreRun {
  /** Tickets in the store. */
  tickets: number;
  days: number;
  /** Tickets submitted on each day rolled up, on average. */
  submittedPerDay: number;
  /** The day's tickets a rollup counts, on average: submitted, resolved and rated that day (one may be all three). */
  countedPerDay: number;
  rollupMs: { mean: number; max: number };
  /** Per day rolled up, on average: requests by operation, and items read by operation (a Query's ScannedCount). */
  requestsPerDay: Record<string, number>;
  itemsPerDay: Record<string, number>;
  /** Items read per ticket the day's rollup counts, all operations together: flat when it reads its day only. */
  itemsPerCounted: number;
  /** `GET /analytics` over the days rolled up: the report from their stored rollups, through the API. */
  reportMs: number;
  /** No Scan: the rollups read their days through the indexes only. */
  pass: boolean;
}

/** What the rollup job reads and writes, through the store's own adapters on the local DynamoDB endpoint. */
export const rollupDeps = (dynamodb: DynamoDBClient): RollupDeps =>
  localRollupDeps(createDocumentClient(dynamodb));

/**
 * Rolls up each of the last full days with the scheduled job's own code (app/analytics.ts `rollupDay`) against the
 * local system's DynamoDB endpoint, counting what it reads, then asks the API for the report of those days.
 */
export async function measureAnalyticsStore(
  system: Ready,
  tickets: number,
  progress: Progress,
): Promise<AnalyticsStoreRun> {
  const dynamodb = localDynamoClient(system.dynamodbUrl, 4);
  const counts = countReads(dynamodb);
  const api = new JsonClient(system.url, 1);
  try {
    const deps = rollupDeps(dynamodb);
    const dayBefore = (n: number) => new Date(Date.now() - n * DAY_MS).toISOString().slice(0, 10);
    const days = daysOf(dayBefore(ANALYTICS_STORE.days), dayBefore(1));
    const durations: number[] = [];
    let submitted = 0;
    let counted = 0;
    for (const day of days) {
      const start = performance.now();
      const rollup = await rollupDay(deps, day);
      durations.push(performance.now() - start);
      submitted += rollup.submitted.total;
      counted += rollup.submitted.total + rollup.resolved.total + rollup.feedback.responses;
      progress.update(`analytics-store, ${tickets} tickets`, durations.length, days.length, 'days rolled up');
    }
    const perDay = (counts: Record<string, number>) =>
      Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, round(count / days.length)]));
    const itemsRead = Object.values(counts.items).reduce((sum, count) => sum + count, 0);

    const auth = { authorization: `Bearer ${await devToken(api, READING_AS)}` };
    const reportStart = performance.now();
    await expectOk(
      api.get(`/analytics?from=${days[0]}&to=${days.at(-1)}`, auth),
      'GET /analytics over the days rolled up',
    );
    const reportMs = performance.now() - reportStart;
    progress.finish(`analytics-store: ${tickets} tickets, ${days.length} days rolled up`);
    return {
      tickets,
      days: days.length,
      submittedPerDay: round(submitted / days.length),
      countedPerDay: round(counted / days.length),
      rollupMs: {
        mean: round(durations.reduce((sum, ms) => sum + ms, 0) / durations.length),
        max: round(Math.max(...durations)),
      },
      requestsPerDay: perDay(counts.requests),
      itemsPerDay: perDay(counts.items),
      itemsPerCounted: round(itemsRead / Math.max(counted, 1)),
      reportMs: round(reportMs),
      pass: !counts.requests.Scan,
    };
  } finally {
    dynamodb.destroy();
    api.close();
  }
}
