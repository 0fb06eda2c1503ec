import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { sweepDueRevocations } from '../../app/revocations';
import { getDeps, logger } from '../deps';

export const handler = middy<unknown, { started: number; due: number }, Error, Context>().handler(
  async () => {
    const result = await sweepDueRevocations(getDeps());
    if (result.started > 0) logger.warn('Started revocations whose schedule was missed', { ...result });
    return result;
  },
);
