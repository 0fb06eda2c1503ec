import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  type ArchivedSummary,
  CheckpointStore,
  type ExecutionRecord,
  type ExecutionStatus,
  executionKey,
  findToken,
  type Json,
} from './checkpoints';
import { type LoadedStateMachine, loadStateMachine, StateMachineDefinitionError } from './definition';
import { DefinitionVersions } from './definition-versions';
import { executionStarted, stateEntered, toApiEvent } from './history';
import {
  type Action,
  type ApiRequest,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  InvalidOutput,
  InvalidToken,
  StateMachineDoesNotExist,
  serveJson10,
  TaskDoesNotExist,
  TaskTimedOut,
  ValidationException,
} from './protocol';
import { ExecutionRunner, libraryTimeoutErrorMaker, type RunnerDeps } from './runner';
import { executionKeyOfToken, TASK_TOKEN_PATTERN } from './task-tokens';

export interface LocalStateMachine {
  name: string;
  definitionPath: string;
  substitutions: Record<string, string>;
}

export interface LocalStepFunctionsOptions {
  /** Checkpoints go under `join(dataDir, 'stepfunctions')`. */
  dataDir: string;
  /** 0 picks any free port; listens on 127.0.0.1 only. Or a server listening already, held from start-up. */
  port: number | Server;
  /** For ARNs; default us-east-1 (the account is always 000000000000). */
  region?: string;
  stateMachines: LocalStateMachine[];
  /**
   * Runs every `lambda:invoke` and `lambda:invoke.waitForTaskToken` Task with its resolved FunctionName and Payload.
   * A thrown Error's `name` is the Step Functions error (what Retry/Catch match) and its message the cause.
   */
  invokeLambda: (functionName: string, payload: unknown) => Promise<unknown>;
  log?: (line: string) => void;
}

/** Counted since start, for `GET /dev/metrics`. */
export interface StepFunctionsCounts {
  /** States entered, and retries of a state, as Step Functions bills Standard workflows. */
  stateTransitions: number;
  executionsStarted: number;
  /** Running now: the executions this service keeps in memory (finished ones are archived on disk). */
  executionsRunning: number;
}

export interface LocalStepFunctions {
  url: string;
  counts: StepFunctionsCounts;
  stateMachineArn(name: string): string;
  close(): Promise<void>;
}

const ACCOUNT = '000000000000';
const STATUSES: ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;
// Step Functions' rule for execution names: 1 to 80 characters, none of these.
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u;

/**
 * A local AWS Step Functions endpoint (AWS JSON 1.0) that runs the project's ASL files with aws-local-stepfunctions,
 * checkpoints every execution to disk and resumes the running ones when it starts again.
 */
