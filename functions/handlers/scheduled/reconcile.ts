import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type ReconcileResult, reconcile } from '../../app/reconcile';
import { getDeps, logger } from '../deps';

export const handler = middy<unknown, ReconcileResult, Error, Context>().handler(async () => {
  const result = await reconcile(getDeps());
  logger.info('Reconciled tickets with their executions', { ...result });
  return result;
});
