import { startSimulation } from '../../app/simulations';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';

/** A candidate set may be as large as a set PUT /policies takes. */
const MAX_POLICY_SET_BYTES = 1024 * 1024;

export const handler = httpRoute(
  { jsonBody: true, maxBodyBytes: MAX_POLICY_SET_BYTES, deps: getPolicyDeps },
  async ({ caller, body }, deps) => {
    const job = await startSimulation(deps, caller, body);
    return json(202, job, { location: `/policies/simulations/${job.id}` });
  },
);
