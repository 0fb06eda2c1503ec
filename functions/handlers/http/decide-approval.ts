import { decideApproval } from '../../app/decisions';
import { whatWasRecorded } from '../../domain/recorded';
import { parseOrThrow } from '../../domain/validation';
import { httpRoute, json } from './route';
import { decisionBodySchema } from './schemas';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body, params }, deps) => {
  const { decision, comment } = parseOrThrow(decisionBodySchema, body, 'decision');
  const ticket = await decideApproval(deps, {
    caller,
    taskId: params.id ?? '',
    decision,
    comment,
    via: 'inbox',
  });
  return json(200, whatWasRecorded(ticket));
});
