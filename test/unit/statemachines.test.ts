import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { stateMachines, workflowTasks } from '../../functions/workflow';

const root = new URL('../../', import.meta.url);

interface Catcher {
  ErrorEquals: string[];
  Next: string;
}
interface State {
  Type: string;
  Resource?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: Catcher[];
}

/**
 * Lambda's own failures, retried on every Lambda task (every workflow step is idempotent): the service
 * exceptions of Step Functions' "Handle transient Lambda service exceptions" best practice
 * (Lambda.ClientExecutionTimeoutException, ServiceException, AWSLambdaException, SdkClientException), throttling
 * (Lambda.TooManyRequestsException), what Step Functions reports an unhandled Lambda error as (Lambda.Unknown,
 * out-of-memory and older timeouts included), and Lambda's own name for a function timeout (Sandbox.Timedout).
 */
const lambdaFailures = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  'Sandbox.Timedout',
];

describe.each(stateMachines)('the state machine $name', ({ definitionFile }) => {
  const text = readFileSync(new URL(definitionFile, root), 'utf8');

  it('is valid Amazon States Language with its placeholders in place', () => {
    // Act
    const result = aslValidator(JSON.parse(text), { checkArn: true, checkPaths: true });
    // Assess
    expect(result.isValid, result.errorsText('\n')).toBe(true);
  });

  it('names only task functions that the task list defines, so CDK and the local runtime can substitute them', () => {
    // Act
    const placeholders = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map(([, name]) => name))];
    // Assess
    expect(placeholders.length).toBeGreaterThan(0);
    expect(placeholders.filter((name) => !workflowTasks.some((task) => task.placeholder === name))).toEqual(
      [],
    );
  });

  it('catches States.DataLimitExceeded by name wherever it catches everything, since States.ALL does not match it', () => {
    // Prepare
    const states = Object.entries((JSON.parse(text) as { States: Record<string, State> }).States);

    // Act
    const uncaught = states.flatMap(([name, state]) => {
      const catchers = state.Catch ?? [];
      const catchAll = catchers.find((catcher) => catcher.ErrorEquals.includes('States.ALL'));
      const byName = catchers.find((catcher) => catcher.ErrorEquals.includes('States.DataLimitExceeded'));
      return catchAll && byName?.Next !== catchAll.Next ? [name] : [];
    });

    // Assess
    expect(states.filter(([, state]) => state.Catch).length).toBeGreaterThan(0);
    expect(uncaught).toEqual([]);
  });

  it("retries Lambda's own failures, timeouts included, in every Lambda task", () => {
    // Prepare
    const states = Object.entries((JSON.parse(text) as { States: Record<string, State> }).States);
    const tasks = states.filter(([, state]) => state.Resource?.startsWith('arn:aws:states:::lambda:invoke'));

    // Act
    const missing = tasks.flatMap(([name, state]) => {
      const retried = new Set((state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals));
      return lambdaFailures.filter((error) => !retried.has(error)).map((error) => `${name}: ${error}`);
    });

    // Assess
    expect(tasks.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});

describe('the task list', () => {
  it('has every task named by some state machine, so no function is deployed that nothing invokes', () => {
    // Prepare
    const texts = stateMachines.map(({ definitionFile }) =>
      readFileSync(new URL(definitionFile, root), 'utf8'),
    );
    // Act
    const unused = workflowTasks.filter(
      (task) => !texts.some((text) => text.includes(`\${${task.placeholder}}`)),
    );
    // Assess
    expect(unused).toEqual([]);
  });
});

describe('the access-request state machine run with faked tasks', () => {
  const definition = readFileSync(new URL('statemachines/access-request.asl.json', root), 'utf8').replaceAll(
    /\$\{(\w+)\}/g,
    (_, name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  );
  const failing = (name: string) => async () => {
    throw Object.assign(new Error(`${name} failed`), { name: 'NotFoundError' });
  };

  it('ends failed in a Fail state of its own when recording a failure fails too, so reconcile can record it', async () => {
    // Prepare
    const machine = new StateMachine(JSON.parse(definition), { validationOptions: { noValidate: true } });

    // Act
    const run = machine.run(
      { ticketId: 'T-1' },
      {
        overrides: {
          taskResourceLocalHandlers: { Route: failing('Route'), RecordFailure: failing('RecordFailure') },
        },
      },
    );
    const outcome = await run.result.then(
      () => null,
      (error: Error) => error.cause as Error,
    );

    // Assess
    expect(outcome).toMatchObject({
      name: 'FailureNotRecorded',
      message: expect.stringContaining('reconcile'),
    });
  });
});

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type FakedTasks = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
/** What a faked task takes and answers: JSON, as the library types it. */
type JSONValue = Parameters<FakedTasks[string]>[0];

describe('the policy-simulation state machine run with faked tasks', () => {
  const definition = readFileSync(
    new URL('statemachines/policy-simulation.asl.json', root),
    'utf8',
  ).replaceAll(/\$\{(\w+)\}/g, (_, name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`);
  const machine = () => new StateMachine(JSON.parse(definition), { validationOptions: { noValidate: true } });
  /** What the function is invoked with: the Payload of the resolved Parameters. */
  const payloadOf = (parameters: JSONValue) => (parameters as { Payload: JSONValue }).Payload;
  /** What the Lambda integration hands on: the function's answer under `Payload`. */
  const page = (done: boolean, pagesRead: number) => ({
    Payload: {
      done,
      cursor: done ? null : { partition: 0, after: `T${pagesRead}` },
      progress: { done: pagesRead, total: 3 },
    },
  });

  it('runs a step per page until a step answers that the job is done', async () => {
    // Prepare
    const steps: unknown[] = [];
    const simulatePage = async (input: JSONValue) => {
      steps.push(payloadOf(input));
      return page(steps.length === 3, steps.length);
    };

    // Act
    const output = await machine().run(
      { jobId: 'J-1' },
      { overrides: { taskResourceLocalHandlers: { SimulatePage: simulatePage } } },
    ).result;

    // Assess
    expect(steps).toEqual([{ jobId: 'J-1' }, { jobId: 'J-1' }, { jobId: 'J-1' }]);
    expect(output).toMatchObject({ jobId: 'J-1', page: { done: true, progress: { done: 3, total: 3 } } });
  });

  it('marks the job failed with the error of a step that fails for good, and ends failed', async () => {
    // Prepare
    const marked: unknown[] = [];
    const failing = async () => {
      throw Object.assign(new Error('The candidate policy set is not stored'), { name: 'NotFoundError' });
    };
    const markFailed = async (input: JSONValue) => {
      marked.push(payloadOf(input));
      return { Payload: { recorded: true } };
    };

    // Act
    const outcome = await machine()
      .run(
        { jobId: 'J-2' },
        { overrides: { taskResourceLocalHandlers: { SimulatePage: failing, MarkFailed: markFailed } } },
      )
      .result.then(
        () => null,
        (error: Error) => error.cause as Error,
      );

    // Assess
    expect(marked).toEqual([
      { jobId: 'J-2', error: { Error: 'NotFoundError', Cause: expect.stringContaining('not stored') } },
    ]);
    expect(outcome).toMatchObject({ name: 'SimulationFailed' });
  });
});
