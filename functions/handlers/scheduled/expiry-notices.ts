import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { sendExpiryNotices } from '../../app/extensions';
import { getDeps, logger } from '../deps';

export const handler = middy<unknown, { sent: number }, Error, Context>().handler(async () => {
  const result = await sendExpiryNotices(getDeps());
  if (result.sent > 0) logger.info('Told holders that their access ends soon', { ...result });
  return result;
});
