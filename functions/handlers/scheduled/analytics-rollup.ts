import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { rollupDay } from '../../app/analytics';
import { getDeps, logger } from '../deps';

const DAY_MS = 86_400_000;

/** A scheduled rollup of the day `daysAgo` before now, stored, and summed up in the log. */
export const rollupHandler = (daysAgo: number, log: (summary: Record<string, unknown>) => void) =>
  middy<unknown, { day: string; submitted: number; resolved: number }, Error, Context>().handler(async () => {
    const deps = getDeps();
    const day = new Date(deps.clock.now().getTime() - daysAgo * DAY_MS).toISOString().slice(0, 10);
    const rollup = await rollupDay(deps, day);
    const summary = { day, submitted: rollup.submitted.total, resolved: rollup.resolved.total };
    log(summary);
    return summary;
  });

/** Yesterday's rollup, final now that the day is over; today's is stored by analytics-today. */
export const handler = rollupHandler(1, (summary) => logger.info('Analytics rollup stored', summary));
