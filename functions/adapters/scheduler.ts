import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { GrantSchedules, RevocationTarget } from '../app/ports';

/** The universal target that calls Step Functions' StartExecution with the target's Input as its request. */
export const START_EXECUTION_TARGET = 'arn:aws:scheduler:::aws-sdk:sfn:startExecution';
/** Scheduler's rule for schedule names, less the `grant-` this adapter puts before the grant id. */
const GRANT_ID = /^[0-9a-zA-Z-_.]{1,58}$/;

export interface GrantSchedulesSettings {
  /** The role Scheduler assumes to start the execution (states:StartExecution on the state machine). */
  roleArn: string;
  /** The SQS queue that receives the event of a schedule whose target could not be started. */
  deadLetterQueueArn: string;
}

/**
 * A grant's end as a one-time EventBridge Scheduler schedule, named after the grant, that deletes
 * itself once it has fired. Its target is the universal StartExecution target rather than the
 * state machine ARN, because only that one names the execution: named after the grant and its
 * `until`, a schedule that fires twice (Scheduler delivers at least once) starts one revocation.
 */
export class SchedulerGrantSchedules implements GrantSchedules {
  /** Without `settings` it only deletes schedules (load-directory, for a departure). */
  constructor(
    private readonly client: SchedulerClient,
    private readonly settings?: GrantSchedulesSettings,
  ) {}

  async schedule(grantId: string, at: Date, target: RevocationTarget): Promise<'created' | 'exists'> {
    try {
      await this.client.send(new CreateScheduleCommand(this.request(grantId, at, target)));
      return 'created';
    } catch (error) {
      if ((error as Error).name !== 'ConflictException') throw error;
      return 'exists';
    }
  }

  async reschedule(grantId: string, at: Date, target: RevocationTarget): Promise<'updated' | 'absent'> {
    try {
      // UpdateSchedule replaces the whole schedule: every field is sent again, as at creation.
      await this.client.send(new UpdateScheduleCommand(this.request(grantId, at, target)));
      return 'updated';
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      return 'absent';
    }
  }

  async cancel(grantId: string): Promise<'cancelled' | 'absent'> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: scheduleNameOf(grantId) }));
      return 'cancelled';
    } catch (error) {
      // Fired and deleted itself already, or never created.
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      return 'absent';
    }
  }

  private request(grantId: string, at: Date, target: RevocationTarget): CreateScheduleCommandInput {
    if (!this.settings) throw new Error('Grant schedules are made only where the Scheduler role is known');
    return {
      Name: scheduleNameOf(grantId),
      ScheduleExpression: atExpression(at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: START_EXECUTION_TARGET,
        RoleArn: this.settings.roleArn,
        Input: JSON.stringify({
          StateMachineArn: target.stateMachineArn,
          Name: target.executionName,
          Input: JSON.stringify(target.input),
        }),
        DeadLetterConfig: { Arn: this.settings.deadLetterQueueArn },
        // Not Scheduler's default of a day of retries: the sweep starts a revocation that could not
        // start within minutes, and the dead letter says why soon enough to look.
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 900 },
      },
    };
  }
}

/** The grant's schedule: one per grant, so creating it again is a ConflictException, not a second schedule. */
export function scheduleNameOf(grantId: string): string {
  if (!GRANT_ID.test(grantId))
    throw new Error(`A grant id cannot name a schedule: ${JSON.stringify(grantId)}`);
  return `grant-${grantId}`;
}

/**
 * `at()` in UTC, to the second. A time between two seconds is rounded up: the schedule must not
 * fire before the grant's `until`.
 */
export function atExpression(at: Date): string {
  const second = new Date(Math.ceil(at.getTime() / 1000) * 1000);
  return `at(${second.toISOString().slice(0, 19)})`;
}
