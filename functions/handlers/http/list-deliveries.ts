import { listDeliveries } from '../../app/outbound';
import { httpRoute, json } from './route';
import { listDeliveriesQuery } from './schemas';

export const handler = httpRoute({ query: listDeliveriesQuery }, async ({ caller, query }, deps) =>
  json(200, await listDeliveries(deps, caller, query)),
);
