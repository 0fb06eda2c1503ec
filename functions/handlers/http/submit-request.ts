import { submitRequest } from '../../app/submit-request';
import { ValidationError } from '../../domain/errors';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';
import { idempotencyKeyHeader } from './schemas';

export const handler = httpRoute(
  { jsonBody: true, deps: getPolicyDeps },
  async ({ caller, body, headers }, deps) => {
    const key = headers['idempotency-key'];
    if (key !== undefined && !idempotencyKeyHeader.safeParse(key).success) {
      throw new ValidationError('The Idempotency-Key header is invalid', {
        'headers.idempotency-key': 'must be 1 to 255 visible ASCII characters',
      });
    }
    const { ticket, replayed } = await submitRequest(deps, { caller, body, idempotencyKey: key });
    return json(201, ticket, {
      location: `/requests/${ticket.id}`,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  },
);
