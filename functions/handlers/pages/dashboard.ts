import { analyticsQuery, listReports, readStoredAnalytics } from '../../app/analytics';
import type { StoredReport } from '../../app/ports';
import { readSimulation } from '../../app/simulations';
import { assertWorkplace } from '../../app/workplaces';
import type { AnalyticsReport } from '../../domain/analytics/report';
import { formatValue, keyFigures, reportCharts } from '../../domain/analytics/report-view';
import { NotFoundError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import type { Deps } from '../deps';
import { chartScripts, chartSection } from './charts';
import { emptyForm, type FormState, fieldError, formProblems, invalid, refusedForm } from './forms';
import { type Html, html, time } from './html';
import { consolePage } from './layout';
import { namesFor } from './people';
import { type PageRequest, pageRoute } from './session';
import {
  type CandidateSimulation,
  candidatesSection,
  entitlementNames,
  signalsSection,
  ticketHrefFor,
} from './signals';

/** The stored weekly reports looked through for a rule candidate's simulation: about a month of them. */
const STORED_REPORTS = 4;

/**
 * GET /console/dashboard?from=&to=: the analytics of a period (the seven days up to today unless
 * chosen, as GET /analytics answers) from the stored day rollups alone (today's as the
 * `analytics-today` schedule leaves it every five minutes), never the tickets, the days without a
 * stored rollup named:
 * its key figures; its charts, drawn in the browser from the options the emailed report is drawn
 * from, each with its data table; the governance signals with the tickets and people behind
 * them; and the rule candidates with their Cedar text and simulation, which an admin may propose
 * as a policy change (the admin pages simulate it with the live set, then save it).
 */
export const handler = pageRoute({}, async (request, deps) => {
  assertWorkplace(request.workplaces, 'dashboard');
  const values = { from: request.query.from?.trim() ?? '', to: request.query.to?.trim() ?? '' };
  let read: { report: AnalyticsReport; todayAsOf: string | null; missingDays: string[] };
  let weeklies: StoredReport[];
  try {
    const period = parseOrThrow(
      analyticsQuery,
      { from: values.from || undefined, to: values.to || undefined },
      'period',
    );
    // The stored weekly reports, for the candidates' simulations, read while the report is made.
    [read, { items: weeklies }] = await Promise.all([
      readStoredAnalytics(deps, request.caller, period),
      listReports(deps, request.caller, { limit: STORED_REPORTS }),
    ]);
  } catch (error) {
    return consolePage(400, {
      title: 'Dashboard',
      viewer: request,
      active: '/console/dashboard',
      body: periodForm(refusedForm(error, values)),
    });
  }
  const { report, todayAsOf, missingDays } = read;
  const [simulations, nameOf, catalog] = await Promise.all([
    candidateSimulations(deps, request, report, weeklies),
    namesFor(deps.directory, peopleIn(report)),
    deps.directory.catalog(),
  ]);
  const context = { nameOf, entitlementOf: entitlementNames(catalog), ticketHref: ticketHrefFor(request) };
  return consolePage(200, {
    title: 'Dashboard',
    viewer: request,
    active: '/console/dashboard',
    scripts: chartScripts,
    body: html`${periodForm(emptyForm({ from: report.period.from, to: report.period.to }))}${reportBody(report, todayAsOf, missingDays)}
${signalsSection(report, context)}${candidatesSection(report.ruleCandidates, simulations, request, context)}`,
  });
});

/** The period chooser: whole UTC days, sent as a GET so the page it shows can be bookmarked. */
function periodForm(state: FormState): Html {
  const value = (name: string) => state.values[name] ?? '';
  return html`${formProblems(state, ['from', 'to'])}<form class="card period" method="get" action="/console/dashboard">
<div><label for="from">From (a UTC day)</label><input id="from" name="from" type="date" value="${value('from')}"${invalid(state, 'from')}>${fieldError(state, 'from')}</div>
<div><label for="to">To (included)</label><input id="to" name="to" type="date" value="${value('to')}"${invalid(state, 'to')}>${fieldError(state, 'to')}</div>
<div class="actions"><button type="submit">Show the period</button></div></form>`;
}

/**
 * The days the figures leave out: the page reads no ticket, so a day counts once a schedule has
 * stored its rollup (today's every five minutes, each past day's the night after, and days the
 * nightly run missed on a later night).
 */
function missingDaysNote(missingDays: string[]): Html {
  if (missingDays.length === 0) return html``;
  const shown =
    missingDays.length <= 3
      ? missingDays.join(', ')
      : `${missingDays.slice(0, 2).join(', ')}, … ${missingDays.at(-1)}`;
  return html`<p class="notice" id="missing-days">${missingDays.length} ${
    missingDays.length === 1 ? 'day of this period has' : 'days of this period have'
  } no stored rollup yet, and ${missingDays.length === 1 ? 'is' : 'are'} left out of the figures (${shown}). Today's rollup is stored every five minutes; each past day's the night after it, and the nightly run catches up on days it missed.</p>`;
}

/** The people the signals name: those asking, approving and holding. */
const peopleIn = ({ signals }: AnalyticsReport): string[] => [
  ...signals.recurringRequests.flatMap((s) => s.people),
  ...signals.reRequests.map((s) => s.person),
  ...signals.rubberStampApprovers.map((s) => s.approver),
  ...signals.unreviewedStandingGrants.map((s) => s.holder),
];

/** The period in words, the days it lacks, the key figures and the charts. */
function reportBody(report: AnalyticsReport, todayAsOf: string | null, missingDays: string[]): Html {
  const { period } = report;
  return html`<p class="muted">${period.from} to ${period.to}, ${period.days} whole UTC ${
    period.days === 1 ? 'day' : 'days'
  }, from the stored daily rollups${
    todayAsOf ? html`; today up to ${time(todayAsOf)}, when it was last rolled up (every five minutes)` : ''
  }.</p>${missingDaysNote(missingDays)}
<section class="card"><h2>Key figures</h2><dl>${keyFigures(report).map(
    (figure) => html`<dt>${figure.label}</dt><dd>${formatValue(figure.value, figure.unit)}</dd>`,
  )}</dl></section>
${reportCharts(report).map(chartSection)}`;
}

/**
 * Each rule candidate's simulation: the one the candidate names, or else the one the newest of the
 * stored weekly reports started for the same candidate (a report made now starts none), read as it
 * stands.
 */
async function candidateSimulations(
  deps: Deps,
  request: PageRequest,
  report: AnalyticsReport,
  weeklies: readonly StoredReport[],
): Promise<Map<string, CandidateSimulation>> {
  const found = new Map<string, Omit<CandidateSimulation, 'view'>>();
  for (const candidate of report.ruleCandidates) {
    if (candidate.simulation) {
      found.set(candidate.id, { jobId: candidate.simulation.jobId, report: null });
      continue;
    }
    for (const { report: weekly } of weeklies) {
      const jobId = weekly.ruleCandidates.find((c) => c.id === candidate.id)?.simulation?.jobId;
      if (!jobId) continue;
      found.set(candidate.id, { jobId, report: { from: weekly.period.from, to: weekly.period.to } });
      break;
    }
  }
  const read = await Promise.all(
    [...found].map(async ([id, simulation]): Promise<[string, CandidateSimulation]> => {
      try {
        return [id, { ...simulation, view: await readSimulation(deps, request.caller, simulation.jobId) }];
      } catch (error) {
        if (error instanceof NotFoundError) return [id, { ...simulation, view: null }];
        throw error;
      }
    }),
  );
  return new Map(read);
}
