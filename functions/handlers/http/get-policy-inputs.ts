import { readPolicySnapshot } from '../../app/policies';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async ({ caller, params }, deps) =>
  json(200, await readPolicySnapshot(deps, caller, params.hash ?? '')),
);
