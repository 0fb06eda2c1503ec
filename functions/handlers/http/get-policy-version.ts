import { readPolicyVersion } from '../../app/policies';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';

export const handler = httpRoute({ deps: getPolicyDeps }, async ({ caller, params }, deps) => {
  const set = await readPolicyVersion(deps, caller, params.version ?? '');
  return json(200, set, { etag: `"${set.version}"` });
});
