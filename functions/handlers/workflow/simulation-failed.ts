import { z } from 'zod';
import { failJob } from '../../app/jobs';
import { workflowTask } from './task';

export const handler = workflowTask(
  'simulation-failed',
  z.object({ jobId: z.string(), error: z.object({ Error: z.string(), Cause: z.string().default('') }) }),
  ({ jobId, error }, deps) => failJob(deps, jobId, { name: error.Error, cause: error.Cause }),
);
