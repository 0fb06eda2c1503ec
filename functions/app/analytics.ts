import { z } from 'zod';
import type { AnalyticsReport } from '../domain/analytics/report';
import { ReportBuilder } from '../domain/analytics/report';
import { type DayRollup, DayRollupBuilder } from '../domain/analytics/rollup';
import type { Thresholds } from '../domain/analytics/thresholds';
import type { Identity, System } from '../domain/directory';
import { ValidationError } from '../domain/errors';
import { type GrantView, grantView } from '../domain/grants';
import { resolvedAt, type Ticket } from '../domain/ticket';
import type {
  AnalyticsSource,
  AnalyticsStore,
  Clock,
  Directory,
  GrantStore,
  HistoryCursor,
  Ids,
  PolicyEngine,
  ReportMailer,
  StoredReport,
  TicketHistory,
} from './ports';
import { assertAnyRole, OVERSIGHT } from './roles';
import { type StartSimulationDeps, simulateCandidate } from './simulations';

const DAY_MS = 86_400_000;
/** The longest period a report covers: a year, leap day included. */
export const MAX_REPORT_DAYS = 366;
/** Tickets a page of the day's submissions reads (BatchGetItem's most). */
const PAGE = 100;

export interface RollupDeps {
  clock: Clock;
  history: Pick<TicketHistory, 'wholePage'>;
  analyticsSource: AnalyticsSource;
  analytics: AnalyticsStore;
  grants: Pick<GrantStore, 'lastEndedBefore'>;
}

export interface ReportDeps extends Omit<RollupDeps, 'grants'> {
  grants: Pick<GrantStore, 'lastEndedBefore' | 'activeStandingGrants'>;
  directory: Pick<Directory, 'catalog'>;
  settings: { analyticsThresholds: Thresholds };
}

const dayOf = (at: Date | string) => (typeof at === 'string' ? at : at.toISOString()).slice(0, 10);
const startOf = (day: string) => new Date(`${day}T00:00:00.000Z`);
const addDays = (day: string, days: number) => dayOf(new Date(startOf(day).getTime() + days * DAY_MS));

/** Every day from `from` to `to`, both included. */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) days.push(day);
  return days;
}

/**
 * Primary course: one day's rollup from the items of that day alone, each read through an index
 * (submitted: gsi3 by status over the day's ids; resolved and feedback: gsi5 by day), stored as the
 * one rollup of that day. Running it again replaces it, so a failed or repeated run is harmless.
 */
export async function rollupDay(deps: RollupDeps, day: string): Promise<DayRollup> {
  const builder = new DayRollupBuilder(day);
  const period = { from: startOf(day), to: new Date(startOf(day).getTime() + DAY_MS - 1) };
  // A ticket that changes status during the reading may be listed twice: it counts once.
  const seen = new Set<string>();
  let cursor: HistoryCursor | null = null;
  do {
    const page = await deps.history.wholePage(period, cursor, PAGE);
    for (const { ticket } of page.entries) {
      if (!ticket || seen.has(ticket.id)) continue;
      seen.add(ticket.id);
      builder.addSubmitted(ticket, await previousGrantEnd(deps.grants, ticket));
    }
    cursor = page.next;
  } while (cursor);
  // The index may lag its table: a ticket counts on the day its timeline says.
  for await (const tickets of deps.analyticsSource.resolvedOn(day)) {
    for (const ticket of tickets) if (dayOf(resolvedAt(ticket) ?? '') === day) builder.addResolved(ticket);
  }
  for await (const tickets of deps.analyticsSource.feedbackOn(day)) {
    for (const ticket of tickets) if (dayOf(ticket.feedback?.at ?? '') === day) builder.addFeedback(ticket);
  }
  const rollup = builder.finish(deps.clock.now().toISOString());
  await deps.analytics.putRollup(rollup);
  return rollup;
}

/** The days before yesterday the nightly rollup looks back over for days it missed: a quarter. */
export const CATCH_UP_DAYS = 92;
/** Missed days one nightly run rolls up at most, newest first, so a long gap is caught up over nights. */
export const CATCH_UP_PER_RUN = 31;

/**
 * Alternate course of the nightly rollup: the days of the CATCH_UP_DAYS before `before` that have no
 * stored rollup (the job failed or did not run that night, or Tollgate was not deployed yet) are
 * rolled up, newest first, CATCH_UP_PER_RUN at most; so the dashboard, which reads stored rollups
 * alone, has every day. Answers the days rolled up.
 */
