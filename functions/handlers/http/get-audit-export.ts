import { readExport } from '../../app/audit-exports';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async ({ caller, params }, deps) =>
  json(200, await readExport(deps, caller, params.id ?? '')),
);
