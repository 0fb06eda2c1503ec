import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { table as schema } from '../functions/adapters/dynamodb/table';

/**
 * What each handler module does with the table, and so exactly what its function may do: the
 * stack grants from this map and nothing else. Change an entry when a use case behind the handler
 * starts (or stops) writing.
 */
const tableActions = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
} as const;

export type TableAccess = keyof typeof tableActions;

export const handlerNeeds: Record<string, { table: TableAccess }> = {
  // Resolving the caller reads the directory; every HTTP handler does it before its use case.
  'http/get-openapi': { table: 'read' },
  'http/get-catalog': { table: 'read' },
  'http/get-directory-entry': { table: 'read' },
  'http/get-request': { table: 'read' },
  'http/list-requests': { table: 'read' },
  'http/list-approvals': { table: 'read' },
  'http/list-fulfilments': { table: 'read' },
  // Puts the ticket; puts, then updates, its idempotency record.
  'http/submit-request': { table: 'write' },
  // Put the ticket back with the decision or report (a conditional put on its version).
  'http/decide-approval': { table: 'write' },
  'http/report-fulfilment': { table: 'write' },
  // Decides or reports like the two above, then marks the link used (an update).
  'http/link-page': { table: 'write' },
};

export function needsOf(handler: string): { table: TableAccess } {
  const needs = handlerNeeds[handler];
  if (!needs) throw new Error(`lib/handler-needs.ts names no permissions for the handler ${handler}`);
  return needs;
}

/**
 * Item actions on the table itself; Query also on each index the schema module names (the only
 * action that applies to an index), listed one by one rather than as `index/*`.
 */
export function grantTableAccess(grantee: IGrantable, table: ITable, access: TableAccess): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: [...tableActions[access]], resources: [table.tableArn] }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:Query'],
      resources: schema.indexes.map((index) => `${table.tableArn}/index/${index.name}`),
    }),
  );
}

/** The actions a handler's role must hold on the table, for the tests to compare the template with. */
export const tableActionsFor = (handler: string): readonly string[] => tableActions[needsOf(handler).table];
