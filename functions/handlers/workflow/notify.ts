import { z } from 'zod';
import { notifyAssignees } from '../../app/workflow-steps';
import { workflowTask } from './task';

export const handler = workflowTask(
  'notify',
  z.object({
    ticketId: z.string(),
    kind: z.enum(['approval', 'fulfilment', 'revoke']),
    taskToken: z.string().min(1),
    stageIndex: z.number().int().min(0).nullable().optional(),
  }),
  (input, deps) => notifyAssignees(deps, input),
);
