import { z } from 'zod';
import type { Identity } from '../domain/directory';
import { NotFoundError, ValidationError } from '../domain/errors';
import type { Faults, Job, JobRunner, JobStore, Period } from './ports';

/**
 * What every job shares (app/simulations.ts, app/audit-exports.ts): who may run it, the period of
 * history it reads, how it starts, how a step finds it and answers where it stands, how it fails.
 */

const DAY_MS = 24 * 3600 * 1000;

export const jobDateTime = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 date-time such as 2026-01-31T00:00:00Z',
});

/**
 * `to` is never after now (the tickets of the period are then fixed); `from` defaults to
 * `defaultDays` before it.
 */
export function periodOf(
  request: { from?: string | undefined; to?: string | undefined },
  now: Date,
  defaultDays: number,
): Period {
  const asked = request.to ? new Date(request.to) : now;
  const to = asked.getTime() > now.getTime() ? now : asked;
  const from = request.from ? new Date(request.from) : new Date(to.getTime() - defaultDays * DAY_MS);
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError('The period is empty', {
      from: `must be before to (${to.toISOString()}${request.to ? '' : ', now'})`,
    });
  }
  return { from, to };
}

/** A new job of this kind, queued, for `caller` at `at`. */
export function newJob<P>(
  id: string,
  kind: Job['kind'],
  caller: Pick<Identity, 'id'>,
  at: string,
  params: P,
) {
  return {
    id,
    kind,
    status: 'queued' as const,
    createdBy: caller.id,
    createdAt: at,
    updatedAt: at,
    params,
    progress: { done: 0, total: null },
    steps: 0,
    cursor: null,
    result: null,
    error: null,
  };
}

/** Writes the job and starts its execution; a job whose execution could not start is marked failed. */
export async function startJob(
  deps: { jobs: JobStore },
  runner: JobRunner,
  job: Job,
  what: string,
): Promise<{ id: string }> {
  await deps.jobs.create(job);
  try {
    await runner.start(job.id);
  } catch (error) {
    await deps.jobs.fail(
      job.id,
      { name: (error as Error).name, message: `The ${what} could not start` },
      job.createdAt,
    );
    throw error;
  }
  return { id: job.id };
}

/** The job of this kind; a job of another kind is not found either, as `noun`. */
export async function readJob<J extends Job>(
  jobs: JobStore,
  id: string,
  kind: J['kind'],
  noun: string,
): Promise<J> {
  const job = await jobs.get(id);
  if (job?.kind !== kind) throw new NotFoundError(`No ${noun} has id ${id}`);
  return job as J;
}

/** What a step answers its state machine: whether to loop, and where the job stands. */
export interface JobStep<Cursor> {
  done: boolean;
  cursor: Cursor | null;
  progress: Job['progress'];
}

export const stepOf = <C>(job: Job<unknown, C>): JobStep<C> => ({
  done: job.status === 'done' || job.status === 'failed',
  cursor: job.cursor,
  progress: job.progress,
});

/**
 * Writes one step's work on the job as read (JobStore.advance) and answers where the job now
 * stands; a step that lost to another run of it answers where that run left the job.
 */
export async function applyStep<P, C, R>(
  deps: { jobs: JobStore; faults: Faults },
  job: Job<P, C, R>,
  step: Pick<Job<P, C, R>, 'status' | 'progress' | 'cursor' | 'result' | 'updatedAt'>,
  written: string,
): Promise<JobStep<C>> {
  if (!(await deps.jobs.advance(job.id, job.steps, step))) {
    return stepOf((await deps.jobs.get(job.id)) as Job<P, C, R>);
  }
  deps.faults.faultPoint(written);
  return { done: step.status === 'done', cursor: step.cursor, progress: step.progress };
}

/** The fields every job view shows: its kind's own (params, result) are added by its use case. */
export const jobViewOf = (job: Job) => ({
  id: job.id,
  status: job.status,
  progress: job.progress,
  createdBy: job.createdBy,
  createdAt: job.createdAt,
  updatedAt: job.updatedAt,
  error: job.error,
});

/** Primary course: the job marked failed with the error its execution caught, unless it finished first. */
export async function failJob(
  deps: { clock: { now(): Date }; jobs: JobStore },
  jobId: string,
  error: { name: string; cause: string },
): Promise<{ recorded: boolean }> {
  const recorded = await deps.jobs.fail(
    jobId,
    { name: error.name, message: messageOf(error.cause) },
    deps.clock.now().toISOString(),
  );
  return { recorded };
}

/**
 * A Lambda task's Cause is its error as JSON (errorType, errorMessage, trace): the job keeps the
 * message alone, since whoever reads the job never sees a stack trace.
 */
function messageOf(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage.slice(0, 500);
  } catch {
    // Not JSON: a cause Step Functions wrote itself, such as a timeout's.
  }
  return cause.slice(0, 500);
}
