import { randomUUID } from 'node:crypto';
import { type RunOptions, StateMachine } from 'aws-local-stepfunctions';
import { sleepUntil } from '../timers';
import type {
  CheckpointStore,
  ExecutionRecord,
  ExecutionStatus,
  Json,
  TaskAnswer,
  WaitCheckpoint,
} from './checkpoints';
import { executionKey } from './checkpoints';
import {
  type LambdaTask,
  LIBRARY_TASK_TIMEOUT_SECONDS,
  type LoadedStateMachine,
  TIMEOUT_PARAMETER,
} from './definition';
import { executionEnded, stateEntered, stateExited, taskEvents } from './history';
import { mintTaskToken } from './task-tokens';

type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LibraryJson = Parameters<TaskHandlers[string]>[0];
type LibraryRun = ReturnType<StateMachine['run']>;

/**
 * A wait still pending this long after its run began moves to a fresh run (same token, same deadline) a day before
 * the library's own task timer (LIBRARY_TASK_TIMEOUT_SECONDS) would fail it.
 */
const REARM_AFTER_MS = (LIBRARY_TASK_TIMEOUT_SECONDS - 24 * 3600) * 1000;

/** A task failure whose `name` ASL Retry/Catch match, as Step Functions does with a Lambda's error type. */
export class TaskFailure extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Like Step Functions' States.Runtime: the library checks these flags, so ASL can neither retry nor catch it. */
class StatesRuntimeError extends Error {
  override name = 'States.Runtime';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/**
 * Returns a maker of States.Timeout errors that are instances of the library's own (unexported) timeout class: its
 * States.TaskFailed matcher excludes timeouts by `instanceof`, as Step Functions does. A probe Task with a timeout of
 * -1 s gets one at once (Node fires a negative timer after 1 ms).
 */
export async function libraryTimeoutErrorMaker(): Promise<() => Error> {
  const probe = new StateMachine(
    {
      StartAt: 'Probe',
      States: { Probe: { Type: 'Task', Resource: 'probe', TimeoutSeconds: -1, End: true } },
    },
    { validationOptions: { noValidate: true } },
  );
  const never = () => new Promise<LibraryJson>(() => {});
  try {
    await probe.run(null, { overrides: { taskResourceLocalHandlers: { Probe: never } } }).result;
  } catch (error) {
    const cause = (error as Error).cause;
    if (cause instanceof Error && cause.name === 'States.Timeout') {
      const LibraryTimeout = cause.constructor as new () => Error;
      return () => new LibraryTimeout();
    }
  }
  throw new Error('aws-local-stepfunctions no longer fails a timed-out Task with States.Timeout');
}

export interface RunnerDeps {
  store: CheckpointStore;
  /** For the region of TaskScheduled events. */
  region: string;
  counts: { stateTransitions: number };
  invokeLambda: (functionName: string, payload: unknown) => Promise<unknown>;
  log: (line: string) => void;
  timeoutError: () => Error;
  /** Called once the ended execution is archived: it leaves memory. */
  onArchived: (runner: ExecutionRunner) => void;
}

/** What one library run (one top-level state) ended with. */
type Outcome =
  | { kind: 'next'; state: string; input: Json }
  | { kind: 'succeeded'; output: Json }
  | { kind: 'failed'; error: string; cause: string }
  | { kind: 'interrupted' };

/** Per library run: lets handlers claim the token `$$.Task.Token` produced, and take over a resumed wait. */
interface RunScope {
  signal: AbortSignal;
  startedAt: number;
  claimToken(): string | undefined;
  resumedWait: WaitCheckpoint | undefined;
}

interface Waiter {
  deliver(answer: TaskAnswer): void;
  cancel(): void;
}

/**
 * Drives one execution. Each top-level state runs as its own library run that ends at a goto task naming the next
 * state, and every top-level transition is checkpointed before the next state starts: a restart resumes the last
 * top-level state entered, with its input and, for a wait, its token and absolute deadline.
 */
export class ExecutionRunner {
  private readonly waiters = new Map<string, Waiter>();
  private abortRun: (() => void) | undefined;
  private halted = false;
  private driving: Promise<void> = Promise.resolve();
  /** The execution's checkpoint name, which its task tokens carry. */
  readonly key: string;

