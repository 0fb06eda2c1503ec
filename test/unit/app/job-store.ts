import type { Job, JobStore } from '../../../functions/app/ports';

/** An in-memory job store, whose advance can be made to lose as if another run of the step won. */
export function jobStore(options: { loseNextAdvance?: boolean } = {}) {
  const jobs = new Map<string, Job>();
  let lose = options.loseNextAdvance ?? false;
  const store: JobStore & { jobs: Map<string, Job> } = {
    jobs,
    create: async (job) => void jobs.set(job.id, structuredClone(job)),
    get: async (id) => structuredClone(jobs.get(id)),
    advance: async (id, readSteps, step) => {
      const job = jobs.get(id);
      if (!job || job.steps !== readSteps || lose) {
        if (job && lose)
          jobs.set(id, { ...job, steps: job.steps + 1, cursor: { partition: 9, after: null } });
        lose = false;
        return false;
      }
      jobs.set(id, { ...job, ...structuredClone(step), steps: readSteps + 1 });
      return true;
    },
    fail: async (id, error, at) => {
      const job = jobs.get(id);
      if (!job) return false;
      jobs.set(id, { ...job, status: 'failed', error, updatedAt: at });
      return true;
    },
  };
  return store;
}
