import { startExport } from '../../app/audit-exports';
import { httpRoute, json } from './route';

export const handler = httpRoute({ jsonBody: true }, async ({ caller, body }, deps) => {
  const job = await startExport(deps, caller, body);
  return json(202, job, { location: `/audit/exports/${job.id}` });
});
