import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Workflow } from '../app/ports';

/** The answers that mean the task no longer waits: it was resumed, timed out, or its execution ended. */
const GONE = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

export class StepFunctionsWorkflow implements Workflow {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(ticketId: string): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: ticketId,
          input: JSON.stringify({ ticketId }),
        }),
      );
    } catch (error) {
      // Named after the ticket: an execution that exists is this ticket's, so it has started.
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }

  async signal(taskToken: string, output: Record<string, unknown>): Promise<'delivered' | 'gone'> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return 'delivered';
    } catch (error) {
      if (GONE.has((error as Error).name)) return 'gone';
      throw error;
    }
  }
}

export const createStepFunctionsClient = () => new SFNClient({});
