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
