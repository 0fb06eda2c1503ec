import { Logger } from '@aws-lambda-powertools/logger';
import { HmacCursorCodec } from '../adapters/cursor-codec';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoDirectory } from '../adapters/dynamodb/directory-store';
import { DynamoIdempotencyStore } from '../adapters/dynamodb/idempotency-store';
import { DynamoTicketStore } from '../adapters/dynamodb/ticket-store';
import { systemClock, ulidIds } from '../adapters/system';
import { type Config, readConfig } from '../config';

export const logger = new Logger({ serviceName: 'tollgate' });

/** Everything a handler needs, built once per process from the configuration. */
function buildDeps(config: Config) {
  const db = createDocumentClient();
  return {
    config,
    clock: systemClock,
    ids: ulidIds,
    tickets: new DynamoTicketStore(db, config.tableName),
    directory: new DynamoDirectory(db, config.tableName),
    idempotency: new DynamoIdempotencyStore(db, config.tableName),
    cursors: new HmacCursorCodec(config.signingSecret),
  };
}

export type Deps = ReturnType<typeof buildDeps>;

let deps: Deps | undefined;

export function getDeps(): Deps {
  deps ??= buildDeps(readConfig());
  return deps;
}
