import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidToken,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executionArnOf } from '../../functions/adapters/step-functions';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../functions/local/stepfunctions';
import type { ExecutionRecord } from '../../functions/local/stepfunctions/checkpoints';
import { appendEvent, MAX_HISTORY_EVENTS } from '../../functions/local/stepfunctions/history';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { githubFlow } from '../support/seed';
import { localSfnClient } from '../support/sfn';
import { eventually, TollgateClient } from '../support/workflow-client';

const run = promisify(execFile);

/** The states a history enters, in order. */
const statesEntered = (events: { type?: string; stateEnteredEventDetails?: { name?: string } }[]) =>
  events
    .filter((event) => event.type?.endsWith('StateEntered'))
    .map((event) => event.stateEnteredEventDetails?.name);

/** An access ticket approved by its manager and fulfilled, through the API, on the project's state machine. */
describe('GetExecutionHistory for a ticket that went through the whole workflow', () => {
  let system: TestRuntime;
  let sfn: SFNClient;
  let executionArn: string;
  let everything: HistoryEvent[];

  beforeAll(async () => {
    system = await startTestRuntime();
    const client = new TollgateClient(system.url);
    const { requester, manager, fulfiller, request } = githubFlow;
    const filed = await client.call<{ id: string }>(requester, 'POST', '/requests', request);
    const ticketId = filed.body.id;
    await client.submitLink(await client.linkFor(manager, ticketId, 'Approval needed'), {
      decision: 'approve',
    });
    await client.submitLink(await client.linkFor(fulfiller, ticketId, 'To fulfil'), { result: 'done' });
    sfn = localSfnClient(system.runtime.endpoints.stepfunctions, { maxAttempts: 1 });
    executionArn = executionArnOf(
      'arn:aws:states:us-east-1:000000000000:stateMachine:access-request',
      ticketId,
    );
    await eventually(async () => {
      const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return status === 'RUNNING' ? undefined : status;
    });
    everything =
      (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
  });

  afterAll(async () => {
    sfn?.destroy();
    await system?.close();
  });

  it('shows the states the ticket went through, from ExecutionStarted to ExecutionSucceeded', () => {
    // Prepare
    const types = everything.map((event) => event.type);

    // Act
    const entered = statesEntered(everything);

    // Assess
    expect(entered).toEqual([
      'Route',
      'NextStep',
      'WaitForApproval',
      'AfterApproval',
      'NextStep',
      'WaitForFulfilment',
      'AfterFulfilment',
      'NextStep',
      'Done',
    ]);
    expect(types.at(0)).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types).toContain('ChoiceStateEntered');
    expect(types).toContain('ChoiceStateExited');
    expect(types.slice(-3)).toEqual(['SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded']);
  });

  it('numbers the events from 1, each naming the one before it, with timestamps in order', () => {
    // Prepare
    const ids = everything.map((event) => event.id);

    // Act
    const previous = everything.map((event) => event.previousEventId);

    // Assess
    expect(ids).toEqual(everything.map((_, index) => index + 1));
    expect(previous).toEqual(everything.map((_, index) => index));
    const times = everything.map((event) => event.timestamp?.getTime() ?? 0);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.abs((times[0] ?? 0) - Date.now())).toBeLessThan(120_000);
  });

  it('records a wait for a person as AWS does: scheduled, started, submitted, succeeded, exited', () => {
    // Prepare
    const start = everything.findIndex((event) => event.stateEnteredEventDetails?.name === 'WaitForApproval');

    // Act
    const wait = everything.slice(start, start + 6);

    // Assess
    expect(wait.map((event) => event.type)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
    const [, scheduled, started, submitted, succeeded, exited] = wait;
    expect(scheduled?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: 'us-east-1',
    });
    expect(JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '')).toMatchObject({
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:tollgate-notify',
      Payload: { kind: 'approval', taskToken: expect.any(String) },
    });
    expect(scheduled?.taskScheduledEventDetails?.timeoutInSeconds).toBeGreaterThan(0);
    expect(started?.taskStartedEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
    });
    expect(JSON.parse(submitted?.taskSubmittedEventDetails?.output ?? '')).toMatchObject({ StatusCode: 200 });
    expect(succeeded?.taskSucceededEventDetails?.output).toBeDefined();
    expect(exited?.stateExitedEventDetails?.name).toBe('WaitForApproval');
  });

  it('records a Lambda task with its input, its resolved parameters and its wrapped output', () => {
    // Prepare
    const route = everything.slice(1, 6);

    // Act
    const [entered, scheduled, , succeeded, exited] = route;

    // Assess
    expect(route.map((event) => event.type)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
    expect(JSON.parse(entered?.stateEnteredEventDetails?.input ?? '')).toHaveProperty('ticketId');
    expect(JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '')).toMatchObject({
      Payload: { after: 'intake' },
    });
    expect(scheduled?.taskScheduledEventDetails?.resource).toBe('invoke');
    expect(JSON.parse(succeeded?.taskSucceededEventDetails?.output ?? '')).toMatchObject({
      StatusCode: 200,
      Payload: { next: 'approval' },
    });
    expect(JSON.parse(exited?.stateExitedEventDetails?.output ?? '')).toMatchObject({
      step: { next: 'approval' },
    });
  });

  it('pages with maxResults and nextToken through the same events', async () => {
    // Prepare
    const pages: HistoryEvent[][] = [];
    let nextToken: string | undefined;

    // Act
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 7, nextToken }));
      pages.push(page.events ?? []);
      nextToken = page.nextToken;
    } while (nextToken);

    // Assess
    expect(pages.flat()).toEqual(everything);
    expect(pages.slice(0, -1).every((page) => page.length === 7)).toBe(true);
  });

  it('answers the newest events first with reverseOrder, and pages that way too', async () => {
    // Prepare
    const first = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 3, reverseOrder: true }),
    );

    // Act
    const second = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 3,
        reverseOrder: true,
        nextToken: first.nextToken,
      }),
    );

    // Assess
    expect([...(first.events ?? []), ...(second.events ?? [])]).toEqual(
      [...everything].reverse().slice(0, 6),
    );
  });

  it('leaves out inputs and outputs when includeExecutionData is false', async () => {
    // Prepare
    const request = { executionArn, maxResults: 1000, includeExecutionData: false };

    // Act
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand(request));

    // Assess
    expect(events.map((event) => event.type)).toEqual(everything.map((event) => event.type));
    expect(JSON.stringify(events)).not.toMatch(/"(input|output)"/);
  });

  it('refuses a nextToken it did not give, and an unknown execution, with the AWS errors', async () => {
    // Prepare
    const unknown = `${executionArn}-missing`;

    // Act
    const [badToken, missing] = await Promise.allSettled([
      sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'not-ours' })),
      sfn.send(new GetExecutionHistoryCommand({ executionArn: unknown })),
    ]);

    // Assess
    expect(badToken).toMatchObject({ status: 'rejected', reason: expect.any(InvalidToken) });
    expect(missing).toMatchObject({ status: 'rejected', reason: expect.any(ExecutionDoesNotExist) });
  });

  it('answers aws stepfunctions get-execution-history, the CLI paging through it', async () => {
    // Prepare
    const args = ['stepfunctions', 'get-execution-history', '--execution-arn', executionArn];
    const endpoint = ['--endpoint-url', system.runtime.endpoints.stepfunctions, '--output', 'json'];
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_DEFAULT_REGION: 'us-east-1',
    };

    // Act
    const { stdout } = await run('aws', [...args, '--page-size', '5', ...endpoint], { env });

    // Assess
    const { events } = JSON.parse(stdout) as {
      events: { id: number; type: string; stateEnteredEventDetails?: { name: string } }[];
    };
    expect(events.map((event) => event.id)).toEqual(everything.map((event) => event.id));
    expect(statesEntered(events)).toEqual(statesEntered(everything));
  });
});

