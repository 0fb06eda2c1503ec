import { z } from 'zod';
import { simulatePage } from '../../app/simulations';
import { getPolicyDeps } from '../policy-deps';
import { workflowTask } from './task';

export const handler = workflowTask(
  'simulate-page',
  z.object({ jobId: z.string() }),
  ({ jobId }, deps) => simulatePage(deps, jobId),
  getPolicyDeps,
);
