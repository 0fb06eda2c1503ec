import { z } from 'zod';
import { START_EXECUTION_TARGET } from '../../adapters/scheduler';

/** Thrown inside a request to answer it with an EventBridge Scheduler (REST-JSON) error. */
export class SchedulerApiError extends Error {
  constructor(
    readonly type: 'ConflictException' | 'ResourceNotFoundException' | 'ValidationException',
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return { ConflictException: 409, ResourceNotFoundException: 404, ValidationException: 400 }[this.type];
  }
}

export const validation = (message: string) => new SchedulerApiError('ValidationException', message);

/** Scheduler's rule for schedule (and group) names. */
export const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
/** The only group this endpoint keeps: the one every account has. */
export const DEFAULT_GROUP = 'default';
const STATE_MACHINE_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const AT_EXPRESSION = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;

const Target = z.object({
  Arn: z.string().min(1).max(1600),
  RoleArn: z.string().min(1).max(1600),
  Input: z.string().min(1).max(8192).optional(),
  DeadLetterConfig: z.object({ Arn: z.string().min(1).max(1600).optional() }).optional(),
  RetryPolicy: z
    .object({
      MaximumEventAgeInSeconds: z.number().int().min(60).max(86_400).optional(),
      MaximumRetryAttempts: z.number().int().min(0).max(185).optional(),
    })
    .optional(),
});

/** The body of CreateSchedule and UpdateSchedule (an update replaces the whole schedule). */
export const ScheduleRequest = z.object({
  GroupName: z.string().regex(NAME).optional(),
  ScheduleExpression: z.string().min(1).max(256),
  ScheduleExpressionTimezone: z.string().min(1).max(50).optional(),
  FlexibleTimeWindow: z.object({
    Mode: z.enum(['OFF', 'FLEXIBLE']),
    MaximumWindowInMinutes: z.number().int().min(1).max(1440).optional(),
  }),
  Target,
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
  Description: z.string().max(512).optional(),
  ClientToken: z.string().optional(),
});
export type ScheduleRequest = z.output<typeof ScheduleRequest>;

/** A schedule as GetSchedule answers it; dates in epoch seconds, as REST-JSON sends timestamps. */
export interface Schedule {
  Arn: string;
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  FlexibleTimeWindow: ScheduleRequest['FlexibleTimeWindow'];
  Target: ScheduleRequest['Target'];
  State: 'ENABLED' | 'DISABLED';
  ActionAfterCompletion: 'NONE' | 'DELETE';
  Description?: string;
  CreationDate: number;
  LastModificationDate: number;
}

/** What firing a schedule does: the StartExecution call its target stands for. */
export interface StartExecution {
  stateMachineArn: string;
  /** Absent for a state machine ARN target: Step Functions then names the execution itself. */
  name?: string;
  input?: string;
}

/**
 * When an `at()` expression fires, in epoch ms. Only UTC: the project schedules in UTC, and a time
 * zone this endpoint would have to convert is refused rather than fired at the wrong hour.
 */
export function fireTimeOf(expression: string, timeZone: string): number {
  const match = AT_EXPRESSION.exec(expression);
  if (!match) {
    throw validation(
      `Invalid ScheduleExpression ${JSON.stringify(expression)}: this local endpoint serves one-time schedules, at(yyyy-mm-ddThh:mm:ss)`,
    );
  }
  if (timeZone !== 'UTC') {
    throw validation(
      `ScheduleExpressionTimezone ${JSON.stringify(timeZone)}: this local endpoint serves UTC only`,
    );
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as number[];
  const at = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0);
  // Date.UTC rolls 2026-02-30 over to March: a date that does not exist reads back differently.
  if (new Date(at).toISOString().slice(0, 19) !== expression.slice(3, 22)) {
    throw validation(`Invalid ScheduleExpression ${JSON.stringify(expression)}: no such date and time`);
  }
  return at;
}

/** The StartExecution a target stands for; refuses targets this endpoint cannot act on. */
export function actionOf(target: ScheduleRequest['Target']): StartExecution {
  if (STATE_MACHINE_ARN.test(target.Arn)) return { stateMachineArn: target.Arn, input: target.Input };
  if (target.Arn !== START_EXECUTION_TARGET) {
    throw validation(
      `Target.Arn ${JSON.stringify(target.Arn)}: this local endpoint starts Step Functions executions only (a state machine ARN, or ${START_EXECUTION_TARGET})`,
    );
  }
  const request = z
    .object({
      StateMachineArn: z.string().regex(STATE_MACHINE_ARN),
      Name: z.string().optional(),
      Input: z.string().optional(),
    })
    .safeParse(parseJson(target.Input));
  if (!request.success) {
    throw validation(
      'Target.Input must be a StartExecution request: {"StateMachineArn": ..., "Name"?: ..., "Input"?: ...}',
    );
  }
  return {
    stateMachineArn: request.data.StateMachineArn,
    name: request.data.Name,
    input: request.data.Input,
  };
}

function parseJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
