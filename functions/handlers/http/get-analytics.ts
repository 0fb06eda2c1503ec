import { analyticsQuery, readAnalytics } from '../../app/analytics';
import { httpRoute, json } from './route';

export const handler = httpRoute({ query: analyticsQuery }, async ({ caller, query }, deps) =>
  json(200, await readAnalytics(deps, caller, query)),
);
