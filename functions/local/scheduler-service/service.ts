import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sleepUntil } from '../timers';
import {
  actionOf,
  DEFAULT_GROUP,
  fireTimeOf,
  NAME,
  type Schedule,
  ScheduleRequest,
  SchedulerApiError,
  type StartExecution,
  validation,
} from './schedules';

export interface LocalSchedulerServiceOptions {
  /** Schedules are kept under `join(dataDir, 'scheduler-service')`. */
  dataDir: string;
  /** 0 picks any free port; listens on 127.0.0.1 only. Or a server listening already, held from start-up. */
  port: number | Server;
  /** For ARNs; default us-east-1 (the account is always 000000000000). */
  region?: string;
  /** Every target this endpoint serves starts a Step Functions execution: this starts it. */
  startExecution(request: StartExecution): Promise<void>;
  log?: (line: string) => void;
}

export interface LocalSchedulerService {
  url: string;
  close(): Promise<void>;
}

/** What one file under `schedules/` keeps. */
interface Kept {
  schedule: Schedule;
  /** Set once a schedule kept after completion (ActionAfterCompletion NONE) has fired: it never fires again. */
  firedAt: string | null;
}

interface Entry {
  kept: Kept;
  /** Aborted when the schedule is replaced or deleted before it fires. */
  timer: AbortController;
}

const ACCOUNT = '000000000000';
const MAX_RESULTS = 100;

/**
 * A local Amazon EventBridge Scheduler endpoint (REST-JSON) for one-time `at()` schedules whose
 * target starts a Step Functions execution. Not `functions/local/scheduler.ts`, which runs the
 * stack's own recurring schedules from `functions/schedules.ts`: this one keeps the schedules that
 * the application creates at run time through the Scheduler API, as it would in AWS.
 *
 * Each schedule is a file, written before the call answers, so schedules survive a restart. A
 * schedule fires at its absolute time, never rescaled by TOLLGATE_TIME_SCALE (the time it names is
 * already scaled where that matters); one whose time passed while the process was down fires at
 * start. Like Scheduler, delivery is at least once: a crash between starting the execution and
 * completing the schedule fires it again at start, which a target that names its execution makes
 * harmless. A failed StartExecution is not retried: it is written to `dead-letters.jsonl` beside the
 * schedules, the local stand-in for the target's dead-letter queue.
 */
