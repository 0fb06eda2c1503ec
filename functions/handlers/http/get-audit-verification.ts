import { readLatestVerification } from '../../app/audit-verify';
import { getAuditDeps } from '../audit-deps';
import { httpRoute, json } from './route';

export const handler = httpRoute({ deps: getAuditDeps }, async ({ caller }, deps) =>
  json(200, await readLatestVerification(deps, caller)),
);
