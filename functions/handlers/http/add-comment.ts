import { commentOnRequest } from '../../app/comments';
import { parseOrThrow } from '../../domain/validation';
import { httpRoute, json } from './route';
import { commentBodySchema, idempotencyKeyOf } from './schemas';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body, params, headers }, deps) => {
  const idempotencyKey = idempotencyKeyOf(headers) ?? null;
  const { text } = parseOrThrow(commentBodySchema, body, 'comment');
  const { ticket, replayed } = await commentOnRequest(deps, {
    caller,
    ticketId: params.id ?? '',
    text,
    idempotencyKey,
  });
  return json(201, ticket, replayed ? { 'idempotent-replayed': 'true' } : {});
});
