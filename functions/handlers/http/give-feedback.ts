import { giveFeedback } from '../../app/feedback';
import { feedbackBodySchema } from '../../domain/feedback';
import { parseOrThrow } from '../../domain/validation';
import { httpRoute, json } from './route';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body, params }, deps) => {
  const feedback = parseOrThrow(feedbackBodySchema, body, 'feedback');
  const ticket = await giveFeedback(deps, { caller, ticketId: params.id ?? '', feedback, via: 'api' });
  return json(201, ticket);
});
