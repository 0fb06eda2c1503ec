import { DynamoTrailReader, DynamoVerificationResults } from '../adapters/dynamodb/audit-trail';
import { type Deps, getDeps } from './deps';

/** What the audit verification's handlers need besides the common deps: its readers and its results. */
function buildAuditDeps(deps: Deps) {
  return {
    trail: new DynamoTrailReader(deps.db, deps.config.tableName),
    verifications: new DynamoVerificationResults(deps.db, deps.config.tableName),
  };
}

export type AuditDeps = Deps & ReturnType<typeof buildAuditDeps>;

let auditDeps: AuditDeps | undefined;

export function getAuditDeps(): AuditDeps {
  auditDeps ??= { ...getDeps(), ...buildAuditDeps(getDeps()) };
  return auditDeps;
}
