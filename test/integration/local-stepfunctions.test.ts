import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localLambdaInvoker } from '../../functions/local/lambda';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../functions/local/stepfunctions';
import { WorkflowPool } from '../../functions/local/workflow-pool';
import { localSfnClient } from '../support/sfn';

const fixtures = join(import.meta.dirname, '../fixtures/statemachines');
const substitutions = {
  GreetFunction: 'greet',
  FlakyFunction: 'flaky',
  NotifyFunction: 'notify-approver',
  HungFunction: 'hung',
};
const stateMachines = [
  { name: 'greet', definitionPath: join(fixtures, 'greet.asl.json'), substitutions },
  { name: 'flaky', definitionPath: join(fixtures, 'flaky.asl.json'), substitutions },
  { name: 'approval', definitionPath: join(fixtures, 'approval.asl.json'), substitutions },
  { name: 'every-approver', definitionPath: join(fixtures, 'every-approver.asl.json'), substitutions },
  {
    name: 'execution-deadline',
    definitionPath: join(fixtures, 'execution-deadline.asl.json'),
    substitutions,
  },
  { name: 'hung', definitionPath: join(fixtures, 'hung.asl.json'), substitutions },
  { name: 'hung-notify', definitionPath: join(fixtures, 'hung-notify.asl.json'), substitutions },
];

type Lambda = (payload: unknown) => Promise<unknown>;