export async function startLocalStepFunctions(opts: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  const region = opts.region ?? 'us-east-1';
  const log = opts.log ?? (() => {});
  const stateMachineArn = (name: string) => `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${name}`;

  const machines = new Map<string, LoadedStateMachine>();
  for (const { name, definitionPath, substitutions } of opts.stateMachines) {
    const arn = stateMachineArn(name);
    if (machines.has(arn))
      throw new StateMachineDefinitionError(`State machine "${name}" is configured twice`);
    machines.set(arn, await loadStateMachine(name, definitionPath, substitutions, arn));
  }

  const { store, running } = await CheckpointStore.open(join(opts.dataDir, 'stepfunctions'));
  const versions = new DefinitionVersions(join(opts.dataDir, 'stepfunctions', 'definitions'));
  /** Running executions by key (see executionKey); finished ones are read from the archive. */
  const executions = new Map<string, ExecutionRunner>();
  const counts: StepFunctionsCounts = {
    stateTransitions: 0,
    executionsStarted: 0,
    get executionsRunning() {
      return executions.size;
    },
  };
  /** Tokens minted before tokens named their execution, of the executions still running: key by token. */
  const olderTokens = new Map<string, string>();
  const deps: RunnerDeps = {
    store,
    region,
    counts,
    invokeLambda: opts.invokeLambda,
    log,
    timeoutError: await libraryTimeoutErrorMaker(),
    onArchived: ({ key, record }) => {
      executions.delete(key);
      for (const token of Object.keys(record.closedTokens)) olderTokens.delete(token);
    },
  };
  for (const record of running) {
    const runner = new ExecutionRunner(record, deps);
    executions.set(runner.key, runner);
    for (const token of [...record.waits.map((wait) => wait.token), ...Object.keys(record.closedTokens)]) {
      if (executionKeyOfToken(token) !== runner.key) olderTokens.set(token, runner.key);
    }
  }

  /** The execution, running (with its runner) or archived, or undefined. */
  const findExecution = async (
    key: string,
  ): Promise<{ record: ExecutionRecord; runner?: ExecutionRunner } | undefined> => {
    const runner = executions.get(key);
    if (runner) return { record: runner.record, runner };
    const record = await store.archived(key);
    return record && { record };
  };

  const machineFor = (request: ApiRequest): LoadedStateMachine => {
    const arn = arnField(request, 'stateMachineArn');
    const machine = machines.get(arn);
    if (!machine) throw new StateMachineDoesNotExist(`State Machine Does Not Exist: '${arn}'`);
    return machine;
  };
  const executionFor = async (request: ApiRequest) => {
    const arn = arnField(request, 'executionArn');
    const found = await findExecution(executionKey(arn));
    if (!found) throw new ExecutionDoesNotExist(`Execution Does Not Exist: '${arn}'`);
    return found;
  };
  const waitingTask = async (request: ApiRequest) => {
    const token = stringField(request, 'taskToken');
    if (token === undefined || !TASK_TOKEN_PATTERN.test(token)) throw new InvalidToken('Invalid Token');
    const execution = await findExecution(olderTokens.get(token) ?? executionKeyOfToken(token));
    const found = execution && findToken(execution.record, token);
    if (!execution || !found) throw new TaskDoesNotExist('Task Does Not Exist');
    if ('closed' in found) {
      if (found.closed === 'answered')
        throw new TaskDoesNotExist('Task Does Not Exist: it was already answered');
      throw new TaskTimedOut('Task Timed Out: Provided task does not exist anymore');
    }
    const { wait } = found;
    if (wait.answer) throw new TaskDoesNotExist('Task Does Not Exist: it was already answered');
    if (wait.timedOut || (wait.deadline !== null && Date.now() >= wait.deadline)) {
      throw new TaskTimedOut('Task Timed Out: its deadline has passed');
    }
    // An open wait belongs to a running execution: finishing closes every wait before archiving.
    if (!execution.runner) throw new TaskDoesNotExist('Task Does Not Exist');
    return { runner: execution.runner, wait };
  };

  const actions: Record<string, Action> = {
    StartExecution: async (request) => {
      const machine = machineFor(request);
      const input = stringField(request, 'input') ?? '{}';
      let parsedInput: Json;
      try {
        parsedInput = JSON.parse(input) as Json;
      } catch {
        throw new InvalidExecutionInput('Invalid State Machine Execution Input: the input is not valid JSON');
      }
      const name = stringField(request, 'name') ?? randomUUID();
      if (!EXECUTION_NAME.test(name)) throw new InvalidName(`Invalid Name: '${name}'`);
      const executionArn = `arn:aws:states:${region}:${ACCOUNT}:execution:${machine.name}:${name}`;
      const key = executionKey(executionArn);
      // Running ones are looked up again after reading the archive: another start may have begun meanwhile.
      const existing =
        executions.get(key)?.record ?? (await store.archived(key)) ?? executions.get(key)?.record;
      if (existing) {
        // As in AWS: repeating the start of a running execution with the same input is idempotent.
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn, startDate: seconds(existing.startDate) };
        }
        throw new ExecutionAlreadyExists(`Execution Already Exists: '${executionArn}'`);
      }
      const startDate = Date.now();
      const record: ExecutionRecord = {
        executionArn,
        stateMachineArn: machine.arn,
        definitionHash: machine.definitionHash,
        name,
        input,
        status: 'RUNNING',
        startDate,
        deadline: machine.timeoutSeconds === undefined ? null : startDate + machine.timeoutSeconds * 1000,
        current: { state: machine.startAt, input: parsedInput },
        waits: [],
        closedTokens: {},
      };
      executionStarted(record);
      stateEntered(record, machine.stateTypes.get(machine.startAt) ?? 'Task', machine.startAt, parsedInput);
      const runner = new ExecutionRunner(record, deps);
      executions.set(key, runner);
      await versions.keep(machine);
      await store.save(record);
      counts.executionsStarted++;
      runner.start(machine);
      log(`stepfunctions: started ${executionArn}`);
      return { executionArn, startDate: seconds(startDate) };
    },

    DescribeExecution: async (request) => {
      const { record } = await executionFor(request);
      return {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: seconds(record.startDate),
        stopDate: record.stopDate === undefined ? undefined : seconds(record.stopDate),
        input: record.input,
        inputDetails: { included: true },
        output: record.output,
        outputDetails: record.output === undefined ? undefined : { included: true },
        error: record.error,
        cause: record.cause,
      };
    },

    ListStateMachines: async () => ({
      stateMachines: [...machines.values()].map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: seconds(machine.createdAt),
      })),
    }),

    ListExecutions: async (request) => {
      const machine = machineFor(request);
      const statusFilter = stringField(request, 'statusFilter');
      if (statusFilter !== undefined && !STATUSES.includes(statusFilter as ExecutionStatus)) {
        throw new ValidationException(`Value '${statusFilter}' at 'statusFilter' is not a valid status`);
      }
      const maxResults = pageSizeField(request);
      const after = decodePageToken(stringField(request, 'nextToken'));
      const listed = new Map<string, ArchivedSummary>();
      if (statusFilter !== 'RUNNING') {
        for (const summary of await store.archivedSummaries()) listed.set(summary.executionArn, summary);
      }
      // After the archive: one archived while it was read is listed as it is now.
      for (const { record } of executions.values()) listed.set(record.executionArn, record);
      const matching = [...listed.values()]
        .filter((record) => record.stateMachineArn === machine.arn)
        .filter((record) => statusFilter === undefined || record.status === statusFilter)
        .sort(newestFirst)
        .filter((record) => after === undefined || newestFirst(record, after) > 0);
      const page = matching.slice(0, maxResults);
      const last = page.at(-1);
      return {
        executions: page.map((record) => ({
          executionArn: record.executionArn,
          stateMachineArn: record.stateMachineArn,
          name: record.name,
          status: record.status,
          startDate: seconds(record.startDate),
          stopDate: record.stopDate === undefined ? undefined : seconds(record.stopDate),
        })),
        nextToken: last && page.length < matching.length ? encodePageToken(last) : undefined,
      };
    },

    GetExecutionHistory: async (request) => {
      const { record } = await executionFor(request);
      const maxResults = pageSizeField(request);
      const reverseOrder = booleanField(request, 'reverseOrder') ?? false;
      const includeExecutionData = booleanField(request, 'includeExecutionData') ?? true;
      const nextToken = stringField(request, 'nextToken');
      const after = nextToken === undefined ? undefined : decodeHistoryToken(nextToken, record, reverseOrder);
      const ordered = reverseOrder ? [...(record.history ?? [])].reverse() : (record.history ?? []);
      const remaining =
        after === undefined
          ? ordered
          : ordered.filter((event) => (reverseOrder ? event.id < after : event.id > after));
      const page = remaining.slice(0, maxResults);
      const last = page.at(-1);
      return {
        events: page.map((event) => toApiEvent(event, includeExecutionData)),
        nextToken:
          last && page.length < remaining.length
            ? encodeHistoryToken(record.executionArn, last.id, reverseOrder)
            : undefined,
      };
    },

    StopExecution: async (request) => {
      const { record, runner } = await executionFor(request);
      await runner?.stop(stringField(request, 'error'), stringField(request, 'cause'));
      return { stopDate: seconds(record.stopDate ?? Date.now()) };
    },

    SendTaskSuccess: async (request) => {
      const { runner, wait } = await waitingTask(request);
      const output = stringField(request, 'output');
      let parsedOutput: Json;
      try {
        parsedOutput = JSON.parse(output ?? '') as Json;
      } catch {
        throw new InvalidOutput('Invalid Output: the output is not valid JSON');
      }
      await runner.answer(wait, { output: parsedOutput });
      return {};
    },

    SendTaskFailure: async (request) => {
      const { runner, wait } = await waitingTask(request);
      await runner.answer(wait, {
        error: stringField(request, 'error') ?? '',
        cause: stringField(request, 'cause') ?? '',
      });
      return {};
    },

    SendTaskHeartbeat: async (request) => {
      await waitingTask(request);
      return {};
    },
  };

  const server = await serveJson10(opts.port, actions, log);
  for (const runner of executions.values()) {
    if (runner.record.status !== 'RUNNING') continue;
    const current = machines.get(runner.record.stateMachineArn);
    if (!current) {
      log(`stepfunctions: not resuming ${runner.record.executionArn}: its state machine is not configured`);
      continue;
    }
    const { definitionHash } = runner.record;
    let machine = definitionHash === undefined ? current : await versions.load(definitionHash, current);
    if (!machine) {
      log(
        `stepfunctions: ${runner.record.executionArn} started with definition ${definitionHash}, which is no longer stored: it resumes on the current one`,
      );
      machine = current;
    }
    log(
      `stepfunctions: resuming ${runner.record.executionArn} at "${runner.record.current.state}"${machine === current ? '' : ` on the definition it started with (${definitionHash})`}`,
    );
    runner.start(machine);
  }
  log(`stepfunctions: listening on ${server.url}`);

  return {
    url: server.url,
    counts,
    stateMachineArn,
    close: async () => {
      await server.close();
      await Promise.all([...executions.values()].map((runner) => runner.halt()));
      await store.flush();
    },
  };
}

