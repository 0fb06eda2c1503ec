import { z } from 'zod';
import { advance } from '../../app/workflow-steps';
import { getPolicyDeps } from '../policy-deps';
import { workflowTask } from './task';

export const handler = workflowTask(
  'advance',
  z.object({
    ticketId: z.string(),
    after: z.enum(['intake', 'approval', 'fulfilment', 'revoke', 'deadline', 'timeout']),
  }),
  ({ ticketId, after }, deps) => advance(deps, ticketId, after),
  getPolicyDeps,
);