describe('local Step Functions service', () => {
  let dataDir: string;
  let service: LocalStepFunctions;
  let client: SFNClient;
  let lambdas: Record<string, Lambda>;
  const invocations: { functionName: string; payload: unknown }[] = [];
  const hungLambda = localLambdaInvoker(
    new Map([['hung', { run: (payload: unknown) => (lambdas.hung as Lambda)(payload), timeoutSeconds: 1 }]]),
    new WorkflowPool(),
  );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sfn-'));
    service = await startLocalStepFunctions({
      dataDir,
      port: 0,
      stateMachines,
      invokeLambda: async (functionName, payload) => {
        invocations.push({ functionName, payload });
        // Through the local runtime's own Lambda stand-in, which holds each function to its timeout.
        if (functionName === 'hung') return hungLambda(functionName, payload);
        const lambda = lambdas[functionName];
        if (!lambda) throw new Error(`no Lambda ${functionName} in this test`);
        return lambda(payload);
      },
    });
    client = localSfnClient(service.url, { maxAttempts: 1 });
  });

  afterAll(async () => {
    client?.destroy();
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    invocations.length = 0;
    lambdas = { 'notify-approver': async () => ({ sent: true }) };
  });

  const start = async (machine: string, input: unknown, name?: string) => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: service.stateMachineArn(machine),
        input: JSON.stringify(input),
        name,
      }),
    );
    return executionArn as string;
  };

  const finished = async (
    executionArn: string,
    timeoutMs = 10_000,
  ): Promise<DescribeExecutionCommandOutput> => {
    const giveUpAt = Date.now() + timeoutMs;
    for (;;) {
      const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      if (Date.now() > giveUpAt) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  /** The token the notify Lambda was given for this ticket, once it has been called. */
  const tokenFor = async (ticket: string): Promise<string> => {
    const giveUpAt = Date.now() + 10_000;
    for (;;) {
      const call = invocations.find(
        ({ functionName, payload }) =>
          functionName === 'notify-approver' && (payload as { ticket: string }).ticket === ticket,
      );
      if (call) return (call.payload as { taskToken: string }).taskToken;
      if (Date.now() > giveUpAt) throw new Error(`notify-approver was not called for ${ticket}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('wraps a Lambda result as the Lambda integration does, so ResultSelector on Payload works', async () => {
    // Prepare
    lambdas.greet = async (payload) => ({ greeting: `hello ${(payload as { name: string }).name}` });

    // Act
    const execution = await finished(await start('greet', { name: 'alice' }));

    // Assess
    expect(invocations).toEqual([{ functionName: 'greet', payload: { name: 'alice' } }]);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual({
      name: 'alice',
      greeting: { Payload: { greeting: 'hello alice' }, StatusCode: 200 },
    });
    expect(execution.startDate).toBeInstanceOf(Date);
    expect(execution.stopDate?.getTime()).toBeGreaterThanOrEqual(execution.startDate?.getTime() ?? 0);
  });

  it('retries a TransientError and then catches a PermanentError by its name', async () => {
    // Prepare
    const errors = [
      Object.assign(new Error('the database blinked'), { name: 'TransientError' }),
      Object.assign(new Error('the account is closed'), { name: 'PermanentError' }),
    ];
    lambdas.flaky = async () => {
      throw errors.shift();
    };

    // Act
    const execution = await finished(await start('flaky', { id: 7 }));

    // Assess
    expect(invocations.map(({ functionName }) => functionName)).toEqual(['flaky', 'flaky']);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual({
      id: 7,
      failure: { Error: 'PermanentError', Cause: 'the account is closed' },
      outcome: 'recovered',
    });
  });

  it('fails the execution with the error name and message of an uncaught Lambda error', async () => {
    // Prepare
    lambdas.flaky = async () => {
      throw Object.assign(new Error('no such account'), { name: 'AccountMissing' });
    };

    // Act
    const execution = await finished(await start('flaky', {}));

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'AccountMissing', cause: 'no such account' });
  });

  it('fails a task whose function runs past its Lambda timeout with Sandbox.Timedout, which the state retries and then catches', async () => {
    // Prepare
    lambdas.hung = () => new Promise(() => {});

    // Act
    const execution = await finished(await start('hung', { id: 8 }));

    // Assess
    expect(invocations.map(({ functionName }) => functionName)).toEqual(['hung', 'hung']);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual({
      id: 8,
      failure: { Error: 'Sandbox.Timedout', Cause: 'Task timed out after 1.00 seconds' },
      outcome: 'recovered',
    });
  });

  it('fails a wait whose notify function runs past its Lambda timeout with Sandbox.Timedout, not States.Timeout', async () => {
    // Prepare
    lambdas.hung = () => new Promise(() => {});

    // Act
    const execution = await finished(await start('hung-notify', {}));

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toMatchObject({
      failure: { Error: 'Sandbox.Timedout' },
      outcome: 'recovered',
    });
  });

  it('resumes a waitForTaskToken task with the output of SendTaskSuccess at its ResultPath', async () => {
    // Prepare
    const executionArn = await start('approval', { ticket: 'T-1', approvalTimeoutSeconds: 3600 });
    const token = await tokenFor('T-1');

    // Act
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: 'bob' }) }),
    );
    const execution = await finished(executionArn);

    // Assess
    expect(token).toMatch(/^[A-Za-z0-9_-]{128}$/);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual({
      ticket: 'T-1',
      approvalTimeoutSeconds: 3600,
      stage: 'approved',
      decision: { approvedBy: 'bob' },
    });
  });

  it('lets ASL catch a SendTaskFailure by its error name', async () => {
    // Prepare
    const executionArn = await start('approval', { ticket: 'T-2', approvalTimeoutSeconds: 3600 });
    const token = await tokenFor('T-2');

    // Act
    await client.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'not needed' }),
    );
    const execution = await finished(executionArn);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toMatchObject({
      stage: 'denied',
      failure: { Error: 'Rejected', Cause: 'not needed' },
    });
  });

  it('answers TaskDoesNotExist to a second SendTaskSuccess with the same token', async () => {
    // Prepare
    const executionArn = await start('approval', { ticket: 'T-3', approvalTimeoutSeconds: 3600 });
    const token = await tokenFor('T-3');
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

    // Act
    const second = client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

    // Assess
    await expect(second).rejects.toBeInstanceOf(TaskDoesNotExist);
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: 'A'.repeat(128), output: '{}' })),
    ).rejects.toBeInstanceOf(TaskDoesNotExist);
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: 'not a token', output: '{}' })),
    ).rejects.toBeInstanceOf(InvalidToken);
  });

  it('gives each wait inside a Map iteration a token of its own', async () => {
    // Prepare
    const executionArn = await start('every-approver', { ticket: 'T-9', approvers: ['ann', 'ben'] });
    while (invocations.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const tokens = Object.fromEntries(
      invocations.map(({ payload }) => {
        const { approver, taskToken } = payload as { approver: string; taskToken: string };
        return [approver, taskToken];
      }),
    );

    // Act
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens.ben, output: '"ben says yes"' }));
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens.ann, output: '"ann says yes"' }));
    const execution = await finished(executionArn);

    // Assess
    expect(tokens.ann).not.toBe(tokens.ben);
    expect(JSON.parse(execution.output ?? '')).toMatchObject({ decisions: ['ann says yes', 'ben says yes'] });
  });

  it('fails a wait with States.Timeout at the deadline read from TimeoutSecondsPath, not caught as TaskFailed', async () => {
    // Prepare
    const startedAt = Date.now();
    const executionArn = await start('approval', { ticket: 'T-4', approvalTimeoutSeconds: 1 });
    const token = await tokenFor('T-4');

    // Act
    const execution = await finished(executionArn);

    // Assess
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1000);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('ends an execution past its own TimeoutSeconds as TIMED_OUT and closes its waiting task', async () => {
    // Prepare
    const executionArn = await start('execution-deadline', { ticket: 'T-10' });
    const token = await tokenFor('T-10');

    // Act
    const execution = await finished(executionArn);

    // Assess
    expect(execution).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('keeps waiting on a 30-day deadline, beyond the range of a Node timer', async () => {
    // Prepare
    const executionArn = await start('approval', { ticket: 'T-8', approvalTimeoutSeconds: 30 * 24 * 3600 });
    const token = await tokenFor('T-8');

    // Act
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waiting = await client.send(new DescribeExecutionCommand({ executionArn }));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

    // Assess
    expect(waiting.status).toBe('RUNNING');
    expect((await finished(executionArn)).status).toBe('SUCCEEDED');
  });

  it('answers ExecutionAlreadyExists for a reused name unless it repeats a running start with the same input', async () => {
    // Prepare
    const input = { ticket: 'T-5', approvalTimeoutSeconds: 3600 };
    const executionArn = await start('approval', input, 'ticket-T-5');

    // Act
    const repeated = await start('approval', input, 'ticket-T-5');
    const otherInput = start('approval', { ...input, ticket: 'T-6' }, 'ticket-T-5');

    // Assess
    expect(repeated).toBe(executionArn);
    expect(executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:approval:ticket-T-5');
    await expect(otherInput).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await client.send(new SendTaskSuccessCommand({ taskToken: await tokenFor('T-5'), output: '{}' }));
    await finished(executionArn);
    await expect(start('approval', input, 'ticket-T-5')).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('answers ExecutionDoesNotExist and StateMachineDoesNotExist for unknown ARNs', async () => {
    // Act
    const describeUnknown = client.send(
      new DescribeExecutionCommand({
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:greet:nope',
      }),
    );
    const startUnknown = start('no-such-machine', {});
    const [described, started] = await Promise.allSettled([describeUnknown, startUnknown]);

    // Assess
    expect(described).toMatchObject({ status: 'rejected', reason: expect.any(ExecutionDoesNotExist) });
    expect(started).toMatchObject({ status: 'rejected', reason: expect.any(StateMachineDoesNotExist) });
  });

  it('lists executions newest first, one page at a time with nextToken', async () => {
    // Prepare
    lambdas.greet = async () => ({});
    const started: string[] = [];
    for (const name of ['page-1', 'page-2', 'page-3']) {
      started.push(await start('greet', { name }, name));
      await finished(started.at(-1) as string);
    }

    // Act
    const names: (string | undefined)[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListExecutionsCommand({
          stateMachineArn: service.stateMachineArn('greet'),
          maxResults: 1,
          nextToken,
        }),
      );
      expect(page.executions).toHaveLength(1);
      names.push(page.executions?.[0]?.name);
      nextToken = page.nextToken;
    } while (nextToken);
    const succeeded = await client.send(
      new ListExecutionsCommand({
        stateMachineArn: service.stateMachineArn('greet'),
        statusFilter: 'SUCCEEDED',
      }),
    );
    const badToken = client.send(
      new ListExecutionsCommand({ stateMachineArn: service.stateMachineArn('greet'), nextToken: 'garbage!' }),
    );

    // Assess
    expect(names.filter((name) => name?.startsWith('page-'))).toEqual(['page-3', 'page-2', 'page-1']);
    expect(succeeded.executions?.map(({ name }) => name)).toEqual(
      expect.arrayContaining(['page-1', 'page-2']),
    );
    await expect(badToken).rejects.toBeInstanceOf(InvalidToken);
  });

  it('lists the configured state machines with AWS-shaped ARNs', async () => {
    // Act
    const { stateMachines: listed } = await client.send(new ListStateMachinesCommand({}));

    // Assess
    expect(listed?.map(({ name, stateMachineArn }) => ({ name, stateMachineArn }))).toEqual([
      { name: 'greet', stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:greet' },
      { name: 'flaky', stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:flaky' },
      { name: 'approval', stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:approval' },
      {
        name: 'every-approver',
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:every-approver',
      },
      {
        name: 'execution-deadline',
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:execution-deadline',
      },
      { name: 'hung', stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:hung' },
      {
        name: 'hung-notify',
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:hung-notify',
      },
    ]);
  });

  it('stops a waiting execution as ABORTED with the given error and cause, closing its task token', async () => {
    // Prepare
    const executionArn = await start('approval', { ticket: 'T-7', approvalTimeoutSeconds: 3600 });
    const token = await tokenFor('T-7');

    // Act
    const { stopDate } = await client.send(
      new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'withdrawn by requester' }),
    );
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));

    // Assess
    expect(stopDate).toBeInstanceOf(Date);
    expect(execution).toMatchObject({
      status: 'ABORTED',
      error: 'Cancelled',
      cause: 'withdrawn by requester',
    });
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });
});

describe('loading state machines', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sfn-load-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const startWith = (definitionPath: string, machineSubstitutions: Record<string, string>) =>
    startLocalStepFunctions({
      dataDir,
      port: 0,
      stateMachines: [{ name: 'under-test', definitionPath, substitutions: machineSubstitutions }],
      invokeLambda: async () => ({}),
    });

  it('refuses a JSONata state machine with a clear error', async () => {
    // Act
    const starting = startWith(join(fixtures, 'jsonata.asl.json'), {});

    // Assess
    await expect(starting).rejects.toThrow(/QueryLanguage "JSONata"/);
  });

  it('refuses a placeholder without a substitution, naming it', async () => {
    // Act
    const starting = startWith(join(fixtures, 'approval.asl.json'), { GreetFunction: 'greet' });

    // Assess
    await expect(starting).rejects.toThrow(/\$\{NotifyFunction\}/);
  });
});
