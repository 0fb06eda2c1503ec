import { fileURLToPath } from 'node:url';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LivePolicies } from '../../functions/adapters/cedar/live-policies';
import { compilePolicyFolder } from '../../functions/adapters/cedar/policy-files';
import { DynamoPolicyStore, DynamoSnapshotStore } from '../../functions/adapters/dynamodb/policy-store';
import type { Clock } from '../../functions/app/ports';
import { LOCAL_TABLE_NAME } from '../../functions/local/dynamodb';

export const policiesFolder = fileURLToPath(new URL('../../policies', import.meta.url));

/** The project's policies, live through the real store on a local table: what intake and the workflow ask. */
export function localPolicyDeps(db: DynamoDBDocumentClient, clock: Clock) {
  const { folder, compiled } = compilePolicyFolder(policiesFolder);
  const policyStore = new DynamoPolicyStore(db, LOCAL_TABLE_NAME);
  return {
    policyStore,
    policies: new LivePolicies(policyStore, { ...folder, compiled }, clock),
    snapshots: new DynamoSnapshotStore(db, LOCAL_TABLE_NAME),
  };
}
