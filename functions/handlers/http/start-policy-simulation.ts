import { POLICY_SET_MAX_BYTES } from '../../app/policies';
import { startSimulation } from '../../app/simulations';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';

export const handler = httpRoute(
  { jsonBody: true, maxBodyBytes: POLICY_SET_MAX_BYTES, deps: getPolicyDeps },
  async ({ caller, body }, deps) => {
    const job = await startSimulation(deps, caller, body);
    return json(202, job, { location: `/policies/simulations/${job.id}` });
  },
);
