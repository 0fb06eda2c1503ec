import { revokeGrant } from '../../app/revocations';
import { parseOrThrow } from '../../domain/validation';
import { httpRoute, json } from './route';
import { revokeGrantBodySchema } from './schemas';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body, params }, deps) => {
  const { reason } = parseOrThrow(revokeGrantBodySchema, body, 'revocation');
  return json(202, await revokeGrant(deps, caller, params.id ?? '', reason));
});
