import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoDirectory } from '../../functions/adapters/dynamodb/directory-store';
import type { Identity, System } from '../../functions/domain/directory';
import { LOCAL_TABLE_NAME, localCredentials } from '../../functions/local/dynamodb';
import type { TestRuntime } from './runtime';

/**
 * The running system's directory and catalog, written the way an import writes them, for tests
 * about what happens after a change. Start the runtime with DIRECTORY_CACHE_SECONDS=0 so the next
 * request sees the change.
 */
export function directoryOf(tollgate: TestRuntime): DynamoDirectory {
  const client = new DynamoDBClient({
    endpoint: tollgate.runtime.endpoints.dynamodb,
    region: 'us-east-1',
    credentials: localCredentials,
  });
  return new DynamoDirectory(createDocumentClient(client), LOCAL_TABLE_NAME);
}

/** A service account of the test's own, so changing it cannot disturb another test. */
export function serviceAccount(id: string, ownerId: string, changes: Partial<Identity> = {}): Identity {
  return {
    id,
    kind: 'service',
    name: `Test account ${id}`,
    department: 'Finance',
    title: '',
    managerId: null,
    ownerId,
    status: 'active',
    roles: [],
    ...changes,
  };
}

/** A system of the test's own, fulfilled by hand by `fulfiller`. */
export function system(id: string, ownerId: string, fulfiller: string, entitlements: string[]): System {
  return {
    id,
    name: `Test system ${id}`,
    ownerId,
    sensitivity: 'low',
    fulfilment: { mode: 'manual', fulfillers: [fulfiller] },
    entitlements: entitlements.map((entitlement) => ({
      id: entitlement,
      name: entitlement,
      class: 'read',
      maxDuration: null,
      conflictsWith: [],
    })),
  };
}
