import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { type DispatchDeps, type DispatchResult, dispatch, runDispatcher } from '../../app/outbound';
import { getDeps, logger } from '../deps';

/**
 * The outbound dispatcher. Its schedule sweeps for events no delivery was derived from and tries
 * every delivery that is due; a write with new events (and a redrive) invokes it at once, with
 * `{dispatch: {ticket, events}}` or `{dispatch: {deliveries}}`, for the first attempt.
 */
const requested = z.object({
  dispatch: z.union([
    z.object({ ticket: z.string().min(1), events: z.array(z.string().min(1)) }),
    z.object({ deliveries: z.array(z.string().min(1)) }),
  ]),
});

const dispatchDeps = (): DispatchDeps => {
  const deps = getDeps();
  return {
    clock: deps.clock,
    tickets: deps.tickets,
    deliveries: deps.deliveries,
    sender: deps.deliverySender,
    random: Math.random,
    log: deps.log,
    settings: { subscribers: deps.config.subscribers, timeScale: deps.config.timeScale },
  };
};

export const handler = middy<unknown, DispatchResult, Error, Context>().handler(async (event) => {
  const asked = requested.safeParse(event);
  const result = asked.success
    ? await dispatch(dispatchDeps(), asked.data.dispatch)
    : await runDispatcher(dispatchDeps());
  if (result.attempted > 0 || result.derived > 0) logger.info('Webhook deliveries attempted', { ...result });
  return result;
});