  constructor(
    readonly record: ExecutionRecord,
    private readonly deps: RunnerDeps,
  ) {
    this.key = executionKey(record.executionArn);
  }

  start(machine: LoadedStateMachine): void {
    this.driving = this.drive(machine).catch((error: unknown) => {
      this.deps.log(
        `stepfunctions: ${this.record.executionArn} stopped driving: ${(error as Error).stack ?? error}`,
      );
    });
  }

  /** Stops running without changing the checkpoint, so the next start resumes the execution. */
  async halt(): Promise<void> {
    this.halted = true;
    this.abortRun?.();
    for (const waiter of this.waiters.values()) waiter.cancel();
    await this.driving;
  }

  async stop(error: string | undefined, cause: string | undefined): Promise<void> {
    if (this.record.status !== 'RUNNING') return;
    const finished = this.finish('ABORTED', { error, cause });
    this.abortRun?.();
    await finished;
  }

  /** Persists the answer before the caller acknowledges it, then hands it to the waiting task if it runs. */
  async answer(wait: WaitCheckpoint, answer: TaskAnswer): Promise<void> {
    wait.answer = answer;
    const events = this.waitEvents();
    if ('output' in answer) events.succeeded(answer.output);
    else events.failed(answer.error, answer.cause);
    await this.deps.store.save(this.record);
    this.waiters.get(wait.token)?.deliver(answer);
  }

  private async drive(machine: LoadedStateMachine): Promise<void> {
    const deadlineWatch = new AbortController();
    if (this.record.deadline !== null) {
      void sleepUntil(this.record.deadline, deadlineWatch.signal)
        .then(() => {
          if (deadlineWatch.signal.aborted || this.record.status !== 'RUNNING') return;
          const finished = this.finish('TIMED_OUT', {
            error: 'States.Timeout',
            cause: 'The execution timed out',
          });
          this.abortRun?.();
          return finished;
        })
        .catch((error: unknown) => this.deps.log(`stepfunctions: ${this.record.executionArn}: ${error}`));
    }
    try {
      while (this.record.status === 'RUNNING' && !this.halted) {
        const outcome = await this.runCurrentState(machine);
        // A stop, the execution deadline or halt() may have ended the execution while the run was settling.
        if (this.record.status !== 'RUNNING' || this.halted || outcome.kind === 'interrupted') continue;
        const { state } = this.record.current;
        if (outcome.kind === 'next') {
          for (const wait of [...this.record.waits]) this.closeWait(wait);
          stateExited(this.record, typeOf(machine, state), state, outcome.input);
          this.record.current = { state: outcome.state, input: outcome.input };
          stateEntered(this.record, typeOf(machine, outcome.state), outcome.state, outcome.input);
          await this.deps.store.save(this.record);
        } else if (outcome.kind === 'succeeded') {
          stateExited(this.record, typeOf(machine, state), state, outcome.output);
          await this.finish('SUCCEEDED', { output: JSON.stringify(outcome.output) });
        } else {
          await this.finish('FAILED', { error: outcome.error, cause: outcome.cause });
        }
      }
    } finally {
      deadlineWatch.abort();
    }
  }

