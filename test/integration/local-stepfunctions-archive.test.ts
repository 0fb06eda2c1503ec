import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../functions/local/stepfunctions';
import { localSfnClient } from '../support/sfn';

const approval = join(import.meta.dirname, '../fixtures/statemachines/approval.asl.json');

describe('local Step Functions: finished executions leave memory for an archive on disk', () => {
  let dataDir: string;
  let service: LocalStepFunctions | undefined;
  let client: SFNClient | undefined;
  let tokens: Map<string, string>;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sfn-archive-'));
    tokens = new Map();
  });

  afterEach(async () => {
    client?.destroy();
    await service?.close();
    service = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  const startService = async () => {
    await service?.close();
    service = await startLocalStepFunctions({
      dataDir,
      port: 0,
      stateMachines: [
        { name: 'approval', definitionPath: approval, substitutions: { NotifyFunction: 'notify-approver' } },
      ],
      invokeLambda: async (_functionName, payload) => {
        const { ticket, taskToken } = payload as { ticket: string; taskToken: string };
        tokens.set(ticket, taskToken);
        return {};
      },
    });
    client?.destroy();
    client = localSfnClient(service.url, { maxAttempts: 1 });
    return { service, client };
  };

  /** Starts an approval for `ticket` and answers with its task token once the notify Lambda has it. */
  const startWaiting = async (sfn: SFNClient, arn: string, ticket: string) => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arn,
        name: ticket,
        input: JSON.stringify({ ticket, approvalTimeoutSeconds: 3600 }),
      }),
    );
    for (let tries = 0; !tokens.has(ticket); tries++) {
      if (tries > 400) throw new Error(`no token for ${ticket}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return { executionArn: executionArn as string, token: tokens.get(ticket) as string };
  };

  /** Waits until `condition` holds: the status turns before the archive is written, and leaving memory follows it. */
  const until = async (condition: () => boolean, what: string) => {
    for (let tries = 0; !condition(); tries++) {
      if (tries > 400) throw new Error(`still not: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const succeeded = async (sfn: SFNClient, executionArn: string) => {
    for (let tries = 0; ; tries++) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      if (tries > 400) throw new Error(`${executionArn} still running`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it('keeps only running executions in memory, and still answers for the finished ones, after a restart too', async () => {
    // Prepare
    const first = await startService();
    const arn = first.service.stateMachineArn('approval');
    const done = await startWaiting(first.client, arn, 'T-done');
    const open = await startWaiting(first.client, arn, 'T-open');
    // Act
    await first.client.send(
      new SendTaskSuccessCommand({ taskToken: done.token, output: '{"approved":true}' }),
    );
    const finished = await succeeded(first.client, done.executionArn);
    await until(() => first.service.counts.executionsRunning === 1, 'one execution in memory');
    const again = await startService();
    // Assess
    expect(finished.status).toBe('SUCCEEDED');
    expect(again.service.counts.executionsRunning).toBe(1);
    expect(
      await again.client.send(new DescribeExecutionCommand({ executionArn: done.executionArn })),
    ).toMatchObject({
      status: 'SUCCEEDED',
      output: expect.stringContaining('"stage":"approved"'),
    });
    const history = await again.client.send(
      new GetExecutionHistoryCommand({ executionArn: done.executionArn }),
    );
    expect(history.events?.at(-1)?.type).toBe('ExecutionSucceeded');
    const listed = await again.client.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    expect(listed.executions?.map((execution) => [execution.name, execution.status])).toEqual([
      ['T-open', 'RUNNING'],
      ['T-done', 'SUCCEEDED'],
    ]);
    const runningOnly = await again.client.send(
      new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }),
    );
    expect(runningOnly.executions?.map((execution) => execution.name)).toEqual(['T-open']);
    // The execution still running resumes with its token, and then leaves memory in turn.
    await again.client.send(
      new SendTaskSuccessCommand({ taskToken: open.token, output: '{"approved":true}' }),
    );
    expect((await succeeded(again.client, open.executionArn)).status).toBe('SUCCEEDED');
    await until(() => again.service.counts.executionsRunning === 0, 'no execution in memory');
  });

  it("answers a finished execution's token and name as AWS does, from the archive", async () => {
    // Prepare
    const { service: sfn, client: sdk } = await startService();
    const arn = sfn.stateMachineArn('approval');
    const { executionArn, token } = await startWaiting(sdk, arn, 'T-answered');
    await sdk.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    await succeeded(sdk, executionArn);
    await startService();
    // Act
    const [answeredAgain, startedAgain] = await Promise.allSettled([
      (client as SFNClient).send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
      (client as SFNClient).send(
        new StartExecutionCommand({
          stateMachineArn: arn,
          name: 'T-answered',
          input: '{"ticket":"T-answered"}',
        }),
      ),
    ]);
    // Assess
    expect(answeredAgain).toMatchObject({ status: 'rejected', reason: expect.any(TaskDoesNotExist) });
    expect(startedAgain).toMatchObject({ status: 'rejected', reason: expect.any(ExecutionAlreadyExists) });
  });

  it('starts without reading finished executions: an unreadable archive file does not stop it', async () => {
    // Prepare
    const first = await startService();
    const arn = first.service.stateMachineArn('approval');
    const { executionArn, token } = await startWaiting(first.client, arn, 'T-finished');
    await first.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approved":true}' }));
    await succeeded(first.client, executionArn);
    const archiveDir = join(dataDir, 'stepfunctions', 'archive');
    const archived = (await readdir(archiveDir)).filter((file) => file !== 'index.jsonl');
    // Act
    for (const file of archived) await writeFile(join(archiveDir, file), 'not json');
    const again = await startService();
    const waiting = await startWaiting(again.client, arn, 'T-next');
    // Assess
    expect(archived).toHaveLength(1);
    expect(waiting.token).toMatch(/^[A-Za-z0-9_-]{128}$/);
  });

  it('still answers a waiting task whose token was minted before tokens named their execution', async () => {
    // Prepare: a checkpoint as earlier versions wrote it, with a token of 96 random bytes.
    const first = await startService();
    const arn = first.service.stateMachineArn('approval');
    const { executionArn, token } = await startWaiting(first.client, arn, 'T-older');
    await service?.close();
    service = undefined;
    const runningDir = join(dataDir, 'stepfunctions', 'executions');
    const [file] = await readdir(runningDir);
    const olderToken = randomBytes(96).toString('base64url');
    const checkpoint = await readFile(join(runningDir, file as string), 'utf8');
    await writeFile(join(runningDir, file as string), checkpoint.replaceAll(token, olderToken));
    // Act
    const again = await startService();
    await again.client.send(
      new SendTaskSuccessCommand({ taskToken: olderToken, output: '{"approved":true}' }),
    );
    // Assess
    expect((await succeeded(again.client, executionArn)).status).toBe('SUCCEEDED');
  });
});
