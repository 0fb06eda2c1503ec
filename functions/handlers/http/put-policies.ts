import { POLICY_SET_MAX_BYTES, replacePolicies } from '../../app/policies';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';

export const handler = httpRoute(
  { jsonBody: true, maxBodyBytes: POLICY_SET_MAX_BYTES, deps: getPolicyDeps },
  async ({ caller, body, headers }, deps) => {
    const live = await replacePolicies(deps, caller, { body, ifMatch: headers['if-match'] });
    return json(200, live, { etag: `"${live.version}"` });
  },
);
