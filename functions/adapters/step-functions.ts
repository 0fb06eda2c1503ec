import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionState, JobRunner, Revocations, Workflow } from '../app/ports';
import type { RevocationInput } from '../domain/revocation';

/** The answers that mean the task no longer waits: it was resumed, timed out, or its execution ended. */
const GONE = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

export class StepFunctionsWorkflow implements Workflow {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(ticketId: string): Promise<'started' | 'exists'> {
    try {
      // Repeating the start of a running execution with the same name and input succeeds, as the
      // first start did; only a closed one (or other input) answers ExecutionAlreadyExists.
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: ticketId,
          input: JSON.stringify({ ticketId }),
        }),
      );
      return 'started';
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
      return 'exists';
    }
  }

  async status(ticketId: string): Promise<ExecutionState> {
    try {
      const execution = await this.client.send(
        new DescribeExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, ticketId) }),
      );
      switch (execution.status) {
        case 'SUCCEEDED':
        case 'FAILED':
        case 'ABORTED':
        case 'TIMED_OUT':
          return { status: execution.status, error: execution.error ?? null, cause: execution.cause ?? null };
        default:
          // RUNNING, and PENDING_REDRIVE: a redrive was asked for, so the execution runs again.
          return { status: 'RUNNING' };
      }
    } catch (error) {
      // Never started, or closed more than 90 days ago (Step Functions keeps closed executions that long).
      if ((error as Error).name === 'ExecutionDoesNotExist') return { status: 'absent' };
      throw error;
    }
  }

  async stop(ticketId: string, reason: { error: string; cause: string }): Promise<'stopped' | 'absent'> {
    try {
      await this.client.send(
        new StopExecutionCommand({
          executionArn: executionArnOf(this.stateMachineArn, ticketId),
          // StopExecution's limits: 256 characters of error, 32,768 of cause.
          error: reason.error.slice(0, 256),
          cause: reason.cause.slice(0, 32_768),
        }),
      );
      return 'stopped';
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return 'absent';
      throw error;
    }
  }

  signal(taskToken: string, output: Record<string, unknown>): Promise<'delivered' | 'gone'> {
    return signalTask(this.client, taskToken, output);
  }
}

/** Resumes a waiting task: a task token names its execution, so no state machine needs naming. */
export async function signalTask(
  client: SFNClient,
  taskToken: string,
  output: Record<string, unknown>,
): Promise<'delivered' | 'gone'> {
  try {
    await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return 'delivered';
  } catch (error) {
    if (GONE.has((error as Error).name)) return 'gone';
    throw error;
  }
}

/** A job's state machine: one execution per job, named after it, whose steps read the job item. */
export class StepFunctionsJobRunner implements JobRunner {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(jobId: string): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: jobId,
          input: JSON.stringify({ jobId }),
        }),
      );
    } catch (error) {
      // Started before, and ended already: the job item says how it went.
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }
}

/** Revocation executions, each named by the domain (functions/domain/revocation.ts). */
export class StepFunctionsRevocations implements Revocations {
  constructor(
    private readonly client: SFNClient,
    readonly stateMachineArn: string,
  ) {}

  async start(executionName: string, input: RevocationInput): Promise<'started' | 'exists'> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName,
          input: JSON.stringify(input),
        }),
      );
      return 'started';
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
      return 'exists';
    }
  }
}

/**
 * An execution's ARN: the state machine's, with `execution` for `stateMachine` and the execution's
 * name appended (`arn:aws:states:<region>:<account>:execution:<state machine>:<name>`).
 */
export const executionArnOf = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

export const createStepFunctionsClient = () => new SFNClient({});
