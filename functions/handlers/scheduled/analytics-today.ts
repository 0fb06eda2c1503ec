import { logger } from '../deps';
import { rollupHandler } from './analytics-rollup';

/** Today's rollup so far, stored for the dashboard, which reads today from it (GET /analytics makes its own). */
export const handler = rollupHandler(0, {
  catchUp: false,
  log: (summary) => logger.debug("Today's analytics rollup stored", { ...summary }),
});
