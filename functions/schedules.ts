import {
  awsCron,
  type CronExpression,
  type CronSchedule,
  checkTimeZone,
  type RateExpression,
  rateSeconds,
  ScheduleExpressionError,
} from './schedule-expressions';

/**
 * THE schedule list. The CDK stack creates one EventBridge Scheduler schedule per entry, with its
 * expression and time zone; the local runtime runs the same handlers when Scheduler would: `rate()`
 * shortened by TOLLGATE_TIME_SCALE, `cron()` at its wall-clock times, never scaled.
 */
export type Schedule = {
  name: string;
  handler: string;
  description: string;
  /** Minutes its function may run in AWS, when more than the scheduled functions' minute. */
  timeoutMinutes?: number;
} & (
  | { expression: RateExpression; timeZone?: never }
  | {
      /** AWS's six fields: minutes hours day-of-month month day-of-week (1 = Sunday) year. */
      expression: CronExpression;
      /** IANA time zone the cron is read in (Scheduler's ScheduleExpressionTimezone), e.g. Europe/Berlin. */
      timeZone: string;
    }
);

export const schedules: Schedule[] = [
  {
    name: 'reconcile',
    expression: 'rate(5 minutes)',
    handler: 'scheduled/reconcile',
    description:
      'Start executions for tickets that lack one; resend decisions not yet delivered to their execution; close as failed the tickets whose execution ended without them; stop the executions of cancelled tickets',
  },
  {
    name: 'revocation-sweep',
    // Scheduler may fire a grant's schedule up to a minute late; a sweep a minute later finds it begun.
    expression: 'rate(2 minutes)',
    handler: 'scheduled/revocation-sweep',
    description:
      'Start the revocation of every grant that is due and not begun: a schedule missed while Tollgate was down, or a request whose execution did not start',
  },
  {
    name: 'expiry-notices',
    expression: 'rate(5 minutes)',
    handler: 'scheduled/expiry-notices',
    description:
      'Tell the holder of each grant that ends soon (a day before, or halfway through a shorter one) that it ends, with a link to extend it',
  },
  {
    name: 'audit-checkpoint',
    expression: 'rate(15 minutes)',
    handler: 'scheduled/audit-checkpoint',
    // The first checkpoint reads every ticket and grant there is.
    timeoutMinutes: 10,
    description:
      "Sign the heads of every ticket, grant and admin-log chain changed since the last audit checkpoint, with that checkpoint's hash, and store the checkpoint in the audit bucket",
  },
];

export type Cadence = { kind: 'rate'; seconds: number } | { kind: 'cron'; cron: CronSchedule };

/** How a schedule repeats; throws a ScheduleExpressionError naming the schedule when AWS would refuse it. */
export function cadenceOf(schedule: Schedule): Cadence {
  try {
    if (schedule.expression.startsWith('rate(')) {
      if (schedule.timeZone !== undefined) checkTimeZone(schedule.timeZone);
      return { kind: 'rate', seconds: rateSeconds(schedule.expression as RateExpression) };
    }
    if (schedule.timeZone === undefined) {
      throw new ScheduleExpressionError('a cron() schedule names its time zone (timeZone)');
    }
    return { kind: 'cron', cron: awsCron(schedule.expression as CronExpression, schedule.timeZone) };
  } catch (error) {
    throw new ScheduleExpressionError(`Schedule "${schedule.name}": ${(error as Error).message}`);
  }
}

export { rateSeconds } from './schedule-expressions';
