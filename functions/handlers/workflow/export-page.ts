import { z } from 'zod';
import { exportPage } from '../../app/audit-exports';
import { workflowTask } from './task';

export const handler = workflowTask('export-page', z.object({ jobId: z.string() }), ({ jobId }, deps) =>
  exportPage(deps, jobId),
);
