import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Deps, getDeps, logger } from '../deps';

export class InvalidTaskInputError extends Error {
  override readonly name = 'InvalidTaskInputError';
}

/**
 * Wraps a use case as a state-machine task: the payload parsed (a bad one fails by name, never
 * retried), errors left to propagate with their names so the ASL's Retry and Catch match them.
 * Executions started on an older definition call the newest handler: a field added to a task's
 * schema is optional, and none is removed or renamed (see functions/workflow.ts).
 */
export function workflowTask<S extends z.ZodType, R, D extends Deps = Deps>(
  name: string,
  schema: S,
  useCase: (input: z.output<S>, deps: D) => Promise<R>,
  /** The deps the step needs, when more than the common ones (policy-deps.ts). */
  depsFor: () => D = getDeps as () => D,
) {
  return middy<unknown, R, Error, Context>().handler(async (payload) => {
    const deps = depsFor();
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw new InvalidTaskInputError(`${name}: ${parsed.error.message}`);
    try {
      deps.faults.failIfSet(`task:${name}`);
      return await useCase(parsed.data, deps);
    } catch (error) {
      logger.warn(`Workflow task ${name} failed`, { error: error as Error });
      throw error;
    }
  });
}
