import { listRequests } from '../../app/read-requests';
import { httpRoute, json } from './route';
import { listRequestsQuery } from './schemas';

export const handler = httpRoute({ query: listRequestsQuery }, async ({ caller, query }, deps) =>
  json(200, await listRequests(deps, caller, query)),
);
