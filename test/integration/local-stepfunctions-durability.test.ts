import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executionKey } from '../../functions/local/stepfunctions/checkpoints';
import { localSfnClient } from '../support/sfn';

const serveScript = join(import.meta.dirname, '../fixtures/statemachines/serve-approval.ts');
const approvalArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:approval';

interface Invocation {
  invoked: string;
  payload: { ticket: string; taskToken: string };
}

/** The service in a child process: its URL, a client for it, and the Lambda invocations it printed. */
interface Child {
  process: ChildProcess;
  client: SFNClient;
  invocations: Invocation[];
  firstInvocation(): Promise<Invocation>;
}

describe('local Step Functions durability across kill -9', () => {
  let dataDir: string;
  const children: Child[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sfn-durable-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await rm(dataDir, { recursive: true, force: true });
  });

  const startChild = async (): Promise<Child> => {
    const child = spawn(process.execPath, ['--import', 'tsx', serveScript, dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const invocations: Invocation[] = [];
    let onFirstInvocation: (invocation: Invocation) => void = () => {};
    const firstInvocation = new Promise<Invocation>((resolve) => {
      onFirstInvocation = resolve;
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const url = new Promise<string>((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`the service exited (${code}) before it was ready: ${stderr}`)),
      );
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const message = JSON.parse(line) as { url?: string } & Partial<Invocation>;
        if (message.url) resolve(message.url);
        if (message.invoked) {
          invocations.push(message as Invocation);
          onFirstInvocation(message as Invocation);
        }
      });
    });
    const client = localSfnClient(await url, { maxAttempts: 1 });
    const started: Child = {
      process: child,
      client,
      invocations,
      firstInvocation: () => firstInvocation,
    };
    children.push(started);
    return started;
  };

  const kill = async (child: Child) => {
    child.client.destroy();
    if (child.process.exitCode === null && child.process.signalCode === null) {
      const exited = once(child.process, 'exit');
      child.process.kill('SIGKILL');
      await exited;
    }
  };

  const finished = async (child: Child, executionArn: string): Promise<DescribeExecutionCommandOutput> => {
    const giveUpAt = Date.now() + 10_000;
    for (;;) {
      const execution = await child.client.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      if (Date.now() > giveUpAt) throw new Error(`${executionArn} still RUNNING`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  it('resumes a wait after kill -9 so that SendTaskSuccess with the old token completes the execution', async () => {
    // Prepare
    const first = await startChild();
    const { executionArn } = await first.client.send(
      new StartExecutionCommand({
        stateMachineArn: approvalArn,
        name: 'ticket-D-1',
        input: JSON.stringify({ ticket: 'D-1', approvalTimeoutSeconds: 3600 }),
      }),
    );
    const { payload } = await first.firstInvocation();
    await kill(first);

    // Act
    const second = await startChild();
    await second.client.send(
      new SendTaskSuccessCommand({
        taskToken: payload.taskToken,
        output: JSON.stringify({ approvedBy: 'carol' }),
      }),
    );
    const execution = await finished(second, executionArn as string);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '')).toMatchObject({
      stage: 'approved',
      decision: { approvedBy: 'carol' },
    });
    // Killed right after the notify Lambda returned, the service may notify again on resume, but with the same token.
    expect(
      second.invocations.filter((invocation) => invocation.payload.taskToken !== payload.taskToken),
    ).toEqual([]);
  });

  const WAIT_SECONDS = 4;

  it('ends a wait whose deadline passed while the service was down with States.Timeout right after restart', async () => {
    // Prepare
    const first = await startChild();
    const { executionArn } = await first.client.send(
      new StartExecutionCommand({
        stateMachineArn: approvalArn,
        input: JSON.stringify({ ticket: 'D-2', approvalTimeoutSeconds: WAIT_SECONDS }),
      }),
    );
    const { payload } = await first.firstInvocation();
    const before = await first.client.send(new DescribeExecutionCommand({ executionArn }));
    await kill(first);
    // The wait began before the kill, so its deadline has passed once this much time has gone by since.
    await new Promise((resolve) => setTimeout(resolve, WAIT_SECONDS * 1000 + 200));

    // Act
    const second = await startChild();
    const restartedAt = Date.now();
    const execution = await finished(second, executionArn as string);

    // Assess
    expect(before.status).toBe('RUNNING');
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    // A runner that re-armed the wait on resume would stop a whole wait (at least 3 s) after restart;
    // half a wait leaves a loaded machine room to start up.
    expect((execution.stopDate?.getTime() ?? 0) - restartedAt).toBeLessThan((WAIT_SECONDS * 1000) / 2);
    await expect(
      second.client.send(new SendTaskSuccessCommand({ taskToken: payload.taskToken, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('never resumes a stopped execution after kill -9: it stays ABORTED, and its token answers TaskTimedOut', async () => {
    // Prepare
    const first = await startChild();
    const { executionArn } = await first.client.send(
      new StartExecutionCommand({
        stateMachineArn: approvalArn,
        input: JSON.stringify({ ticket: 'D-3', approvalTimeoutSeconds: 3600 }),
      }),
    );
    const { payload } = await first.firstInvocation();
    await first.client.send(
      new StopExecutionCommand({ executionArn, error: 'TicketCancelled', cause: 'withdrawn' }),
    );
    await kill(first);

    // Act
    const second = await startChild();
    const execution = await second.client.send(new DescribeExecutionCommand({ executionArn }));

    // Assess
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'TicketCancelled', cause: 'withdrawn' });
    await expect(
      second.client.send(new SendTaskSuccessCommand({ taskToken: payload.taskToken, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    expect(second.invocations).toEqual([]);
  });

  it('keeps a stopped execution ABORTED when a kill left its last running checkpoint behind the archived one', async () => {
    // Prepare: stopped and archived; then the running checkpoint it had before the stop is put back,
    // as a kill between writing the archive and removing the checkpoint leaves it.
    const first = await startChild();
    const { executionArn } = await first.client.send(
      new StartExecutionCommand({
        stateMachineArn: approvalArn,
        input: JSON.stringify({ ticket: 'D-4', approvalTimeoutSeconds: 3600 }),
      }),
    );
    const { payload } = await first.firstInvocation();
    const file = `${executionKey(executionArn as string)}.json`;
    const runningCheckpoint = join(dataDir, 'stepfunctions', 'executions', file);
    const whileRunning = await eventuallyRead(runningCheckpoint, (text) => text.includes('"notified":true'));
    await first.client.send(new StopExecutionCommand({ executionArn }));
    await kill(first);
    await writeFile(runningCheckpoint, whileRunning);

    // Act
    const second = await startChild();
    const execution = await second.client.send(new DescribeExecutionCommand({ executionArn }));

    // Assess
    expect(JSON.parse(whileRunning)).toMatchObject({ status: 'RUNNING' });
    expect(execution.status).toBe('ABORTED');
    await expect(
      second.client.send(new SendTaskSuccessCommand({ taskToken: payload.taskToken, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
    expect(second.invocations).toEqual([]);
    await expect(readFile(runningCheckpoint, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

/** The file's text once `ready` accepts it: checkpoints are written as the execution goes. */
async function eventuallyRead(path: string, ready: (text: string) => boolean): Promise<string> {
  const giveUpAt = Date.now() + 10_000;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (ready(text)) return text;
    if (Date.now() > giveUpAt) throw new Error(`${path} never became ready`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
