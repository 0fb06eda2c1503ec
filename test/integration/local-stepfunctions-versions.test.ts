import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../functions/local/stepfunctions';
import { localSfnClient } from '../support/sfn';

/** The ASL placeholder the service substitutes (spelt out: it is not a template string). */
const NOTIFY_PLACEHOLDER = ['$', '{NotifyFunction}'].join('');

/** A wait for a person, then a last state that says which version of the definition ran it. */
const definition = (version: 'A' | 'B', lastState: string) =>
  JSON.stringify({
    StartAt: 'AskApprover',
    States: {
      AskApprover: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: NOTIFY_PLACEHOLDER, Payload: { 'taskToken.$': '$$.Task.Token' } },
        ResultPath: '$.decision',
        Next: lastState,
      },
      [lastState]: { Type: 'Pass', Result: version, ResultPath: '$.ranOn', End: true },
    },
  });

describe('local Step Functions across a change of the definition', () => {
  let dataDir: string;
  let definitionPath: string;
  let service: LocalStepFunctions | undefined;
  let client: SFNClient | undefined;
  let tokens: string[];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sfn-versions-'));
    definitionPath = join(dataDir, 'approval.asl.json');
    tokens = [];
  });

  afterEach(async () => {
    client?.destroy();
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const startService = async () => {
    service = await startLocalStepFunctions({
      dataDir: join(dataDir, 'data'),
      port: 0,
      stateMachines: [
        { name: 'approval', definitionPath, substitutions: { NotifyFunction: 'notify-approver' } },
      ],
      invokeLambda: async (_functionName, payload) => {
        tokens.push((payload as { taskToken: string }).taskToken);
        return {};
      },
    });
    client?.destroy();
    client = localSfnClient(service.url, { maxAttempts: 1 });
    return { service, client };
  };

  const stopService = async () => {
    await service?.close();
    service = undefined;
  };

  /** Starts an execution and answers with its token once the notify Lambda has it. */
  const startWaiting = async (sfn: SFNClient, stateMachineArn: string) => {
    const before = tokens.length;
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
    while (tokens.length === before) await new Promise((resolve) => setTimeout(resolve, 10));
    return { executionArn: executionArn as string, token: tokens.at(-1) as string };
  };

  const approveAndFinish = async (
    sfn: SFNClient,
    executionArn: string,
    token: string,
  ): Promise<DescribeExecutionCommandOutput> => {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    const giveUpAt = Date.now() + 10_000;
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      if (Date.now() > giveUpAt) throw new Error(`${executionArn} still RUNNING`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  it('resumes an execution after a restart on the definition it started with, not the changed file', async () => {
    // Prepare
    await writeFile(definitionPath, definition('A', 'Approved'));
    const first = await startService();
    const waiting = await startWaiting(first.client, first.service.stateMachineArn('approval'));
    await stopService();
    await writeFile(definitionPath, definition('B', 'Recorded'));

    // Act
    const second = await startService();
    const execution = await approveAndFinish(second.client, waiting.executionArn, waiting.token);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toEqual({ decision: { approved: true }, ranOn: 'A' });
  });

  it('starts executions after the restart on the changed definition', async () => {
    // Prepare
    await writeFile(definitionPath, definition('A', 'Approved'));
    await startService();
    await stopService();
    await writeFile(definitionPath, definition('B', 'Recorded'));
    const second = await startService();

    // Act
    const waiting = await startWaiting(second.client, second.service.stateMachineArn('approval'));
    const execution = await approveAndFinish(second.client, waiting.executionArn, waiting.token);

    // Assess
    expect(JSON.parse(execution.output ?? '')).toEqual({ decision: { approved: true }, ranOn: 'B' });
  });

  it('starts many executions at once on a definition that is not stored yet', async () => {
    // Prepare
    await writeFile(definitionPath, definition('A', 'Approved'));
    const { service: started, client: sfn } = await startService();
    const stateMachineArn = started.stateMachineArn('approval');

    // Act
    const starts = await Promise.allSettled(
      Array.from({ length: 8 }, () => sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }))),
    );

    // Assess
    expect(starts.filter((start) => start.status === 'rejected')).toEqual([]);
  });
});