  private async runCurrentState(machine: LoadedStateMachine): Promise<Outcome> {
    const { state, input } = this.record.current;
    if (!(state in machine.libraryDefinition.States)) {
      return {
        kind: 'failed',
        error: 'States.Runtime',
        cause: `State "${state}" is no longer in the definition`,
      };
    }
    const resumedWait = this.takeOverWaits(machine, state);
    const controller = new AbortController();
    let pendingToken = resumedWait?.token;
    let next: { state: string; input: Json } | undefined;
    const scope: RunScope = {
      signal: controller.signal,
      startedAt: Date.now(),
      resumedWait,
      claimToken: () => {
        const token = pendingToken;
        pendingToken = undefined;
        return token;
      },
    };
    // Parameters are resolved, and the handler then called, in one synchronous stretch: the token minted when
    // Parameters read `$$.Task.Token` is the one the handler claims.
    const { key } = this;
    const context = {
      Execution: { Id: this.record.executionArn, Name: this.record.name },
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: {
        get Token() {
          pendingToken ??= mintTaskToken(key);
          return pendingToken;
        },
      },
    };
    const handlers: TaskHandlers = {};
    for (const [name, task] of machine.lambdaTasks) {
      handlers[name] = (parameters) =>
        task.kind === 'wait'
          ? this.waitForToken(name, task, parameters, scope)
          : this.invoke(name, task, parameters, scope);
    }
    for (const [gotoName, target] of machine.gotos) {
      handlers[gotoName] = (stateOutput) => {
        next = { state: target, input: stateOutput as Json };
        return stateOutput;
      };
    }

    const run = new StateMachine(
      { ...machine.libraryDefinition, StartAt: state },
      { validationOptions: { noValidate: true } },
    ).run(input as LibraryJson, {
      context,
      overrides: { taskResourceLocalHandlers: handlers },
      noThrowOnAbort: true,
    });
    void this.countTransitions(run.eventLogs, machine);
    this.abortRun = () => {
      controller.abort();
      run.abort();
    };
    try {
      const output = await run.result;
      if (controller.signal.aborted) return { kind: 'interrupted' };
      return next ? { kind: 'next', ...next } : { kind: 'succeeded', output: output as Json };
    } catch (error) {
      if (controller.signal.aborted) return { kind: 'interrupted' };
      // The library wraps the state's error in an ExecutionError whose cause carries the ASL error name.
      const failure =
        (error as Error).cause instanceof Error ? ((error as Error).cause as Error) : (error as Error);
      return { kind: 'failed', error: failure.name, cause: failure.message };
    } finally {
      this.abortRun = undefined;
      controller.abort();
    }
  }

  /**
   * Counts each state entered and each retry, as Step Functions bills Standard workflows; the goto tasks are this
   * service's plumbing, not states of the ASL. A state rerun after a restart counts again. The library closes the
   * log when its run ends, succeeded, failed or aborted, which ends this loop.
   */
  private async countTransitions(
    events: LibraryRun['eventLogs'],
    machine: LoadedStateMachine,
  ): Promise<void> {
    for await (const event of events) {
      if (
        (event.type === 'StateEntered' && !machine.gotos.has(event.state.name)) ||
        event.type === 'StateRetried'
      ) {
        this.deps.counts.stateTransitions++;
      }
    }
  }

  /**
   * A new run of a top-level wait state continues the wait checkpointed for it (same token, deadline and answer);
   * waits nested in Parallel or Map states are rerun with new tokens, so their old tokens are closed.
   */
  private takeOverWaits(machine: LoadedStateMachine, state: string): WaitCheckpoint | undefined {
    let resumed: WaitCheckpoint | undefined;
    for (const wait of [...this.record.waits]) {
      if (!resumed && wait.state === state && machine.lambdaTasks.get(state)?.topLevel) {
        resumed = wait;
      } else {
        this.closeWait(wait);
      }
    }
    return resumed;
  }

  private async invoke(
    stateName: string,
    task: LambdaTask,
    parameters: LibraryJson,
    scope: RunScope,
  ): Promise<LibraryJson> {
    const { functionName, payload, timeoutSeconds } = readLambdaParameters(stateName, task, parameters);
    const events = taskEvents(this.record, 'invoke', this.deps.region);
    events.scheduled(withoutInternalParameters(parameters), timeoutSeconds);
    const call = this.callLambda(functionName, payload);
    let result: Json;
    try {
      result =
        timeoutSeconds === undefined
          ? await call
          : await this.withTimeout(call, timeoutSeconds, scope.signal);
    } catch (error) {
      events.failed((error as Error).name, (error as Error).message);
      throw error;
    }
    const answer = lambdaIntegrationResult(result);
    events.succeeded(answer);
    return answer;
  }

