import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../functions/schedules';
import { HandlerSchedules } from '../../lib/constructs/handler-schedules';

/** The Scheduler schedules that HandlerSchedules makes of `entries`, by name. */
function scheduled(entries: Schedule[]): Map<string, Record<string, unknown>> {
  const stack = new Stack(new App(), 'Fixture', { env: { account: '111111111111', region: 'eu-central-1' } });
  const fn = new LambdaFunction(stack, 'Job', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {}'),
  });
  new HandlerSchedules(stack, 'Schedules', { schedules: entries, functionFor: () => fn });
  const resources = Template.fromStack(stack).findResources('AWS::Scheduler::Schedule');
  return new Map(
    Object.values(resources).map((resource) => [
      String(resource.Properties.Name).replace('Fixture-', ''),
      resource.Properties as Record<string, unknown>,
    ]),
  );
}

const entry = { handler: 'scheduled/report', description: 'A fixture' };

describe('schedules in the stack', () => {
  it('passes a cron expression as it is, with its time zone as ScheduleExpressionTimezone', () => {
    // Prepare
    const weekdays: Schedule = {
      ...entry,
      name: 'weekday-report',
      expression: 'cron(0 9 ? * 2-6 *)',
      timeZone: 'Europe/Berlin',
    };

    // Act
    const properties = scheduled([weekdays]).get('weekday-report');

    // Assess
    expect(properties).toMatchObject({
      ScheduleExpression: 'cron(0 9 ? * 2-6 *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });

  it('gives up a cron run once the next is due: the shortest gap between two fires, from a minute to a day', () => {
    // Prepare
    const entries: Schedule[] = [
      { ...entry, name: 'quarter-hourly', expression: 'cron(0/15 * * * ? *)', timeZone: 'UTC' },
      { ...entry, name: 'weekdays', expression: 'cron(0 9 ? * 2-6 *)', timeZone: 'Europe/Berlin' },
      { ...entry, name: 'every-minute', expression: 'cron(* * * * ? *)', timeZone: 'UTC' },
    ];

    // Act
    const byName = scheduled(entries);

    // Assess
    const window = (name: string) =>
      (byName.get(name)?.Target as { RetryPolicy: { MaximumEventAgeInSeconds: number } } | undefined)
        ?.RetryPolicy.MaximumEventAgeInSeconds;
    expect([window('quarter-hourly'), window('weekdays'), window('every-minute')]).toEqual([900, 86_400, 60]);
  });

  it('refuses at synth a cron that EventBridge Scheduler would refuse, naming the schedule', () => {
    // Prepare
    const both: Schedule = { ...entry, name: 'both-days', expression: 'cron(0 9 1 * 2 *)', timeZone: 'UTC' };

    // Act
    const synthesizing = () => scheduled([both]);

    // Assess
    expect(synthesizing).toThrow(
      /Schedule "both-days": .*exactly one of day-of-month and day-of-week must be \?/,
    );
  });
});
