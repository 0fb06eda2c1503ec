import { Cron } from 'croner';

/**
 * EventBridge Scheduler's recurring expressions, read the way Scheduler reads them
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html), so that the local
 * scheduler fires when AWS would and the stack can refuse at synth what Scheduler would refuse at
 * deploy.
 */
export type RateUnit = 'minute' | 'minutes' | 'hour' | 'hours' | 'day' | 'days';
export type RateExpression = `rate(${number} ${RateUnit})`;
/** Six fields: minutes hours day-of-month month day-of-week year. */
export type CronExpression = `cron(${string})`;

export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';
}

const UNIT_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;

export function rateSeconds(expression: RateExpression): number {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!match || Number(match[1]) < 1)
    throw new ScheduleExpressionError(`Not a rate expression: ${expression}`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

export interface CronSchedule {
  /** The first fire time strictly after `instant`, or null when the expression has no more (its years are past). */
  nextAfter(instant: Date): Date | null;
}

/** Throws unless `timeZone` is an IANA time zone name this runtime knows (as Scheduler's ScheduleExpressionTimezone). */
export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new ScheduleExpressionError(
      `Unknown time zone "${timeZone}": use an IANA name such as Europe/Berlin`,
    );
  }
}

/**
 * An AWS cron expression evaluated in `timeZone`, on croner. AWS's fields become croner's seven-field
 * form (a seconds field of 0 first, the year last), with Quartz weekday numbers as AWS has them
 * (1 = Sunday ... 7 = Saturday), `?` as `*`, a lone `L` in day-of-week as 7 (AWS: the last day of the
 * week) and numeric step starts such as `0/15`. Daylight saving time as Scheduler documents it: a time
 * that does not exist that day is skipped (croner would run a fixed-time job after the gap), and a
 * time that occurs twice runs once (croner would run an interval job on both passes).
 */
export function awsCron(expression: CronExpression, timeZone: string): CronSchedule {
  const fields = /^cron\((.*)\)$/.exec(expression)?.[1]?.trim().split(/\s+/);
  if (fields?.length !== 6) {
    throw new ScheduleExpressionError(
      `${expression}: a cron expression has six fields: minutes hours day-of-month month day-of-week year`,
    );
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new ScheduleExpressionError(
      `${expression}: exactly one of day-of-month and day-of-week must be ?, as EventBridge requires`,
    );
  }
  if ([minutes, hours, month, year].some((field) => field.includes('?'))) {
    throw new ScheduleExpressionError(`${expression}: ? belongs in day-of-month or day-of-week only`);
  }
  if (dayOfWeek.includes('#') && dayOfWeek.includes(',')) {
    throw new ScheduleExpressionError(`${expression}: a day-of-week with # takes one expression only`);
  }
  for (const value of year.match(/\d+/g) ?? []) {
    if (Number(value) < 1970 || Number(value) > 2199) {
      throw new ScheduleExpressionError(`${expression}: years run from 1970 to 2199`);
    }
  }
  checkTimeZone(timeZone);
  const asCroner = (field: string) => (field === '?' ? '*' : field);
  const pattern = [
    '0',
    minutes,
    hours,
    asCroner(dayOfMonth),
    month,
    dayOfWeek.toUpperCase() === 'L' ? '7' : asCroner(dayOfWeek),
    year,
  ].join(' ');
  let cron: Cron;
  try {
    cron = new Cron(pattern, {
      timezone: timeZone,
      mode: '7-part',
      alternativeWeekdays: true,
      sloppyRanges: true,
      paused: true,
    });
  } catch (error) {
    throw new ScheduleExpressionError(`${expression}: ${(error as Error).message}`);
  }
  return {
    nextAfter(instant) {
      let cursor = instant;
      for (;;) {
        const next = cron.nextRun(cursor);
        if (next === null) return null;
        if (cron.match(next) && !repeatsAnEarlierWallTime(next.getTime(), timeZone)) return next;
        cursor = next;
      }
    },
  };
}

/** The shortest time between two fire times over the next fifty from a fixed date, for a retry window at synth. */
export function shortestCronIntervalSeconds(
  expression: CronExpression,
  timeZone: string,
): number | undefined {
  const schedule = awsCron(expression, timeZone);
  let shortest: number | undefined;
  let previous = schedule.nextAfter(new Date(Date.UTC(2025, 0, 1)));
  for (let count = 0; previous !== null && count < 50; count++) {
    const next = schedule.nextAfter(previous);
    if (next === null) break;
    const seconds = (next.getTime() - previous.getTime()) / 1000;
    shortest = shortest === undefined ? seconds : Math.min(shortest, seconds);
    previous = next;
  }
  return shortest;
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `timeZone` at `epochMs`, as if that were UTC (epoch ms, to the second). */
function wallClock(epochMs: number, timeZone: string): number {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    wallClocks.set(timeZone, format);
  }
  const part = Object.fromEntries(
    format.formatToParts(new Date(epochMs)).map(({ type, value }) => [type, Number(value)]),
  ) as Record<string, number>;
  return Date.UTC(
    part.year ?? 0,
    (part.month ?? 1) - 1,
    part.day ?? 1,
    part.hour ?? 0,
    part.minute ?? 0,
    part.second ?? 0,
  );
}

/** Whether the clocks were turned back within the last three hours so that this wall-clock time already passed once. */
function repeatsAnEarlierWallTime(epochMs: number, timeZone: string): boolean {
  const earlier = epochMs - 3 * 3600_000;
  const turnedBackBy = wallClock(earlier, timeZone) - earlier - (wallClock(epochMs, timeZone) - epochMs);
  return turnedBackBy > 0 && wallClock(epochMs - turnedBackBy, timeZone) === wallClock(epochMs, timeZone);
}
