import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectOk, type JsonClient } from './http-client';
import type { Progress } from './progress';

/** What GET answers for every job (a policy simulation, an audit export): its status and progress. */
export interface JobView {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  progress: { done: number; total: number | null };
  error: { name: string; message: string } | null;
}

/**
 * Polls a job (`GET {path}`) every `pollMs` until it is done or failed, with a progress line each time its
 * progress moves (once per step: in a log, a line per poll would bury the rest). A job that runs past
 * `timeoutMs` is stuck, not slow: the bench stops and says so.
 */
export async function followJob<T extends JobView>(
  api: JsonClient,
  auth: Record<string, string>,
  path: string,
  watch: {
    part: string;
    phase: string;
    total: number;
    pollMs: number;
    timeoutMs: number;
    progress: Progress;
  },
): Promise<T> {
  const startedAt = performance.now();
  let done = 0;
  for (;;) {
    const job = (await expectOk(api.get(path, auth), `GET ${path}`)) as T;
    if (job.status === 'done' || job.status === 'failed') return job;
    if (performance.now() - startedAt > watch.timeoutMs) {
      throw new Error(`GET ${path} was still ${job.status} after ${watch.timeoutMs / 1000} s`);
    }
    if (job.progress.done !== done) {
      done = job.progress.done;
      watch.progress.update(watch.part, done, job.progress.total ?? watch.total, watch.phase);
    }
    await sleep(watch.pollMs);
  }
}
