import { z } from 'zod';
import { exportPage } from '../../app/audit-exports';
import { workflowTask } from './task';

export const handler = workflowTask(
  'export-page',
  z.object({ jobId: z.string() }),
  async ({ jobId }, deps) => {
    // The cursor stays on the job: its part ETags grow with the file, and a task's answer is capped at 256 KiB.
    const { done, progress } = await exportPage(deps, jobId);
    return { done, progress };
  },
);
