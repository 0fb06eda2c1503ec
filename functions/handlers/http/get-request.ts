import { getRequest } from '../../app/read-requests';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async ({ caller, params }, deps) =>
  json(200, await getRequest(deps, caller, params.id ?? '')),
);