export async function startLocalSchedulerService(
  opts: LocalSchedulerServiceOptions,
): Promise<LocalSchedulerService> {
  const region = opts.region ?? 'us-east-1';
  const log = opts.log ?? (() => {});
  const root = join(opts.dataDir, 'scheduler-service');
  const folder = join(root, 'schedules');
  await mkdir(folder, { recursive: true });
  const fileOf = (name: string) => join(folder, `${name}.json`);
  const entries = new Map<string, Entry>();
  const firing = new Set<Promise<void>>();
  // Disk writes run one at a time, in the order the calls were answered, so a delete that follows
  // an update of the same schedule is never overtaken by it.
  let disk: Promise<unknown> = Promise.resolve();
  const onDisk = <T>(work: () => Promise<T>): Promise<T> => {
    const done = disk.then(work);
    disk = done.catch(() => {});
    return done;
  };
  const write = (kept: Kept) =>
    onDisk(async () => {
      const file = fileOf(kept.schedule.Name);
      await writeFile(`${file}.tmp`, JSON.stringify(kept));
      await rename(`${file}.tmp`, file);
    });
  const remove = (name: string) =>
    onDisk(() =>
      unlink(fileOf(name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      }),
    );

  const arm = (entry: Entry) => {
    const { schedule, firedAt } = entry.kept;
    if (schedule.State !== 'ENABLED' || firedAt) return;
    const at = fireTimeOf(schedule.ScheduleExpression, schedule.ScheduleExpressionTimezone);
    void sleepUntil(at, entry.timer.signal).then(() => {
      if (entry.timer.signal.aborted) return;
      const fired = fire(entry)
        .catch((error: unknown) =>
          log(`scheduler: ${schedule.Name} did not complete: ${(error as Error).stack ?? error}`),
        )
        .finally(() => firing.delete(fired));
      firing.add(fired);
    });
  };

  const fire = async (entry: Entry) => {
    const { schedule } = entry.kept;
    try {
      await opts.startExecution(actionOf(schedule.Target));
      log(`scheduler: ${schedule.Name} fired`);
    } catch (error) {
      const { name, message } = error as Error;
      log(`scheduler: ${schedule.Name} failed (${name}: ${message}), dead-lettered`);
      await appendFile(
        join(root, 'dead-letters.jsonl'),
        `${JSON.stringify({ at: new Date().toISOString(), deadLetterArn: schedule.Target.DeadLetterConfig?.Arn ?? null, schedule: schedule.Name, error: { name, message } })}\n`,
      );
    }
    // Replaced or deleted while it fired: the call that did so decides what is kept.
    if (entries.get(schedule.Name) !== entry) return;
    if (schedule.ActionAfterCompletion === 'DELETE') {
      entries.delete(schedule.Name);
      await remove(schedule.Name);
    } else {
      entry.kept = { ...entry.kept, firedAt: new Date().toISOString() };
      await write(entry.kept);
    }
  };

  for (const file of await readdir(folder)) {
    if (!file.endsWith('.json')) continue;
    const kept = JSON.parse(await readFile(join(folder, file), 'utf8')) as Kept;
    const entry = { kept, timer: new AbortController() };
    entries.set(kept.schedule.Name, entry);
    arm(entry);
  }

  const existing = (name: string, group: string | null): Entry => {
    const entry = group === null || group === DEFAULT_GROUP ? entries.get(name) : undefined;
    if (!entry) throw new SchedulerApiError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return entry;
  };

  /** Checks the request and makes the schedule it describes, as of `now`. */
  const scheduleOf = (name: string, body: unknown, created: number | null): Schedule => {
    const parsed = ScheduleRequest.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw validation(`Invalid ${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'malformed'}`);
    }
    const request = parsed.data;
    const group = request.GroupName ?? DEFAULT_GROUP;
    if (group !== DEFAULT_GROUP) {
      throw new SchedulerApiError('ResourceNotFoundException', `Schedule group ${group} does not exist.`);
    }
    const timeZone = request.ScheduleExpressionTimezone ?? 'UTC';
    fireTimeOf(request.ScheduleExpression, timeZone);
    actionOf(request.Target);
    const now = Math.floor(Date.now() / 1000);
    return {
      Arn: `arn:aws:scheduler:${region}:${ACCOUNT}:schedule/${group}/${name}`,
      Name: name,
      GroupName: group,
      ScheduleExpression: request.ScheduleExpression,
      ScheduleExpressionTimezone: timeZone,
      FlexibleTimeWindow: request.FlexibleTimeWindow,
      Target: request.Target,
      State: request.State ?? 'ENABLED',
      ActionAfterCompletion: request.ActionAfterCompletion ?? 'NONE',
      ...(request.Description === undefined ? {} : { Description: request.Description }),
      CreationDate: created ?? now,
      LastModificationDate: now,
    };
  };

  /** Puts the schedule in force at once (so a second call sees it), then keeps it on disk. */
  const keep = async (schedule: Schedule, replacing: Entry | undefined) => {
    replacing?.timer.abort();
    const entry = { kept: { schedule, firedAt: null }, timer: new AbortController() };
    entries.set(schedule.Name, entry);
    await write(entry.kept);
    arm(entry);
  };

  const actions = {
    async create(name: string, body: unknown) {
      if (entries.has(name))
        throw new SchedulerApiError('ConflictException', `Schedule ${name} already exists.`);
      const schedule = scheduleOf(name, body, null);
      await keep(schedule, undefined);
      return { ScheduleArn: schedule.Arn };
    },
    async update(name: string, body: unknown) {
      const group = (body as { GroupName?: unknown } | null)?.GroupName;
      const entry = existing(name, typeof group === 'string' ? group : null);
      const schedule = scheduleOf(name, body, entry.kept.schedule.CreationDate);
      await keep(schedule, entry);
      return { ScheduleArn: schedule.Arn };
    },
    async get(name: string, query: URLSearchParams) {
      return existing(name, query.get('groupName')).kept.schedule;
    },
    async delete(name: string, query: URLSearchParams) {
      const entry = existing(name, query.get('groupName'));
      entry.timer.abort();
      entries.delete(name);
      await remove(name);
      return {};
    },
    async list(query: URLSearchParams) {
      const group = query.get('ScheduleGroup');
      const prefix = query.get('NamePrefix') ?? '';
      const state = query.get('State');
      const after = query.get('NextToken');
      const limit = Number(query.get('MaxResults') ?? MAX_RESULTS);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESULTS) {
        throw validation(`MaxResults must be an integer from 1 to ${MAX_RESULTS}`);
      }
      const matching = [...entries.values()]
        .map((entry) => entry.kept.schedule)
        .filter(
          (schedule) =>
            (group === null || schedule.GroupName === group) &&
            schedule.Name.startsWith(prefix) &&
            (state === null || schedule.State === state) &&
            (after === null || schedule.Name > after),
        )
        .sort((a, b) => (a.Name < b.Name ? -1 : 1));
      const page = matching.slice(0, limit);
      return {
        Schedules: page.map(
          ({ Arn, Name, GroupName, State, CreationDate, LastModificationDate, Target }) => ({
            Arn,
            Name,
            GroupName,
            State,
            CreationDate,
            LastModificationDate,
            Target: { Arn: Target.Arn },
          }),
        ),
        // The last name listed: names are unique in the group and listed in order.
        ...(matching.length > limit ? { NextToken: page.at(-1)?.Name } : {}),
      };
    },
  };

  const server = typeof opts.port === 'number' ? createServer() : opts.port;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    route(request, actions)
      .then((body) => send(response, 200, body))
      .catch((error: unknown) => {
        if (error instanceof SchedulerApiError) {
          send(response, error.status, { Message: error.message }, error.type);
          return;
        }
        log(`scheduler: ${request.method} ${request.url} failed: ${(error as Error).stack ?? error}`);
        send(response, 500, { Message: 'Internal failure' }, 'InternalServerException');
      });
  });
  if (typeof opts.port === 'number') {
    const port = opts.port;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const entry of entries.values()) entry.timer.abort();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      });
      await Promise.allSettled([...firing]);
      await disk;
    },
  };
}

