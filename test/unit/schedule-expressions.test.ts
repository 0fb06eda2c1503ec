import { describe, expect, it } from 'vitest';
import {
  awsCron,
  type CronExpression,
  rateSeconds,
  ScheduleExpressionError,
  shortestCronIntervalSeconds,
} from '../../functions/schedule-expressions';

/** The next fire times after `from`, as ISO strings. */
function nextFires(expression: CronExpression, timeZone: string, from: string, count: number): string[] {
  const schedule = awsCron(expression, timeZone);
  const fires: string[] = [];
  let cursor: Date | null = new Date(from);
  while (fires.length < count) {
    cursor = schedule.nextAfter(cursor);
    if (cursor === null) break;
    fires.push(cursor.toISOString());
  }
  return fires;
}

describe('EventBridge Scheduler cron expressions', () => {
  it.each<[string, CronExpression, string, string, string[]]>([
    [
      'weekdays at 09:00 (2-6 is Monday to Friday, 1 being Sunday)',
      'cron(0 9 ? * 2-6 *)',
      'UTC',
      '2025-03-14T10:00:00Z',
      ['2025-03-17T09:00:00.000Z', '2025-03-18T09:00:00.000Z'],
    ],
    [
      'weekdays by name',
      'cron(0 18 ? * MON-FRI *)',
      'UTC',
      '2025-03-14T19:00:00Z',
      ['2025-03-17T18:00:00.000Z'],
    ],
    [
      'the last day of each month, February of a leap year included',
      'cron(0 0 L * ? *)',
      'UTC',
      '2024-02-10T00:00:00Z',
      ['2024-02-29T00:00:00.000Z', '2024-03-31T00:00:00.000Z', '2024-04-30T00:00:00.000Z'],
    ],
    [
      'the third Friday (6#3)',
      'cron(15 10 ? * 6#3 *)',
      'UTC',
      '2025-03-01T00:00:00Z',
      ['2025-03-21T10:15:00.000Z', '2025-04-18T10:15:00.000Z'],
    ],
    [
      'the weekday nearest the 1st, never in the month before (1W)',
      'cron(0 8 1W * ? *)',
      'UTC',
      '2025-02-15T00:00:00Z',
      [
        '2025-03-03T08:00:00.000Z',
        '2025-04-01T08:00:00.000Z',
        '2025-05-01T08:00:00.000Z',
        '2025-06-02T08:00:00.000Z',
      ],
    ],
    [
      'the last day of the week (L), a Saturday',
      'cron(0 0 ? * L *)',
      'UTC',
      '2025-03-14T10:00:00Z',
      ['2025-03-15T00:00:00.000Z'],
    ],
    [
      'every tenth minute from the first (1/10)',
      'cron(1/10 * * * ? *)',
      'UTC',
      '2025-03-14T10:00:00Z',
      ['2025-03-14T10:01:00.000Z', '2025-03-14T10:11:00.000Z'],
    ],
    [
      'one year only, then nothing',
      'cron(0 0 1 1 ? 2030)',
      'UTC',
      '2025-03-01T00:00:00Z',
      ['2030-01-01T00:00:00.000Z'],
    ],
    [
      'weekdays at 09:00 in Berlin, an hour earlier in UTC once summer time begins',
      'cron(0 9 ? * 2-6 *)',
      'Europe/Berlin',
      '2025-03-27T12:00:00Z',
      ['2025-03-28T08:00:00.000Z', '2025-03-31T07:00:00.000Z'],
    ],
    [
      '02:30 in Berlin, skipped on the day summer time leaves it out',
      'cron(30 2 * * ? *)',
      'Europe/Berlin',
      '2025-03-28T12:00:00Z',
      ['2025-03-29T01:30:00.000Z', '2025-03-31T00:30:00.000Z'],
    ],
    [
      '02:30 in Berlin, once on the day it happens twice',
      'cron(30 2 * * ? *)',
      'Europe/Berlin',
      '2025-10-25T12:00:00Z',
      ['2025-10-26T00:30:00.000Z', '2025-10-27T01:30:00.000Z'],
    ],
    [
      'every half hour in Berlin, not again through the repeated hour',
      'cron(0/30 * * * ? *)',
      'Europe/Berlin',
      '2025-10-26T00:15:00Z',
      ['2025-10-26T00:30:00.000Z', '2025-10-26T02:00:00.000Z', '2025-10-26T02:30:00.000Z'],
    ],
  ])('fires on %s', (_, expression, timeZone, from, expected) => {
    // Prepare
    const count = expected.length;

    // Act
    const fires = nextFires(expression, timeZone, from, count + 1);

    // Assess
    expect(fires.slice(0, count)).toEqual(expected);
    if (expression.endsWith('2030)')) expect(fires).toHaveLength(1);
  });

  it.each<[CronExpression, RegExp]>([
    ['cron(0 9 * * 2-6 *)', /exactly one of day-of-month and day-of-week must be \?/],
    ['cron(0 9 ? * ? *)', /exactly one of day-of-month and day-of-week must be \?/],
    ['cron(0 9 * * ?)', /six fields/],
    ['cron(0 9 ? * 3#1,6#3 *)', /# takes one expression only/],
    ['cron(0 9 * * ? 2300)', /1970 to 2199/],
    ['cron(0 25 * * ? *)', /cron\(0 25 \* \* \? \*\): .*hour/],
  ])('refuses %s', (expression, message) => {
    // Prepare
    const timeZone = 'UTC';

    // Act
    const parsing = () => awsCron(expression, timeZone);

    // Assess
    expect(parsing).toThrow(ScheduleExpressionError);
    expect(parsing).toThrow(message);
  });

  it('refuses a time zone that is not an IANA name', () => {
    // Prepare
    const timeZone = 'Berlin/Europe';

    // Act
    const parsing = () => awsCron('cron(0 9 * * ? *)', timeZone);

    // Assess
    expect(parsing).toThrow(/Unknown time zone "Berlin\/Europe"/);
  });

  it('measures the shortest time between two fires, for the retry window', () => {
    // Prepare
    const weekdays: CronExpression = 'cron(0 9 ? * 2-6 *)';

    // Act
    const shortest = shortestCronIntervalSeconds(weekdays, 'Europe/Berlin');

    // Assess
    expect(shortest).toBe(86_400);
  });
});

describe('EventBridge Scheduler rate expressions', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(2 hours)', 7200],
    ['rate(30 days)', 2_592_000],
  ] as const)('reads %s as %i seconds', (expression, seconds) => {
    // Prepare
    const rate = expression;

    // Act
    const read = rateSeconds(rate);

    // Assess
    expect(read).toBe(seconds);
  });
});
