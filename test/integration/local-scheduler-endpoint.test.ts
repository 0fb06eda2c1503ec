import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { ListExecutionsCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { atExpression, SchedulerGrantSchedules } from '../../functions/adapters/scheduler';
import { localCredentials } from '../../functions/local/dynamodb';
import {
  type LocalSchedulerService,
  startLocalSchedulerService,
} from '../../functions/local/scheduler-service';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../functions/local/stepfunctions';
import { localSfnClient } from '../support/sfn';
import { newDataDir, removeDataDir, startTollgate } from '../support/tollgate-process';
import { TollgateClient } from '../support/workflow-client';

const run = promisify(execFile);
/** The AWS CLI v1's `aws scheduler` against a local endpoint. */
const aws = (endpoint: string, ...args: string[]) =>
  run('aws', ['scheduler', ...args, '--endpoint-url', endpoint, '--output', 'json'], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_DEFAULT_REGION: 'us-east-1',
    },
  });
const fixtures = join(import.meta.dirname, '../fixtures/statemachines');
const settings = {
  roleArn: 'arn:aws:iam::000000000000:role/tollgate-scheduler',
  deadLetterQueueArn: 'arn:aws:sqs:us-east-1:000000000000:tollgate-revocations-dlq',
};

describe('local EventBridge Scheduler endpoint', () => {
  let dataDir: string;
  let stepFunctions: LocalStepFunctions;
  let sfn: SFNClient;
  let service: LocalSchedulerService | undefined;
  const greeted: unknown[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-scheduler-endpoint-'));
    stepFunctions = await startLocalStepFunctions({
      dataDir,
      port: 0,
      stateMachines: [
        {
          name: 'greet',
          definitionPath: join(fixtures, 'greet.asl.json'),
          substitutions: { GreetFunction: 'greet' },
        },
      ],
      invokeLambda: async (_functionName, payload) => {
        greeted.push(payload);
        return { greeting: `hi ${(payload as { name: string }).name}` };
      },
    });
    sfn = localSfnClient(stepFunctions.url);
  });

  afterEach(async () => {
    await service?.close();
    service = undefined;
  });

  afterAll(async () => {
    await stepFunctions?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The endpoint on the shared data folder, firing into the local Step Functions service. */
  const startService = async (): Promise<SchedulerClient> => {
    service = await startLocalSchedulerService({
      dataDir,
      port: 0,
      startExecution: async ({ stateMachineArn, name, input }) => {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      },
    });
    return new SchedulerClient({
      endpoint: service.url,
      region: 'us-east-1',
      credentials: localCredentials,
      maxAttempts: 1,
    });
  };

  const executions = async () =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn: stepFunctions.stateMachineArn('greet') })))
      .executions ?? [];

  /** Waits until `ready` answers true, failing after `ms`. */
  const eventually = async (ready: () => Promise<boolean>, ms: number) => {
    const giveUp = Date.now() + ms;
    while (!(await ready())) {
      if (Date.now() > giveUp) throw new Error(`not ready within ${ms} ms`);
      await sleep(100);
    }
  };

  /** The universal target that starts an execution with the Input as StartExecution's request. */
  const startExecutionTarget = () => ({
    Arn: 'arn:aws:scheduler:::aws-sdk:sfn:startExecution',
    RoleArn: settings.roleArn,
    DeadLetterConfig: { Arn: settings.deadLetterQueueArn },
  });

  const schedule = (name: string, expression: string): CreateScheduleCommandInput => ({
    Name: name,
    ScheduleExpression: expression,
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    Target: {
      ...startExecutionTarget(),
      Input: JSON.stringify({
        StateMachineArn: stepFunctions.stateMachineArn('greet'),
        Name: name,
        Input: JSON.stringify({ name }),
      }),
    },
  });

  /** What the endpoint wrote to its stand-in for the dead-letter queue. */
  const deadLetters = async (): Promise<unknown[]> => {
    const text = await readFile(join(dataDir, 'scheduler-service', 'dead-letters.jsonl'), 'utf8').catch(
      () => '',
    );
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  };

  it('creates, reads, replaces, lists and deletes a schedule, with the errors Scheduler answers', async () => {
    // Prepare
    const client = await startService();
    const created = await client.send(new CreateScheduleCommand(schedule('crud', 'at(2099-01-01T00:00:00)')));

    // Act
    const duplicate = await client
      .send(new CreateScheduleCommand(schedule('crud', 'at(2099-06-01T00:00:00)')))
      .catch((error: unknown) => error);
    const updated = await client.send(new UpdateScheduleCommand(schedule('crud', 'at(2099-02-01T12:30:00)')));
    const read = await client.send(new GetScheduleCommand({ Name: 'crud' }));
    const listed = await client.send(new ListSchedulesCommand({ NamePrefix: 'cr' }));
    await client.send(new DeleteScheduleCommand({ Name: 'crud' }));

    // Assess
    expect(duplicate).toBeInstanceOf(ConflictException);
    expect(created.ScheduleArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule/default/crud');
    expect(updated.ScheduleArn).toBe(created.ScheduleArn);
    expect(read).toMatchObject({
      Name: 'crud',
      GroupName: 'default',
      ScheduleExpression: 'at(2099-02-01T12:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:sfn:startExecution',
        DeadLetterConfig: { Arn: settings.deadLetterQueueArn },
      },
    });
    expect(read.CreationDate).toBeInstanceOf(Date);
    expect(listed.Schedules?.map((listedOne) => [listedOne.Name, listedOne.Target?.Arn])).toEqual([
      ['crud', 'arn:aws:scheduler:::aws-sdk:sfn:startExecution'],
    ]);
    await expect(client.send(new GetScheduleCommand({ Name: 'crud' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(client.send(new DeleteScheduleCommand({ Name: 'crud' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      client.send(new UpdateScheduleCommand(schedule('crud', 'at(2099-02-01T12:30:00)'))),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses, as a ValidationException, what it cannot fire as asked', async () => {
    // Prepare
    const client = await startService();
    const lambdaTarget = schedule('lambda', 'at(2099-01-01T00:00:00)');

    // Act
    const attempts = await Promise.allSettled([
      client.send(new CreateScheduleCommand(schedule('recurring', 'rate(5 minutes)'))),
      client.send(new CreateScheduleCommand(schedule('no-such-day', 'at(2099-02-30T00:00:00)'))),
      client.send(
        new CreateScheduleCommand({
          ...schedule('paris', 'at(2099-01-01T00:00:00)'),
          ScheduleExpressionTimezone: 'Europe/Paris',
        }),
      ),
      client.send(
        new CreateScheduleCommand({
          ...lambdaTarget,
          Target: {
            ...lambdaTarget.Target,
            Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
            RoleArn: settings.roleArn,
          },
        }),
      ),
      client.send(new CreateScheduleCommand(schedule('bad name!', 'at(2099-01-01T00:00:00)'))),
    ]);

    // Assess
    for (const attempt of attempts) {
      expect(attempt.status === 'rejected' && attempt.reason).toBeInstanceOf(ValidationException);
    }
    expect((await client.send(new ListSchedulesCommand({}))).Schedules).toEqual([]);
  });

  it('fires a grant schedule once, at its time, starting the execution named after the grant, and deletes it', async () => {
    // Prepare
    const client = await startService();
    const grants = new SchedulerGrantSchedules(client, settings);
    const at = new Date(Date.now() + 2_000);
    const target = {
      stateMachineArn: stepFunctions.stateMachineArn('greet'),
      executionName: 'G1-20260101T000000000Z',
      input: { name: 'grant-one' },
    };

    // Act
    const first = await grants.schedule('G1', at, target);
    const again = await grants.schedule('G1', at, target);
    const before = await executions();
    await eventually(async () => (await executions()).length > 0, 6_000);
    // Long enough for a second firing, were there one.
    await sleep(1_500);

    // Assess
    expect([first, again]).toEqual(['created', 'exists']);
    expect(before).toEqual([]);
    const started = await executions();
    expect(started.map((execution) => execution.name)).toEqual(['G1-20260101T000000000Z']);
    // `at()` counts whole seconds, rounded up: never before the time asked for.
    expect(started[0]?.startDate?.getTime()).toBeGreaterThanOrEqual(Math.ceil(at.getTime() / 1000) * 1000);
    expect(greeted).toContainEqual({ name: 'grant-one' });
    await expect(client.send(new GetScheduleCommand({ Name: 'grant-G1' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    expect(await grants.cancel('G1')).toBe('absent');
  });

  it('moves and cancels a grant schedule: an update replaces it, a cancelled one never fires', async () => {
    // Prepare
    const client = await startService();
    const grants = new SchedulerGrantSchedules(client, settings);
    const target = {
      stateMachineArn: stepFunctions.stateMachineArn('greet'),
      executionName: 'G2-revoke',
      input: { name: 'grant-two' },
    };
    await grants.schedule('G2', new Date('2099-01-01T00:00:00.250Z'), target);

    // Act
    const moved = await grants.reschedule('G2', new Date(Date.now() + 1_000), target);
    const cancelled = await grants.cancel('G2');
    const absent = await grants.reschedule('G2', new Date('2099-01-01T00:00:00Z'), target);
    await sleep(2_500);

    // Assess
    expect([moved, cancelled, absent]).toEqual(['updated', 'cancelled', 'absent']);
    expect((await executions()).map((execution) => execution.name)).not.toContain('G2-revoke');
    expect(atExpression(new Date('2099-01-01T00:00:00.250Z'))).toBe('at(2099-01-01T00:00:01)');
  });

  it('writes a schedule whose execution cannot start to the dead letters, naming its queue, and completes it', async () => {
    // Prepare
    const client = await startService();
    const unstartable = schedule('unstartable', atExpression(new Date(Date.now() + 1_000)));
    const input = JSON.stringify({
      StateMachineArn: stepFunctions.stateMachineArn('no-such-machine'),
      Name: 'x',
    });

    // Act
    await client.send(
      new CreateScheduleCommand({ ...unstartable, Target: { ...startExecutionTarget(), Input: input } }),
    );
    await eventually(async () => (await deadLetters()).length > 0, 5_000);

    // Assess
    expect(await deadLetters()).toEqual([
      expect.objectContaining({
        schedule: 'unstartable',
        deadLetterArn: settings.deadLetterQueueArn,
        error: expect.objectContaining({ name: 'StateMachineDoesNotExist' }),
      }),
    ]);
    await expect(client.send(new GetScheduleCommand({ Name: 'unstartable' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('keeps schedules across a restart, and fires at start, once, one whose time passed while it was stopped', async () => {
    // Prepare
    let client = await startService();
    await client.send(new CreateScheduleCommand(schedule('kept', 'at(2099-01-01T00:00:00)')));
    const at = new Date(Math.ceil((Date.now() + 1_000) / 1000) * 1000);
    await client.send(new CreateScheduleCommand(schedule('missed', atExpression(at))));
    await service?.close();
    await eventually(async () => Date.now() > at.getTime() + 500, 5_000);
    const whileStopped = await executions();

    // Act
    client = await startService();
    await eventually(
      async () => (await executions()).some((execution) => execution.name === 'missed'),
      5_000,
    );
    await service?.close();
    client = await startService();
    await sleep(500);

    // Assess
    expect(whileStopped.map((execution) => execution.name)).not.toContain('missed');
    expect((await executions()).filter((execution) => execution.name === 'missed')).toHaveLength(1);
    const listed = await client.send(new ListSchedulesCommand({}));
    expect(listed.Schedules?.map((kept) => kept.Name)).toEqual(['kept']);
  });

  it('answers the AWS CLI v1: aws scheduler list-schedules and get-schedule', async () => {
    // Prepare
    const client = await startService();
    await client.send(new CreateScheduleCommand(schedule('from-cli', 'at(2099-03-01T00:00:00)')));
    // Act
    const listed = JSON.parse((await aws(service?.url ?? '', 'list-schedules')).stdout) as {
      Schedules: { Name: string }[];
    };
    const missing = await aws(service?.url ?? '', 'get-schedule', '--name', 'no-such-schedule').then(
      () => '',
      (error: { stderr: string }) => error.stderr,
    );

    // Assess
    expect(listed.Schedules.map((listedOne) => listedOne.Name)).toContain('from-cli');
    expect(missing).toMatch(/ResourceNotFoundException/);
  });
});

describe('the Scheduler endpoint of npm start', () => {
  it('is listed by GET /dev/endpoints and keeps its schedules across a restart', async () => {
    // Prepare
    const dataDir = newDataDir();
    let tollgate = await startTollgate({ dataDir });
    try {
      const client = new SchedulerClient({
        endpoint: (await new TollgateClient(tollgate.url).endpoints()).scheduler,
        region: 'us-east-1',
        credentials: localCredentials,
      });
      await client.send(
        new CreateScheduleCommand({
          Name: 'grant-far-away',
          ScheduleExpression: 'at(2099-01-01T00:00:00)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:tollgate-revocation',
            RoleArn: settings.roleArn,
            Input: '{}',
          },
        }),
      );

      // Act
      await tollgate.stop();
      tollgate = await startTollgate({ dataDir });
      const endpoint = (await new TollgateClient(tollgate.url).endpoints()).scheduler;
      const listed = JSON.parse((await aws(endpoint, 'list-schedules')).stdout) as {
        Schedules: { Name: string }[];
      };

      // Assess
      expect(listed.Schedules.map((kept) => kept.Name)).toEqual(['grant-far-away']);
    } finally {
      await tollgate.stop();
      removeDataDir(dataDir);
    }
  });
});
