import { createDelegation } from '../../app/delegations';
import { httpRoute, json } from './route';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body }, deps) => {
  const { delegation, replayed } = await createDelegation(deps, caller, body);
  return json(201, delegation, {
    location: `/delegations/${delegation.id}`,
    ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
});