export async function catchUpRollups(deps: RollupDeps, before: string): Promise<string[]> {
  const window = daysOf(addDays(before, -CATCH_UP_DAYS), addDays(before, -1));
  const stored = await deps.analytics.rolledUpDays(window[0] as string, window.at(-1) as string);
  const missed = window
    .filter((day) => !stored.has(day))
    .reverse()
    .slice(0, CATCH_UP_PER_RUN);
  for (const day of missed) await rollupDay(deps, day);
  return missed;
}

/** When the beneficiary's last grant of the same entitlement ended before this request, if one did. */
async function previousGrantEnd(
  grants: Pick<GrantStore, 'lastEndedBefore'>,
  ticket: Ticket,
): Promise<string | null> {
  if (ticket.type !== 'access' || !ticket.system || !ticket.entitlement) return null;
  return grants.lastEndedBefore(ticket.beneficiary, ticket.system, ticket.entitlement, ticket.createdAt);
}

/** A report's days when a query names none: the week up to today, as the weekly report covers. */
const DEFAULT_DAYS = 7;

export const analyticsQuery = z.strictObject({
  from: z.iso
    .date({ message: 'must be a date such as 2026-11-01' })
    .optional()
    .meta({ description: `First day (UTC); ${DEFAULT_DAYS} days up to \`to\` when left out` }),
  to: z.iso.date({ message: 'must be a date such as 2026-11-30' }).optional().meta({
    description:
      'Last day (UTC), included; today when left out. A period that includes today covers it up to now',
  }),
});

/** The period a query asks for: the days it names, or the week up to today. */
function periodAsked(deps: Pick<ReportDeps, 'clock'>, asked: z.output<typeof analyticsQuery>) {
  const to = asked.to ?? dayOf(deps.clock.now());
  return { from: asked.from ?? addDays(to, 1 - DEFAULT_DAYS), to };
}

/**
 * Primary course: the report of a period, from the stored rollups of its days. Today's rollup is
 * made afresh, so that what happened this morning shows; a past day with no rollup yet (before the
 * nightly job first ran) is rolled up now, and stored. Days after today have nothing to add.
 */
export async function readAnalytics(
  deps: ReportDeps,
  caller: Identity,
  asked: z.output<typeof analyticsQuery>,
): Promise<AnalyticsReport> {
  assertAnyRole(caller, OVERSIGHT, 'read analytics');
  return (await reportOf(deps, periodAsked(deps, asked), 'afresh')).report;
}

/**
 * Primary course of the dashboard: the report of a period from the stored rollups alone, today's
 * as the `analytics-today` schedule last stored it (every five minutes), so that a page reads no
 * ticket, whatever the period and however many tickets there are. Alternate course: a day without
 * a stored rollup (today before the schedule first ran, a past day the nightly job has not caught
 * up on) is left out and named in `missingDays`. Answers when today's rollup was made, for a
 * period that includes today.
 */
export async function readStoredAnalytics(
  deps: ReportDeps,
  caller: Identity,
  asked: z.output<typeof analyticsQuery>,
): Promise<{ report: AnalyticsReport; todayAsOf: string | null; missingDays: string[] }> {
  assertAnyRole(caller, OVERSIGHT, 'read analytics');
  const { report, todayRollup, missingDays } = await reportOf(deps, periodAsked(deps, asked), 'stored');
  return { report, todayAsOf: todayRollup?.computedAt ?? null, missingDays };
}

/** The report of a period (whole UTC days), rolling up today and any past day not rolled up yet. */
export async function computeReport(
  deps: ReportDeps,
  period: { from: string; to: string },
  onDay?: (done: number, total: number) => void,
): Promise<AnalyticsReport> {
  return (await reportOf(deps, period, 'afresh', onDay)).report;
}

/**
 * The report of a period, and today's rollup when the period includes today. `afresh`: today
 * rolled up now, and any past day without a stored rollup too. `stored`: the stored rollups alone,
 * the days without one left out and answered as `missingDays`.
 */