  private async waitForToken(
    stateName: string,
    task: LambdaTask,
    parameters: LibraryJson,
    scope: RunScope,
  ): Promise<LibraryJson> {
    const claimedToken = scope.claimToken();
    const { functionName, payload, timeoutSeconds } = readLambdaParameters(stateName, task, parameters);
    let wait = scope.resumedWait?.state === stateName ? scope.resumedWait : undefined;
    scope.resumedWait = undefined;
    if (!wait) {
      if (task.topLevel) {
        // An earlier attempt of this state (before a Retry) leaves its settled wait behind.
        for (const earlier of this.record.waits.filter((candidate) => candidate.state === stateName)) {
          this.closeWait(earlier);
        }
      }
      wait = {
        token: claimedToken ?? mintTaskToken(this.key),
        state: stateName,
        deadline: timeoutSeconds === undefined ? null : Date.now() + timeoutSeconds * 1000,
        notified: false,
      };
      this.record.waits.push(wait);
      this.waitEvents().scheduled(withoutInternalParameters(parameters), timeoutSeconds);
      // Token and deadline are durable before the Lambda hands the token to anyone.
      await this.deps.store.save(this.record);
    }
    const settled = this.settle(wait, scope);
    // The task may settle (time out) while the Lambda runs: keep that from counting as unhandled meanwhile.
    settled.catch(() => {});
    if (!wait.notified) {
      let submitted: Json | undefined;
      try {
        submitted = lambdaIntegrationResult(await this.callLambda(functionName, payload));
      } catch (error) {
        if (wait.answer === undefined && !wait.timedOut) {
          this.closeWait(wait);
          this.waitEvents().failed((error as Error).name, (error as Error).message);
          throw error;
        }
      }
      wait.notified = true;
      if (submitted !== undefined && wait.answer === undefined && !wait.timedOut) {
        this.waitEvents().submitted(submitted);
      }
      await this.deps.store.save(this.record);
    }
    return settled;
  }

  /** Settles with the wait's answer, or fails with States.Timeout at its deadline. */
  private settle(wait: WaitCheckpoint, scope: RunScope): Promise<LibraryJson> {
    return new Promise<LibraryJson>((resolve, reject) => {
      const deliver = (answer: TaskAnswer) => {
        if ('output' in answer) {
          resolve(answer.output as LibraryJson);
        } else {
          reject(new TaskFailure(answer.error, answer.cause));
        }
      };
      if (wait.answer) {
        deliver(wait.answer);
        return;
      }
      if (wait.timedOut) {
        reject(this.deps.timeoutError());
        return;
      }
      const timer = new AbortController();
      const waiter: Waiter = {
        deliver: (answer) => {
          waiter.cancel();
          deliver(answer);
        },
        cancel: () => {
          timer.abort();
          if (this.waiters.get(wait.token) === waiter) this.waiters.delete(wait.token);
        },
      };
      this.waiters.set(wait.token, waiter);
      scope.signal.addEventListener('abort', waiter.cancel, { once: true });
      const wakeAt = Math.min(wait.deadline ?? Number.POSITIVE_INFINITY, scope.startedAt + REARM_AFTER_MS);
      void sleepUntil(wakeAt, timer.signal).then(async () => {
        if (timer.signal.aborted || wait.answer) return;
        waiter.cancel();
        if (wait.deadline !== null && Date.now() >= wait.deadline) {
          wait.timedOut = true;
          this.waitEvents().failed('States.Timeout');
          await this.deps.store.save(this.record).then(() => reject(this.deps.timeoutError()), reject);
        } else {
          this.deps.log(`stepfunctions: ${this.record.executionArn} re-arms its wait in "${wait.state}"`);
          this.abortRun?.();
        }
      });
    });
  }

