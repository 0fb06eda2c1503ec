import { requestExtension } from '../../app/extensions';
import { extensionBodySchema } from '../../domain/extension';
import { parseOrThrow } from '../../domain/validation';
import { getPolicyDeps } from '../policy-deps';
import { httpRoute, json } from './route';
import { idempotencyKeyOf } from './schemas';

export const handler = httpRoute(
  { jsonBody: true, deps: getPolicyDeps },
  async ({ caller, body, headers, params }, deps) => {
    const extension = parseOrThrow(extensionBodySchema, body, 'extension');
    const { ticket, replayed } = await requestExtension(
      deps,
      caller,
      params.id ?? '',
      extension,
      idempotencyKeyOf(headers),
    );
    return json(201, ticket, {
      location: `/requests/${ticket.id}`,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  },
);
