import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type CheckpointResult, makeCheckpoint } from '../../app/audit-checkpoints';
import { getAuditDeps } from '../audit-deps';
import { logger } from '../deps';

export const handler = middy<unknown, CheckpointResult, Error, Context>().handler(async () => {
  const result = await makeCheckpoint(getAuditDeps());
  if (result.written) logger.info('Audit checkpoint written', { ...result });
  return result;
});