  private async callLambda(functionName: string, payload: Json): Promise<Json> {
    try {
      const result = await this.deps.invokeLambda(functionName, payload);
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as Json);
    } catch (error) {
      throw error instanceof Error
        ? new TaskFailure(error.name, error.message)
        : new TaskFailure('Error', `${error}`);
    }
  }

  private async withTimeout(call: Promise<Json>, seconds: number, signal: AbortSignal): Promise<Json> {
    const timer = new AbortController();
    const stopTimer = () => timer.abort();
    signal.addEventListener('abort', stopTimer, { once: true });
    const timeout = sleepUntil(Date.now() + seconds * 1000, timer.signal).then(() => {
      if (!timer.signal.aborted) throw this.deps.timeoutError();
      return new Promise<never>(() => {});
    });
    try {
      return await Promise.race([call, timeout]);
    } finally {
      signal.removeEventListener('abort', stopTimer);
      timer.abort();
    }
  }

  private waitEvents() {
    return taskEvents(this.record, 'invoke.waitForTaskToken', this.deps.region);
  }

  private closeWait(wait: WaitCheckpoint): void {
    this.waiters.get(wait.token)?.cancel();
    this.record.closedTokens[wait.token] = wait.timedOut
      ? 'timedOut'
      : wait.answer
        ? 'answered'
        : 'abandoned';
    this.record.waits = this.record.waits.filter((candidate) => candidate !== wait);
  }

  private async finish(
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    result: { output?: string; error?: string | undefined; cause?: string | undefined },
  ): Promise<void> {
    for (const wait of [...this.record.waits]) this.closeWait(wait);
    Object.assign(this.record, { status, stopDate: Date.now() }, result);
    executionEnded(this.record, result);
    await this.deps.store.archive(this.record);
    this.deps.onArchived(this);
    this.deps.log(
      `stepfunctions: ${this.record.executionArn} ${status}${result.error ? ` (${result.error})` : ''}`,
    );
  }
}

const typeOf = (machine: LoadedStateMachine, state: string) => machine.stateTypes.get(state) ?? 'Task';

/** The shape of the Lambda integration's answer, so ResultSelector/OutputPath written for AWS work unchanged. */
function lambdaIntegrationResult(payload: Json): Json {
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: { HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: randomUUID() },
    StatusCode: 200,
  };
}

/** The resolved Parameters as the ASL wrote them, without what this service adds to carry TimeoutSecondsPath. */
function withoutInternalParameters(parameters: LibraryJson): Json {
  const { [TIMEOUT_PARAMETER]: _timeout, ...rest } = (parameters ?? {}) as Record<string, Json>;
  return rest;
}

function readLambdaParameters(
  stateName: string,
  task: LambdaTask,
  parameters: LibraryJson,
): { functionName: string; payload: Json; timeoutSeconds: number | undefined } {
  const fields = (parameters ?? {}) as Record<string, Json>;
  const functionName = fields.FunctionName;
  if (typeof functionName !== 'string') {
    throw new StatesRuntimeError(`Task "${stateName}": Parameters.FunctionName must resolve to a string`);
  }
  let timeoutSeconds: number | undefined;
  if (task.timeout && 'seconds' in task.timeout) {
    timeoutSeconds = task.timeout.seconds;
  } else if (task.timeout) {
    const fromPath = fields[TIMEOUT_PARAMETER];
    if (typeof fromPath !== 'number' || !Number.isInteger(fromPath) || fromPath < 1) {
      throw new StatesRuntimeError(
        `Task "${stateName}": TimeoutSecondsPath ${task.timeout.fromPath} must point to a positive integer`,
      );
    }
    timeoutSeconds = fromPath;
  }
  // Without Payload the Lambda integration sends an empty event.
  return { functionName, payload: fields.Payload ?? {}, timeoutSeconds };
}
