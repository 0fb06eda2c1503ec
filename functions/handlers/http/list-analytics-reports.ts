import { listReports, reportListQuery } from '../../app/analytics';
import { httpRoute, json } from './route';

export const handler = httpRoute({ query: reportListQuery }, async ({ caller, query }, deps) =>
  json(200, await listReports(deps, caller, query)),
);
