/**
 * THE schedule list. The CDK stack creates one EventBridge Scheduler schedule per entry; the local
 * runtime runs the same handlers on the same rates (shortened by TOLLGATE_TIME_SCALE).
 */
export interface Schedule {
  name: string;
  /** EventBridge Scheduler `rate(...)` expression. */
  expression: `rate(${number} ${'minute' | 'minutes' | 'hour' | 'hours' | 'day' | 'days'})`;
  handler: string;
  description: string;
}

export const schedules: Schedule[] = [
  {
    name: 'reconcile',
    expression: 'rate(5 minutes)',
    handler: 'scheduled/reconcile',
    description:
      'Start executions for tickets that lack one; resend decisions not yet delivered to their execution; close as failed the tickets whose execution ended without them',
  },
];

const UNIT_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;

export function rateSeconds(expression: Schedule['expression']): number {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!match) throw new Error(`Not a rate expression: ${expression}`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}
