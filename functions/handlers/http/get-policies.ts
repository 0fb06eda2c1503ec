import { readLivePolicies } from '../../app/policies';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';

export const handler = httpRoute({ deps: getPolicyDeps }, async ({ caller }, deps) => {
  const live = await readLivePolicies(deps, caller);
  return json(200, live, { etag: `"${live.version}"` });
});
