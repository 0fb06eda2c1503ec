import { readSimulation } from '../../app/simulations';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async ({ caller, params }, deps) =>
  json(200, await readSimulation(deps, caller, params.id ?? '')),
);
