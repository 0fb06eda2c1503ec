import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { chartAssetPaths, PngCharts } from '../../adapters/charts/png';
import { runWeeklyReport } from '../../app/analytics';
import { RenderedReportMailer } from '../../app/weekly-report-email';
import { logger } from '../deps';
import { getPolicyDeps } from '../policy-deps';

export const handler = middy<unknown, { id: string; sentTo: number }, Error, Context>().handler(async () => {
  const deps = getPolicyDeps();
  // Only this function draws charts: the renderer and its wasm stay out of every other bundle.
  const reportMailer = new RenderedReportMailer(
    deps.mailer,
    new PngCharts(chartAssetPaths(process.env.LAMBDA_TASK_ROOT)),
    `${deps.config.publicBaseUrl}/`,
  );
  const stored = await runWeeklyReport({ ...deps, reportMailer });
  logger.info('Weekly analytics report stored', {
    id: stored.id,
    period: stored.report.period,
    sentTo: stored.sentTo.length,
    ruleCandidates: stored.report.ruleCandidates.length,
  });
  return { id: stored.id, sentTo: stored.sentTo.length };
});
