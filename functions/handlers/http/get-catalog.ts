import { getCatalog } from '../../app/read-directory';
import { httpRoute, json } from './route';

export const handler = httpRoute({}, async (_request, deps) => json(200, await getCatalog(deps.directory)));
