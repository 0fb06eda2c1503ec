import { z } from 'zod';
import type { DynamoDirectory } from '../adapters/dynamodb/directory-store';
import { identityIdSchema } from '../domain/directory';
import { NotFoundError, ValidationError } from '../domain/errors';
import { parseOrThrow } from '../domain/validation';
import { toErrorResponse } from '../handlers/http/http-errors';
import type { WriteUnits } from './dynamodb';
import type { HttpHandler } from './http-server';
import type { LocalAuth } from './local-auth';
import type { LocalScheduler } from './scheduler';
import { readOutbox } from './ses';

const tokenRequestSchema = z.strictObject({
  identity: identityIdSchema,
  expiresIn: z
    .union([
      z
        .number()
        .int()
        .min(1)
        .max(30 * 24 * 3600),
      z.string().regex(/^\d+\s*[smhd]$/),
    ])
    .default(3600)
    .meta({ description: 'Seconds, or a span such as "15m" or "8h"' }),
});

/** What the local AWS stand-ins did since start: the figures the bench turns into an AWS bill. */
export interface LocalMetrics {
  /** Requests per operation (`PutItem`, `Query`, `BatchWriteItem`, ...). */
  dynamodb: Record<string, number>;
  /** The puts and deletes inside those BatchWriteItem requests: each is billed as a write of its own. */
  dynamodbBatchWriteItems: number;
  /** The write request units those writes would be billed in DynamoDB (see functions/local/dynamodb.ts). */
  dynamodbWriteUnits: WriteUnits;
  stepfunctions: { stateTransitions: number; executionsStarted: number; executionsRunning: number };
  /**
   * `http`: deployed routes (not `/dev/*`); `workflow`: the state machine's tasks; `scheduled`:
   * schedule runs; `invoked`: functions invoked directly (the outbound dispatcher, by a write with new events).
   */
  lambda: { http: number; workflow: number; scheduled: number; invoked: number };
  ses: { emails: number };
}

/** This process's memory, as `GET /dev/memory` answers it: `process.memoryUsage()` in bytes. */
export interface LocalMemory extends NodeJS.MemoryUsage {
  /** Whether a full garbage collection ran first: only when node runs with `--expose-gc`. */
  collected: boolean;
  /** The process measured: the whole local system runs in this one. */
  pid: number;
}

/** The local-only `/dev/*` routes: helpers for demos and tests that the AWS stack never has. */
export function createDevRoutes(deps: {
  auth: LocalAuth;
  directory: DynamoDirectory;
  outboxDir: string;
  endpoints: {
    dynamodb: string;
    stepfunctions: string;
    ses: string;
    scheduler: string;
    s3: string;
    openid: string;
    secretsmanager: string;
    lambda: string;
  };
  scheduler: LocalScheduler;
  metrics: () => LocalMetrics;
}): Record<string, HttpHandler> {
  const respond = async (work: () => Promise<unknown>) => {
    try {
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(await work()),
      };
    } catch (error) {
      const { status, body } = toErrorResponse(error, 'local');
      return {
        statusCode: status,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
    }
  };
  return {
    issueToken: (event) =>
      respond(async () => {
        let body: unknown;
        try {
          body = JSON.parse(event.body ?? '');
        } catch {
          throw new ValidationError('The body is not valid JSON', {
            '(body)': 'must be {"identity": "..."}',
          });
        }
        const request = parseOrThrow(tokenRequestSchema, body, 'token request');
        return { token: await deps.auth.issue(request.identity, request.expiresIn) };
      }),
    listIdentities: () =>
      respond(async () => ({
        identities: (await deps.directory.allIdentities()).map(
          ({ id, name, kind, department, title, managerId, ownerId, status, roles }) => ({
            id,
            name,
            kind,
            department,
            title,
            managerId,
            ownerId,
            status,
            roles,
          }),
        ),
      })),
    outbox: () => respond(async () => ({ messages: await readOutbox(deps.outboxDir) })),
    endpoints: () => respond(async () => deps.endpoints),
    metrics: () => respond(async () => deps.metrics()),
    memory: () =>
      respond(async (): Promise<LocalMemory> => {
        // Without a collection first, heapUsed includes garbage and says little about what is retained. A
        // last-resort collection repeats until nothing more is freed (weak references and finalizers included),
        // as V8 does before giving up for lack of memory: one major collection leaves readings hundreds of KB apart.
        globalThis.gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
        return { collected: globalThis.gc !== undefined, pid: process.pid, ...process.memoryUsage() };
      }),
    schedules: () => respond(async () => ({ schedules: deps.scheduler.list() })),
    runSchedule: (event) =>
      respond(async () => {
        const name = event.pathParameters?.name ?? '';
        const run = await deps.scheduler.runNow(name);
        if (!run) throw new NotFoundError(`No schedule ${name}`);
        return run;
      }),
  };
}
