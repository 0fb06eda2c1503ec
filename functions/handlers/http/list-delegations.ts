import { listDelegations } from '../../app/delegations';
import { httpRoute, json } from './route';
import { listDelegationsQuery } from './schemas';

export const handler = httpRoute({ query: listDelegationsQuery }, async ({ caller, query }, deps) =>
  json(200, await listDelegations(deps, caller, query)),
);
