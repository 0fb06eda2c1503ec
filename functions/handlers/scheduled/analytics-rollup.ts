import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { rollupDay } from '../../app/analytics';
import { getDeps, logger } from '../deps';

const DAY_MS = 86_400_000;

/** Yesterday's rollup, final now that the day is over; today's is made whenever a report asks. */
export const handler = middy<
  unknown,
  { day: string; submitted: number; resolved: number },
  Error,
  Context
>().handler(async () => {
  const deps = getDeps();
  const day = new Date(deps.clock.now().getTime() - DAY_MS).toISOString().slice(0, 10);
  const rollup = await rollupDay(deps, day);
  const summary = { day, submitted: rollup.submitted.total, resolved: rollup.resolved.total };
  logger.info('Analytics rollup stored', summary);
  return summary;
});