/** AWS answers dates as epoch seconds. */
const seconds = (epochMs: number) => epochMs / 1000;

function stringField(request: ApiRequest, key: string): string | undefined {
  const value = request[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ValidationException(`Value at '${key}' must be a string`);
  return value;
}

function booleanField(request: ApiRequest, key: string): boolean | undefined {
  const value = request[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ValidationException(`Value at '${key}' must be a boolean`);
  return value;
}

/** `maxResults`: 0 or absent is the default page of 100, as in AWS; at most 1000. */
function pageSizeField(request: ApiRequest): number {
  const maxResults = request.maxResults ?? 0;
  if (
    typeof maxResults !== 'number' ||
    !Number.isInteger(maxResults) ||
    maxResults < 0 ||
    maxResults > MAX_PAGE_SIZE
  ) {
    throw new ValidationException(`Value at 'maxResults' must be an integer from 0 to ${MAX_PAGE_SIZE}`);
  }
  return maxResults === 0 ? DEFAULT_PAGE_SIZE : maxResults;
}

function arnField(request: ApiRequest, key: string): string {
  const value = stringField(request, key);
  if (value === undefined) throw new ValidationException(`Value null at '${key}' must not be null`);
  if (!/^arn:[^:]+:states:/.test(value)) throw new InvalidArn(`Invalid Arn: '${value}'`);
  return value;
}

/** Newest first; executions started in the same millisecond are ordered by ARN, so pages never overlap. */
function newestFirst(a: Pick<ExecutionRecord, 'startDate' | 'executionArn'>, b: typeof a): number {
  if (a.startDate !== b.startDate) return b.startDate - a.startDate;
  return a.executionArn < b.executionArn ? 1 : a.executionArn > b.executionArn ? -1 : 0;
}

function encodePageToken(record: Pick<ExecutionRecord, 'startDate' | 'executionArn'>): string {
  return Buffer.from(JSON.stringify([record.startDate, record.executionArn])).toString('base64url');
}

function decodePageToken(
  token: string | undefined,
): Pick<ExecutionRecord, 'startDate' | 'executionArn'> | undefined {
  if (token === undefined) return undefined;
  try {
    const [startDate, executionArn] = JSON.parse(
      Buffer.from(token, 'base64url').toString('utf8'),
    ) as unknown[];
    if (typeof startDate === 'number' && typeof executionArn === 'string') return { startDate, executionArn };
  } catch {
    // Not ours: answered below like any other token this endpoint did not hand out.
  }
  throw new InvalidToken(`Invalid Token: '${token}'`);
}

/** A history page token names its execution, its direction and the last event it answered. */
function encodeHistoryToken(executionArn: string, lastId: number, reverseOrder: boolean): string {
  return Buffer.from(JSON.stringify(['history', executionArn, lastId, reverseOrder])).toString('base64url');
}

function decodeHistoryToken(token: string, record: ExecutionRecord, reverseOrder: boolean): number {
  try {
    const [kind, executionArn, lastId, reversed] = JSON.parse(
      Buffer.from(token, 'base64url').toString('utf8'),
    ) as unknown[];
    if (
      kind === 'history' &&
      executionArn === record.executionArn &&
      reversed === reverseOrder &&
      typeof lastId === 'number'
    ) {
      return lastId;
    }
  } catch {
    // Not ours: answered below.
  }
  throw new InvalidToken(`Invalid Token: '${token}'`);
}
