import { deleteDelegation } from '../../app/delegations';
import { httpRoute, noContent } from './route';

export const handler = httpRoute({}, async ({ caller, params }, deps) => {
  await deleteDelegation(deps, caller, params.id ?? '');
  return noContent();
});
