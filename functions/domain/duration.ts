/**
 * ISO 8601 durations (`PnYnMnWnDTnHnMnS`, whole numbers). Years and months are calendar units:
 * their length depends on where they start, so a duration has no length of its own, only an end
 * once it is applied to a start instant. Everything here is in UTC, so a day is always 24 hours.
 */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** The duration `text` names, or null when it names none, or only a zero one. */
export function parseDuration(text: string): Duration | null {
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return null;
  const [years, months, weeks, days, hours, minutes, seconds] = match
    .slice(1)
    .map((part) => Number(part ?? 0)) as [number, number, number, number, number, number, number];
  const duration = { years, months, weeks, days, hours, minutes, seconds };
  return Object.values(duration).some((part) => part > 0) ? duration : null;
}

export const isDuration = (text: string): boolean => parseDuration(text) !== null;

/**
 * The instant `duration` after `from`: calendar years and months first, keeping the day of the
 * month unless the target month is shorter (then its last day: 31 January + P1M is the end of
 * February), then weeks, days and the time of day as exact spans.
 */
export function addDuration(from: Date, duration: Duration): Date {
  const months = from.getUTCMonth() + duration.years * 12 + duration.months;
  const year = from.getUTCFullYear() + Math.floor(months / 12);
  const month = ((months % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const shifted = new Date(from.getTime());
  shifted.setUTCFullYear(year, month, Math.min(from.getUTCDate(), lastDay));
  const exactSeconds =
    ((duration.weeks * 7 + duration.days) * 24 + duration.hours) * 3600 +
    duration.minutes * 60 +
    duration.seconds;
  return new Date(shifted.getTime() + exactSeconds * 1000);
}

/** Whether `duration` run from `from` ends after `limit` run from the same instant. */
export const endsAfter = (from: Date, duration: Duration, limit: Duration): boolean =>
  addDuration(from, duration).getTime() > addDuration(from, limit).getTime();
