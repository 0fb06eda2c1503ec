import { redriveDelivery } from '../../app/outbound';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async ({ caller, params }, deps) =>
  json(202, await redriveDelivery(deps, caller, params.id ?? '')),
);
