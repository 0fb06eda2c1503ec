import { replacePolicies } from '../../app/policies';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';

/** The spec's limit for a policy set; every other route keeps the contract's 64 KiB. */
const MAX_POLICY_SET_BYTES = 1024 * 1024;

export const handler = httpRoute(
  { jsonBody: true, maxBodyBytes: MAX_POLICY_SET_BYTES, deps: getPolicyDeps },
  async ({ caller, body, headers }, deps) => {
    const live = await replacePolicies(deps, caller, { body, ifMatch: headers['if-match'] });
    return json(200, live, { etag: `"${live.version}"` });
  },
);
