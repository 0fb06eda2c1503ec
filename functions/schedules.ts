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

/** The schedule whose function delivers outbound events; writes also invoke it directly. */
export const WEBHOOK_DISPATCH = 'webhook-dispatch';

export const schedules: Schedule[] = [
  {
    name: 'reconcile',
    expression: 'rate(5 minutes)',
    handler: 'scheduled/reconcile',
    description:
      'Start executions for tickets that lack one; resend decisions not yet delivered to their execution; close as failed the tickets whose execution ended without them; stop the executions of cancelled tickets',
  },
  {
    name: WEBHOOK_DISPATCH,
    // A write's own first attempt is immediate: the schedule retries, with backoff, and sweeps.
    expression: 'rate(1 minute)',
    handler: 'scheduled/webhook-dispatch',
    // A run tries up to 100 due deliveries, 8 at a time, each given 5 seconds to answer.
    timeoutMinutes: 2,
    description:
      'Try every outbound delivery (webhooks out) that is due, with exponential backoff for 24 hours, then mark it failed; derive the deliveries of events no write handed over',
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
  {
    name: 'audit-verify',
    // Daily, at night: it reads every ticket and grant, which a busy hour would feel.
    expression: 'cron(30 3 * * ? *)',
    timeZone: 'UTC',
    handler: 'scheduled/audit-verify',
    // Lambda's most: it reads the whole table, every checkpoint and every chain.
    timeoutMinutes: 15,
    description:
      'Verify the audit trail: every ticket, grant and admin-log chain against the signed checkpoints; the result is what GET /audit/verify shows',
  },
  {
    name: 'analytics-rollup',
    // Just after midnight UTC: the day before is over, and every rollup is a UTC day.
    expression: 'cron(15 0 * * ? *)',
    timeZone: 'UTC',
    handler: 'scheduled/analytics-rollup',
    timeoutMinutes: 5,
    description:
      "Roll up yesterday's tickets (submitted, resolved, feedback), each read through the index partition of the day, into the day's one analytics rollup; then the days of the quarter before it that have none (31 at most)",
  },
  {
    name: 'analytics-today',
    // Wall-clock minutes, never scaled by TOLLGATE_TIME_SCALE: its cost is reading today's tickets.
    expression: 'cron(0/5 * * * ? *)',
    timeZone: 'UTC',
    handler: 'scheduled/analytics-today',
    timeoutMinutes: 5,
    description:
      "Roll up today's tickets so far into today's analytics rollup, which the console's dashboard reads (it reads rollups only, never tickets)",
  },
  {
    name: 'weekly-report',
    expression: 'cron(0 7 ? * 2 *)',
    timeZone: 'UTC',
    handler: 'scheduled/weekly-report',
    timeoutMinutes: 5,
    description:
      'Compute the analytics report of the last seven days, start a policy simulation of each rule candidate, store the report (GET /analytics/reports) and email it to ANALYTICS_RECIPIENTS',
  },
];

/** When a deployment has the weekly report go out, instead of Mondays at 07:00 UTC. */
export interface WeeklyReportTime {
  expression: string;
  /** IANA time zone the expression is read in. */
  timeZone: string;
}

/**
 * Why `time` cannot schedule the weekly report (as Scheduler would refuse it), or null when it can:
 * both runtimes' settings check it, so a bad one stops `npm start` or `cdk synth` naming the setting.
 */
export function weeklyReportTimeProblem(
  time: WeeklyReportTime,
): { field: 'expression' | 'timeZone'; message: string } | null {
  try {
    checkTimeZone(time.timeZone);
  } catch (error) {
    return { field: 'timeZone', message: (error as Error).message };
  }
  if (!/^cron\(.*\)$/.test(time.expression)) {
    return {
      field: 'expression',
      message: 'must be a cron() expression such as cron(0 7 ? * 2 *), Mondays at 07:00',
    };
  }
  try {
    awsCron(time.expression as CronExpression, time.timeZone);
  } catch (error) {
    return { field: 'expression', message: (error as Error).message };
  }
  return null;
}

/** The schedule list as a deployment runs it: the weekly report at its configured time, if one is set. */
export function configuredSchedules(weeklyReport: WeeklyReportTime | undefined): Schedule[] {
  if (!weeklyReport) return schedules;
  return schedules.map((schedule) =>
    schedule.name === 'weekly-report'
      ? {
          ...schedule,
          expression: weeklyReport.expression as CronExpression,
          timeZone: weeklyReport.timeZone,
        }
      : schedule,
  );
}

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
