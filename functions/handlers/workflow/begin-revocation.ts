import { z } from 'zod';
import { beginRevocation } from '../../app/revocations';
import { workflowTask } from './task';

export const handler = workflowTask(
  'begin-revocation',
  z.object({
    ticketId: z.string(),
    grantId: z.string(),
    until: z.string().nullable(),
    /** The execution's own name ($$.Execution.Name): the revocation it may carry out is the one named so. */
    execution: z.string(),
  }),
  (input, deps) => beginRevocation(deps, input),
);