async function reportOf(
  deps: ReportDeps,
  period: { from: string; to: string },
  rollups: 'afresh' | 'stored',
  onDay?: (done: number, total: number) => void,
): Promise<{ report: AnalyticsReport; todayRollup: DayRollup | null; missingDays: string[] }> {
  if (period.from > period.to)
    throw new ValidationError('The period is empty', { from: 'must not be after to' });
  const days = daysOf(period.from, period.to);
  if (days.length > MAX_REPORT_DAYS) {
    throw new ValidationError('The period is too long', {
      to: `must be within ${MAX_REPORT_DAYS} days of from`,
    });
  }
  const now = deps.clock.now();
  const today = dayOf(now);
  const builder = new ReportBuilder();
  const stored = new Map<string, DayRollup>();
  const lastDay = [period.to, today].sort()[0] ?? today;
  for await (const rollup of deps.analytics.rollups(period.from, lastDay)) {
    if (rollup.day !== today || rollups === 'stored') stored.set(rollup.day, rollup);
  }
  let done = 0;
  let ofToday: DayRollup | null = null;
  const missingDays: string[] = [];
  for (const day of days) {
    if (day > today) continue;
    const rollup = stored.get(day) ?? (rollups === 'afresh' ? await rollupDay(deps, day) : null);
    if (!rollup) {
      missingDays.push(day);
      continue;
    }
    if (day === today) ofToday = rollup;
    builder.add(rollup);
    onDay?.(++done, days.length);
  }
  const catalog = await deps.directory.catalog();
  const report = builder.finish({
    period,
    computedAt: now.toISOString(),
    thresholds: deps.settings.analyticsThresholds,
    sensitivities: new Map(catalog.map((system) => [system.id, system.sensitivity])),
    standingGrants: await standingGrants(
      deps.grants,
      catalog,
      grantedBy(now, deps.settings.analyticsThresholds.standingGrants.olderThanDays),
    ),
  });
  return { report, todayRollup: ofToday, missingDays };
}

/** The last instant a grant may have begun and be old enough for the standing-grants signal, as of `now`. */
const grantedBy = (now: Date, olderThanDays: number) =>
  new Date(Math.floor(now.getTime() - olderThanDays * DAY_MS));

/**
 * The standing grants active now that began by `by`, system by system: only those whose ticket was
 * filed by then are read, however many have ended or began since.
 */
async function standingGrants(
  grants: Pick<GrantStore, 'activeStandingGrants'>,
  catalog: readonly System[],
  by: Date,
): Promise<GrantView[]> {
  const filedBefore = new Date(by.getTime() + 1);
  const bySystem = await Promise.all(
    catalog.map((system) => grants.activeStandingGrants(system.id, filedBefore)),
  );
  return bySystem.flat().map(grantView);
}

export const reportListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(20).default(5),
  before: z.string().max(40).optional().meta({ description: 'A report id: the reports stored before it' }),
});

/** Primary course: the stored weekly reports, newest first. */
export async function listReports(
  deps: { analytics: AnalyticsStore },
  caller: Identity,
  { limit, before }: z.output<typeof reportListQuery>,
): Promise<{ items: StoredReport[]; next: string | null }> {
  assertAnyRole(caller, OVERSIGHT, 'read analytics');
  const page = await deps.analytics.reports({ limit, ...(before ? { before } : {}) });
  return { items: page.items, next: page.last };
}

export interface WeeklyReportDeps extends ReportDeps, Omit<StartSimulationDeps, 'policies'> {
  ids: Ids;
  policies: Pick<PolicyEngine, 'compile' | 'live'>;
  log: (message: string, details: Record<string, unknown>) => void;
  reportMailer: ReportMailer;
  settings: ReportDeps['settings'] & { analyticsRecipients: readonly string[] };
}

/** Who starts the simulations of the weekly report's rule candidates. */
const SCHEDULER = { id: 'tollgate' };

/**
 * Primary course of the weekly schedule: the report of the seven days up to today, each rule
 * candidate simulated (the live set with the rule added, over the week) so the report names the
 * job that shows what the rule would have changed, stored, then sent to the configured recipients.
 * A candidate that cannot be simulated keeps `simulation: null`; the report goes out regardless.
 */
export async function runWeeklyReport(deps: WeeklyReportDeps): Promise<StoredReport> {
  const today = dayOf(deps.clock.now());
  const period = { from: addDays(today, 1 - DEFAULT_DAYS), to: today };
  const report = await computeReport(deps, period);
  const live = await deps.policies.live();
  for (const candidate of report.ruleCandidates) {
    try {
      candidate.simulation = {
        jobId: (
          await simulateCandidate(
            deps,
            SCHEDULER,
            { ...live.policies, [candidate.id]: candidate.cedar },
            { from: startOf(period.from), to: deps.clock.now() },
          )
        ).id,
      };
    } catch (error) {
      deps.log('A rule candidate could not be simulated', {
        candidate: candidate.id,
        error: (error as Error).message,
      });
    }
  }
  const stored: StoredReport = {
    id: deps.ids.jobId(),
    report,
    sentTo: [...deps.settings.analyticsRecipients],
  };
  await deps.analytics.putReport(stored);
  if (stored.sentTo.length > 0) await deps.reportMailer.sendWeeklyReport(report, stored.sentTo);
  return stored;
}
