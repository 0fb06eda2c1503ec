import { cancelRequest } from '../../app/cancel';
import { parseOrThrow } from '../../domain/validation';
import { httpRoute, json } from './route';
import { cancelBodySchema } from './schemas';

export const handler = httpRoute({ jsonBody: 'optional' }, async ({ caller, body, params }, deps) => {
  const { reason } = parseOrThrow(cancelBodySchema, body, 'cancellation');
  const ticket = await cancelRequest(deps, {
    ticketId: params.id ?? '',
    actor: caller,
    reason,
    cause: 'requester',
  });
  return json(200, ticket);
});
