import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnOf, StepFunctionsWorkflow } from '../../functions/adapters/step-functions';
import type { ExecutionState } from '../../functions/app/ports';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../functions/local/stepfunctions';
import { localSfnClient } from '../support/sfn';
import { eventually } from '../support/workflow-client';

const definitionPath = join(import.meta.dirname, '../fixtures/statemachines/ticket.asl.json');

/** The Workflow adapter against the local Step Functions service, which answers as AWS does. */
describe('the Step Functions workflow adapter', () => {
  let dataDir: string;
  let service: LocalStepFunctions;
  let client: SFNClient;
  let workflow: StepFunctionsWorkflow;
  let stateMachineArn: string;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-sfn-adapter-'));
    service = await startLocalStepFunctions({
      dataDir,
      port: 0,
      stateMachines: [{ name: 'tickets', definitionPath, substitutions: { TicketFunction: 'ticket' } }],
      invokeLambda: async (_functionName, payload) => {
        const { ticketId, taskToken } = payload as { ticketId: string; taskToken: string };
        if (ticketId.startsWith('BROKEN')) {
          throw Object.assign(new Error(`no ticket ${ticketId}`), { name: 'NotFoundError' });
        }
        tokens.set(ticketId, taskToken);
        return {};
      },
    });
    client = localSfnClient(service.url, { maxAttempts: 1 });
    stateMachineArn = service.stateMachineArn('tickets');
    workflow = new StepFunctionsWorkflow(client, stateMachineArn);
  });

  afterAll(async () => {
    client?.destroy();
    await service?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const waiting = (ticketId: string) => eventually(async () => tokens.get(ticketId));
  const ended = (ticketId: string) =>
    eventually(async () => {
      const state = await workflow.status(ticketId);
      return state.status === 'RUNNING' ? undefined : state;
    });

  it('derives the ARN of the execution of a ticket as StartExecution answers it', async () => {
    // Prepare
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'T-ARN',
        input: JSON.stringify({ ticketId: 'T-ARN' }),
      }),
    );

    // Act
    const derived = executionArnOf(stateMachineArn, 'T-ARN');

    // Assess
    expect(derived).toBe(executionArn);
    expect(derived).toBe('arn:aws:states:us-east-1:000000000000:execution:tickets:T-ARN');
  });

  it('answers started for a new ticket, and again while its execution runs, since a repeated start is idempotent', async () => {
    // Act
    const first = await workflow.start('T-RUNNING');
    await waiting('T-RUNNING');
    const again = await workflow.start('T-RUNNING');
    const state = await workflow.status('T-RUNNING');

    // Assess
    expect([first, again]).toEqual(['started', 'started']);
    expect(state).toEqual({ status: 'RUNNING' });
  });

  it('answers exists, not started, for a ticket whose execution has ended', async () => {
    // Prepare
    await workflow.start('T-DONE');
    await client.send(new SendTaskSuccessCommand({ taskToken: await waiting('T-DONE'), output: '{}' }));
    await ended('T-DONE');

    // Act
    const started = await workflow.start('T-DONE');

    // Assess
    expect(started).toBe('exists');
  });

  it('reports an execution stopped with StopExecution as ABORTED, with the error and cause it was stopped with', async () => {
    // Prepare
    await workflow.start('T-STOPPED');
    await waiting('T-STOPPED');

    // Act
    await client.send(
      new StopExecutionCommand({
        executionArn: executionArnOf(stateMachineArn, 'T-STOPPED'),
        error: 'OperatorStopped',
        cause: 'stopped from the console',
      }),
    );
    const state = await workflow.status('T-STOPPED');

    // Assess
    expect(state).toEqual<ExecutionState>({
      status: 'ABORTED',
      error: 'OperatorStopped',
      cause: 'stopped from the console',
    });
  });

  it('reports an execution stopped without an error as ABORTED with neither error nor cause', async () => {
    // Prepare
    await workflow.start('T-STOPPED-QUIETLY');
    await waiting('T-STOPPED-QUIETLY');

    // Act
    await client.send(
      new StopExecutionCommand({ executionArn: executionArnOf(stateMachineArn, 'T-STOPPED-QUIETLY') }),
    );
    const state = await workflow.status('T-STOPPED-QUIETLY');

    // Assess
    expect(state).toEqual<ExecutionState>({ status: 'ABORTED', error: null, cause: null });
  });

  it('reports a failed execution as FAILED, with the error and cause of the step that failed it', async () => {
    // Act
    await workflow.start('BROKEN-1');
    const state = await ended('BROKEN-1');

    // Assess
    expect(state).toEqual<ExecutionState>({
      status: 'FAILED',
      error: 'NotFoundError',
      cause: 'no ticket BROKEN-1',
    });
  });

  it('reports a ticket that has no execution as absent', async () => {
    // Act
    const state = await workflow.status('T-NEVER-STARTED');

    // Assess
    expect(state).toEqual({ status: 'absent' });
  });
});
