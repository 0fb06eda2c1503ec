import { ArnFormat, Stack, TimeZone } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type IScheduleTarget, Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { shortestCronIntervalSeconds } from '../../functions/schedule-expressions';
import { cadenceOf, type Schedule as ScheduleEntry } from '../../functions/schedules';
import { handlerId } from './handler-function';

/**
 * Scheduler's service principal, for schedules of this account's default group only. Scheduler
 * names the schedule group as the source, never the schedule: its guide on confused-deputy
 * prevention warns against an `aws:SourceArn` of a schedule or a schedule-name prefix.
 */
export function schedulerPrincipal(stack: Stack): ServicePrincipal {
  return new ServicePrincipal('scheduler.amazonaws.com', {
    conditions: {
      StringEquals: {
        'aws:SourceAccount': stack.account,
        'aws:SourceArn': stack.formatArn({
          service: 'scheduler',
          resource: 'schedule-group',
          resourceName: 'default',
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        }),
      },
    },
  });
}

/** How often Scheduler retries an invocation that Lambda refused (throttled, or a service error). */
const RETRY_ATTEMPTS = 2;

export interface HandlerSchedulesProps {
  schedules: ScheduleEntry[];
  functionFor: (handler: string) => IFunction;
}

/**
 * How long Scheduler keeps trying one run: until the next is due (the rate, or the shortest gap
 * between two fire times of a cron), within the 60 seconds to a day that Scheduler accepts.
 */
export function retryWindowSeconds(entry: ScheduleEntry): number {
  const cadence = cadenceOf(entry);
  const period =
    cadence.kind === 'rate'
      ? cadence.seconds
      : (shortestCronIntervalSeconds(entry.expression as `cron(${string})`, entry.timeZone ?? 'UTC') ??
        86_400);
  return Math.min(86_400, Math.max(60, period));
}

/**
 * One EventBridge Scheduler schedule per entry of functions/schedules.ts, on the entry's own `rate`
 * or `cron` expression (a cron in the entry's time zone, `ScheduleExpressionTimezone`; an expression
 * Scheduler would refuse stops the synth), invoking its handler's function with a role of its own that Scheduler may assume
 * only for schedules of this account's default group, and that may invoke only that function (not aws-scheduler-targets' LambdaInvoke, whose role
 * may also invoke every version and alias, `<arn>:*`).
 *
 * No dead-letter queue: the scheduled jobs are periodic sweeps that are safe to repeat, so a run
 * that could not be delivered is made up by the next one. A run is retried a few times and given
 * up once the next is due (its maximum age is the schedule's period), so runs do not pile up
 * behind an outage.
 */
export class HandlerSchedules extends Construct {
  readonly schedules: ReadonlyMap<string, Schedule>;
  readonly roles: ReadonlyMap<string, Role>;

  constructor(scope: Construct, id: string, props: HandlerSchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const schedules = new Map<string, Schedule>();
    const roles = new Map<string, Role>();
    for (const entry of props.schedules) {
      const scheduleName = `${stack.stackName}-${entry.name}`;
      const fn = props.functionFor(entry.handler);
      const role = new Role(this, `${handlerId(entry.name)}Role`, { assumedBy: schedulerPrincipal(stack) });
      role.addToPolicy(
        new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
      );
      const target: IScheduleTarget = {
        bind: () => ({
          arn: fn.functionArn,
          role,
          retryPolicy: {
            maximumRetryAttempts: RETRY_ATTEMPTS,
            maximumEventAgeInSeconds: retryWindowSeconds(entry),
          },
        }),
      };
      schedules.set(
        entry.name,
        new Schedule(this, handlerId(entry.name), {
          scheduleName,
          description: entry.description,
          schedule: ScheduleExpression.expression(
            entry.expression,
            entry.timeZone === undefined ? undefined : TimeZone.of(entry.timeZone),
          ),
          target,
        }),
      );
      roles.set(entry.name, role);
    }
    this.schedules = schedules;
    this.roles = roles;
  }
}
