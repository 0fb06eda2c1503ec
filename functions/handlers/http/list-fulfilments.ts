import { listInbox } from '../../app/inbox';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async ({ caller }, deps) =>
  json(200, await listInbox(deps, caller, 'fulfilment')),
);