describe('the history of an execution across a restart', () => {
  let dataDir: string;
  let service: LocalStepFunctions | undefined;
  let sfn: SFNClient | undefined;
  let tokens: string[];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sfn-history-'));
    tokens = [];
  });

  afterEach(async () => {
    sfn?.destroy();
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const startService = async () => {
    service = await startLocalStepFunctions({
      dataDir,
      port: 0,
      stateMachines: [
        {
          name: 'approval',
          definitionPath: join(import.meta.dirname, '../fixtures/statemachines/approval.asl.json'),
          substitutions: { NotifyFunction: 'notify-approver' },
        },
      ],
      invokeLambda: async (_functionName, payload) => {
        tokens.push((payload as { taskToken: string }).taskToken);
        return { sent: true };
      },
    });
    sfn?.destroy();
    sfn = localSfnClient(service.url, { maxAttempts: 1 });
    return { service, sfn };
  };

  it('keeps the events from before the restart and adds the rest, entering each state once', async () => {
    // Prepare
    const first = await startService();
    const { executionArn } = await first.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: first.service.stateMachineArn('approval'),
        input: JSON.stringify({ ticket: 'H-1', approvalTimeoutSeconds: 3600 }),
      }),
    );
    const token = await eventually(async () => tokens[0]);
    await eventually(async () => {
      const { events = [] } = await first.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      return events.some((event) => event.type === 'TaskSubmitted') ? true : undefined;
    });
    await first.service.close();
    service = undefined;

    // Act
    const second = await startService();
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approvedBy":"carol"}' }));
    const types = await eventually(async () => {
      const { events = [] } = await second.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      return events.at(-1)?.type === 'ExecutionSucceeded' ? events.map((event) => event.type) : undefined;
    });

    // Assess
    expect(types).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });
});

describe('the bound on an execution history', () => {
  it('keeps ExecutionStarted and the newest events, numbering on', () => {
    // Prepare
    const record = { input: '{}', status: 'RUNNING' } as ExecutionRecord;
    appendEvent(record, 'ExecutionStarted');

    // Act
    for (let count = 0; count < MAX_HISTORY_EVENTS + 10; count++) appendEvent(record, 'PassStateEntered');

    // Assess
    expect(record.history).toHaveLength(MAX_HISTORY_EVENTS);
    expect(record.history?.[0]).toMatchObject({ id: 1, type: 'ExecutionStarted' });
    expect(record.history?.[1]?.id).toBe(13);
    expect(record.history?.at(-1)?.id).toBe(MAX_HISTORY_EVENTS + 11);
  });
});