type Actions = {
  create(name: string, body: unknown): Promise<object>;
  update(name: string, body: unknown): Promise<object>;
  get(name: string, query: URLSearchParams): Promise<object>;
  delete(name: string, query: URLSearchParams): Promise<object>;
  list(query: URLSearchParams): Promise<object>;
};

/** Scheduler's HTTP bindings: `/schedules/{Name}` by method, and `GET /schedules` to list. */
async function route(request: IncomingMessage, actions: Actions): Promise<object> {
  const url = new URL(request.url ?? '/', 'http://local');
  const text = await readBody(request);
  if (url.pathname === '/schedules' && request.method === 'GET') return actions.list(url.searchParams);
  const match = /^\/schedules\/([^/]+)$/.exec(url.pathname);
  if (!match)
    throw validation(`This local endpoint serves schedules only, not ${request.method} ${url.pathname}`);
  const name = decodeURIComponent(match[1] ?? '');
  if (!NAME.test(name)) throw validation(`Invalid Name ${JSON.stringify(name)}: 1 to 64 of [0-9a-zA-Z-_.]`);
  switch (request.method) {
    case 'POST':
      return actions.create(name, parseBody(text));
    case 'PUT':
      return actions.update(name, parseBody(text));
    case 'GET':
      return actions.get(name, url.searchParams);
    case 'DELETE':
      return actions.delete(name, url.searchParams);
    default:
      throw validation(`This local endpoint serves no ${request.method} ${url.pathname}`);
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw validation('The request body is not valid JSON');
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: object, errorType?: string): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    // The SDK reads the error code from this header first, as the real service sends it.
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(JSON.stringify(body));
}
