import { getDirectoryEntry } from '../../app/read-directory';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async ({ params }, deps) =>
  json(200, await getDirectoryEntry(deps.directory, params.id ?? '')),
);
