import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { catchUpRollups, rollupDay } from '../../app/analytics';
import { getDeps, logger } from '../deps';

const DAY_MS = 86_400_000;

interface RollupSummary {
  day: string;
  submitted: number;
  resolved: number;
  /** Earlier days that had no stored rollup, rolled up by this run (the nightly run's catch-up). */
  caughtUp?: string[];
}

/**
 * A scheduled rollup of the day `daysAgo` before now, stored, and summed up in the log; with
 * `catchUp`, then the days before it that have no stored rollup (app/analytics.ts catchUpRollups).
 */
export const rollupHandler = (
  daysAgo: number,
  options: { catchUp: boolean; log: (summary: RollupSummary) => void },
) =>
  middy<unknown, RollupSummary, Error, Context>().handler(async () => {
    const deps = getDeps();
    const day = new Date(deps.clock.now().getTime() - daysAgo * DAY_MS).toISOString().slice(0, 10);
    const rollup = await rollupDay(deps, day);
    const summary: RollupSummary = {
      day,
      submitted: rollup.submitted.total,
      resolved: rollup.resolved.total,
    };
    if (options.catchUp) summary.caughtUp = await catchUpRollups(deps, day);
    options.log(summary);
    return summary;
  });

/**
 * Yesterday's rollup, final now that the day is over, and the days before it that no run stored;
 * today's is stored by analytics-today.
 */
export const handler = rollupHandler(1, {
  catchUp: true,
  log: (summary) => logger.info('Analytics rollup stored', { ...summary }),
});
