import { afterEach, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

interface ListedSchedule {
  name: string;
  expression: string;
  timeZone?: string;
  nextRun: string | null;
}

let tollgate: TestRuntime | undefined;

afterEach(async () => {
  await tollgate?.close();
  tollgate = undefined;
});

async function weeklyReport(env: Record<string, string>): Promise<ListedSchedule | undefined> {
  tollgate = await startTestRuntime(env);
  const { schedules } = (await (await fetch(`${tollgate.url}/dev/schedules`)).json()) as {
    schedules: ListedSchedule[];
  };
  return schedules.find((schedule) => schedule.name === 'weekly-report');
}

describe('the weekly report schedule of npm start', () => {
  it('goes out when WEEKLY_REPORT_SCHEDULE says, read in WEEKLY_REPORT_TIME_ZONE', async () => {
    // Act: Fridays at 16:30 in Berlin
    const schedule = await weeklyReport({
      WEEKLY_REPORT_SCHEDULE: 'cron(30 16 ? * 6 *)',
      WEEKLY_REPORT_TIME_ZONE: 'Europe/Berlin',
    });

    // Assess
    expect(schedule).toMatchObject({ expression: 'cron(30 16 ? * 6 *)', timeZone: 'Europe/Berlin' });
    const next = new Date(schedule?.nextRun ?? '');
    const inBerlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
    }).format(next);
    expect(inBerlin).toBe('Friday 16:30');
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
  });

  it('goes out Mondays at 07:00 UTC when not set', async () => {
    // Act
    const schedule = await weeklyReport({});

    // Assess
    expect(schedule).toMatchObject({ expression: 'cron(0 7 ? * 2 *)', timeZone: 'UTC' });
    const next = new Date(schedule?.nextRun ?? '');
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 7, 0]);
  });
});
