import { assignRequest } from '../../app/assignments';
import { parseOrThrow } from '../../domain/validation';
import { httpRoute, json } from './route';
import { assignBodySchema } from './schemas';

export const handler = httpRoute({ jsonBody: 'optional' }, async ({ caller, body, params }, deps) => {
  const { to } = parseOrThrow(assignBodySchema, body, 'assignment');
  const ticket = await assignRequest(deps, { caller, ticketId: params.id ?? '', to: to ?? null });
  return json(200, ticket);
});
