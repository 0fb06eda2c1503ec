import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../functions/local/stepfunctions';

const run = promisify(execFile);
const fixtures = join(import.meta.dirname, '../fixtures/statemachines');

describe('local Step Functions with the AWS CLI', () => {
  let dataDir: string;
  let service: LocalStepFunctions;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sfn-cli-'));
    service = await startLocalStepFunctions({
      dataDir,
      port: 0,
      stateMachines: [
        {
          name: 'greet',
          definitionPath: join(fixtures, 'greet.asl.json'),
          substitutions: { GreetFunction: 'greet' },
        },
      ],
      invokeLambda: async (_functionName, payload) => ({
        greeting: `hi ${(payload as { name: string }).name}`,
      }),
    });
  });

  afterAll(async () => {
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const aws = async (...args: string[]): Promise<unknown> => {
    const { stdout } = await run(
      'aws',
      ['stepfunctions', ...args, '--endpoint-url', service.url, '--output', 'json'],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_DEFAULT_REGION: 'us-east-1',
        },
      },
    );
    return JSON.parse(stdout);
  };

  it('starts, lists and describes executions, and prints the AWS error for an unknown one', async () => {
    // Prepare
    const stateMachineArn = service.stateMachineArn('greet');

    // Act
    const started = (await aws(
      'start-execution',
      '--state-machine-arn',
      stateMachineArn,
      '--name',
      'from-cli',
      '--input',
      '{"name":"dora"}',
    )) as { executionArn: string };
    let described: { status: string; output?: string; startDate: number };
    do {
      described = (await aws(
        'describe-execution',
        '--execution-arn',
        started.executionArn,
      )) as typeof described;
    } while (described.status === 'RUNNING');
    const listed = (await aws('list-executions', '--state-machine-arn', stateMachineArn)) as {
      executions: { name: string; status: string }[];
    };
    const unknown = aws('describe-execution', '--execution-arn', `${started.executionArn}-missing`);

    // Assess
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:greet:from-cli');
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '')).toMatchObject({
      greeting: { Payload: { greeting: 'hi dora' } },
    });
    // AWS sends dates as epoch seconds, which the CLI v1 prints as they came.
    expect(Math.abs(described.startDate * 1000 - Date.now())).toBeLessThan(60_000);
    expect(listed.executions).toEqual([expect.objectContaining({ name: 'from-cli', status: 'SUCCEEDED' })]);
    await expect(unknown).rejects.toThrow(/ExecutionDoesNotExist/);
  });
});
