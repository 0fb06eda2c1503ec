import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAnalyticsSource, DynamoAnalyticsStore } from '../adapters/dynamodb/analytics-store';
import { DynamoTicketHistory } from '../adapters/dynamodb/ticket-history';
import { DynamoGrantStore } from '../adapters/dynamodb/workflow-records';
import { systemClock } from '../adapters/system';
import type { RollupDeps } from '../app/analytics';
import { LOCAL_TABLE_NAME } from './dynamodb';

/**
 * What the scheduled rollup reads and writes, on the local table: for rollups made outside the
 * schedules, as they would have made them (the demo history's days on a first start, the benches).
 */
export function localRollupDeps(db: DynamoDBDocumentClient): RollupDeps {
  return {
    clock: systemClock,
    history: new DynamoTicketHistory(db, LOCAL_TABLE_NAME),
    analyticsSource: new DynamoAnalyticsSource(db, LOCAL_TABLE_NAME),
    analytics: new DynamoAnalyticsStore(db, LOCAL_TABLE_NAME),
    grants: new DynamoGrantStore(db, LOCAL_TABLE_NAME),
  };
}
