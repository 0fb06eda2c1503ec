import { listInbox } from '../../app/inbox';
import { httpRoute, json } from './route';
import { listInboxQuery } from './schemas';

export const handler = httpRoute({ query: listInboxQuery }, async ({ caller, query }, deps) =>
  json(200, await listInbox(deps, caller, 'fulfilment', query)),
);
