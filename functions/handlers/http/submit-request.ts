import { submitRequest } from '../../app/submit-request';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';
import { idempotencyKeyOf } from './schemas';

export const handler = httpRoute(
  { jsonBody: true, deps: getPolicyDeps },
  async ({ caller, body, headers }, deps) => {
    const idempotencyKey = idempotencyKeyOf(headers);
    const { ticket, replayed } = await submitRequest(deps, { caller, body, idempotencyKey });
    return json(201, ticket, {
      location: `/requests/${ticket.id}`,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  },
);
