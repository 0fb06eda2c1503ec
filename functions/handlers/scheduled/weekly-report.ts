import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { runWeeklyReport } from '../../app/analytics';
import { logger } from '../deps';
import { getPolicyDeps } from '../policy-deps';

export const handler = middy<unknown, { id: string; sentTo: number }, Error, Context>().handler(async () => {
  const stored = await runWeeklyReport(getPolicyDeps());
  logger.info('Weekly analytics report stored', {
    id: stored.id,
    period: stored.report.period,
    sentTo: stored.sentTo.length,
    ruleCandidates: stored.report.ruleCandidates.length,
  });
  return { id: stored.id, sentTo: stored.sentTo.length };
});
