import { listGrants } from '../../app/grants';
import { httpRoute, json } from './route';
import { listGrantsQuery } from './schemas';

export const handler = httpRoute({ query: listGrantsQuery }, async ({ caller, query }, deps) =>
  json(200, await listGrants(deps, caller, query)),
);
