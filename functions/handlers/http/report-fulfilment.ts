import { reportFulfilment } from '../../app/decisions';
import { taskId } from '../../app/workflow-steps';
import { whatWasRecorded } from '../../domain/recorded';
import { parseOrThrow } from '../../domain/validation';
import { httpRoute, json } from './route';
import { fulfilmentBodySchema } from './schemas';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body, params }, deps) => {
  const { result, note } = parseOrThrow(fulfilmentBodySchema, body, 'fulfilment report');
  const ticket = await reportFulfilment(deps, {
    caller,
    taskId: taskId(params.id ?? '', 'fulfilment', null),
    result,
    note,
    via: 'inbox',
  });
  return json(200, whatWasRecorded(ticket));
});
