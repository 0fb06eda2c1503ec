import { reassignApproval } from '../../app/reassign';
import { parseOrThrow } from '../../domain/validation';
import { httpRoute, json } from './route';
import { reassignmentBodySchema } from './schemas';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body, params }, deps) => {
  const { to, reason } = parseOrThrow(reassignmentBodySchema, body, 'reassignment');
  const ticket = await reassignApproval(deps, { caller, taskId: params.id ?? '', to, reason });
  return json(200, ticket);
});
