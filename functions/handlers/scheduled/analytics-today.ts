import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { rollupDay } from '../../app/analytics';
import { getDeps, logger } from '../deps';

/** Today's rollup so far, stored for the dashboard, which reads today from it (GET /analytics makes its own). */
export const handler = middy<
  unknown,
  { day: string; submitted: number; resolved: number },
  Error,
  Context
>().handler(async () => {
  const deps = getDeps();
  const day = deps.clock.now().toISOString().slice(0, 10);
  const rollup = await rollupDay(deps, day);
  const summary = { day, submitted: rollup.submitted.total, resolved: rollup.resolved.total };
  logger.debug("Today's analytics rollup stored", summary);
  return summary;
});
