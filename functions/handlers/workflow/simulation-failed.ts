import { z } from 'zod';
import { failSimulation } from '../../app/simulations';
import { workflowTask } from './task';

export const handler = workflowTask(
  'simulation-failed',
  z.object({ jobId: z.string(), error: z.object({ Error: z.string(), Cause: z.string().default('') }) }),
  ({ jobId, error }, deps) => failSimulation(deps, jobId, { name: error.Error, cause: error.Cause }),
);
