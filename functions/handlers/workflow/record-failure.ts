import { z } from 'zod';
import { recordWorkflowFailure } from '../../app/workflow-steps';
import { workflowTask } from './task';

export const handler = workflowTask(
  'record-failure',
  z.object({ ticketId: z.string(), error: z.object({ Error: z.string(), Cause: z.string().default('') }) }),
  ({ ticketId, error }, deps) =>
    recordWorkflowFailure(deps, ticketId, { name: error.Error, cause: error.Cause }),
);
