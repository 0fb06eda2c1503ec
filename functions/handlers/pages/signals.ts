import type { SimulationView } from '../../app/simulations';
import type { AnalyticsReport } from '../../domain/analytics/report';
import { percent, rounded } from '../../domain/analytics/report-view';
import type { RuleCandidate } from '../../domain/analytics/rule-candidates';
import type { System } from '../../domain/directory';
import { describeChanges, type SimulationTally } from '../../domain/policy/simulation';
import { type Html, html, time } from './html';
import { csrfField, type Viewer } from './layout';

/** Entries of a signal shown, and tickets of an entry: the rest is counted, so a page stays light. */
export const SHOWN_ENTRIES = 25;
export const SHOWN_TICKETS = 5;

/** What the signals' tables need besides the report: how to name people, entitlements and where a ticket is read. */
export interface SignalContext {
  nameOf: (id: string) => string;
  entitlementOf: (system: string | null, entitlement: string) => Html;
  ticketHref: (id: string) => string;
}

/** Where the auditor reads a ticket, or the viewer's own page of it for anyone else. */
export const ticketHrefFor =
  (viewer: Viewer) =>
  (id: string): string =>
    viewer.workplaces.audit
      ? `/console/audit/requests/${encodeURIComponent(id)}`
      : `/console/requests/${encodeURIComponent(id)}`;

/** An entitlement by its catalog names (`GitHub: Push to repositories`), its ids beneath; the ids alone when unknown. */
export function entitlementNames(catalog: readonly System[]) {
  const systems = new Map(catalog.map((system) => [system.id, system]));
  const bySystemless = new Map(
    catalog.flatMap((system) => system.entitlements.map((entitlement) => [entitlement.id, system] as const)),
  );
  return (systemId: string | null, entitlementId: string): Html => {
    const system = (systemId ? systems.get(systemId) : undefined) ?? bySystemless.get(entitlementId);
    const entitlement = system?.entitlements.find((candidate) => candidate.id === entitlementId);
    if (!system || !entitlement) return html`${entitlementId}`;
    return html`${system.name}: ${entitlement.name} <span class="muted">(${entitlementId})</span>`;
  };
}

const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

function ticketLinks(context: SignalContext, ids: readonly string[]): Html {
  const more = ids.length - SHOWN_TICKETS;
  return html`<ul class="ids">${ids
    .slice(0, SHOWN_TICKETS)
    .map(
      (id) => html`<li><a href="${context.ticketHref(id)}">${id}</a></li>`,
    )}${more > 0 ? html`<li class="muted">and ${more} more</li>` : ''}</ul>`;
}

const people = (context: SignalContext, ids: readonly string[]) => ids.map(context.nameOf).join(', ');

/** One entry of a signal: what it is about, then its facts by name. */
interface Entry {
  heading: Html;
  facts: [string, Html | string | number][];
}

/** A signal: what raises it, then its entries, or a sentence saying none were found. */
function signal<T>(title: string, rule: string, entries: readonly T[], entry: (signal: T) => Entry): Html {
  const more = entries.length - SHOWN_ENTRIES;
  return html`<h3>${title}</h3><p class="muted">${rule}</p>${
    entries.length === 0
      ? html`<p>None in this period.</p>`
      : html`<ul class="entries">${entries.slice(0, SHOWN_ENTRIES).map((shown) => {
          const { heading, facts } = entry(shown);
          return html`<li><h4>${heading}</h4><dl>${facts.map(
            ([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`,
          )}</dl></li>`;
        })}</ul>${
          more > 0
            ? html`<p class="muted">… and ${count(more, 'more entry')} (GET /analytics lists them all).</p>`
            : ''
        }`
  }`;
}

/** The governance signals, each with the tickets and people behind it. */
export function signalsSection(report: AnalyticsReport, context: SignalContext): Html {
  const { signals, thresholds: t } = report;
  return html`<section class="card" id="signals"><h2>Governance signals</h2>
${signal(
  'Recurring requests',
  `One entitlement asked for by at least ${t.recurringRequests.minPeople} people of one department: a role or onboarding gap.`,
  signals.recurringRequests,
  (s) => ({
    heading: html`${s.department}: ${context.entitlementOf(s.system, s.entitlement)}`,
    facts: [
      ['People', people(context, s.people)],
      ['Tickets', ticketLinks(context, s.tickets)],
    ],
  }),
)}
${signal(
  'Re-requests',
  `Someone asking again within ${t.reRequests.withinDays} days of their grant ending, at least ${count(t.reRequests.minTimes, 'time')}: a standing-access candidate.`,
  signals.reRequests,
  (s) => ({
    heading: html`${context.nameOf(s.person)}: ${context.entitlementOf(s.system, s.entitlement)}`,
    facts: [
      ['Times', s.times],
      ['Hours after a grant ended', s.hoursAfterEnd.map((hours) => rounded(hours)).join(', ')],
      ['Tickets', ticketLinks(context, s.tickets)],
    ],
  }),
)}
${signal(
  'Rubber-stamp approvers',
  `At least ${t.rubberStamp.minDecisions} decisions, ${percent(t.rubberStamp.minApprovalRate)}% or more approved, half of them within ${t.rubberStamp.maxMedianMinutes} minutes.`,
  signals.rubberStampApprovers,
  (s) => ({
    heading: html`${context.nameOf(s.approver)}`,
    facts: [
      ['Decisions', s.decisions],
      ['Approved', `${percent(s.approvalRate)}%`],
      ['Median decision', `${s.medianMinutes.toFixed(1)} min`],
      ['Tickets approved', ticketLinks(context, s.tickets)],
    ],
  }),
)}
${signal(
  'Slow entitlements',
  `A median time to resolution of ${t.slowEntitlements.minMedianHours} hours or more, over at least ${count(t.slowEntitlements.minTickets, 'ticket')}.`,
  signals.slowEntitlements,
  (s) => ({
    heading: context.entitlementOf(null, s.entitlement),
    facts: [
      ['Tickets', s.tickets],
      ['Median', `${rounded(s.medianHours)} h`],
      ['p90', `${rounded(s.p90Hours)} h`],
      ['Slowest tickets', ticketLinks(context, s.slowest)],
    ],
  }),
)}
${signal(
  'Standing grants nobody reviewed',
  `Standing access granted more than ${t.standingGrants.olderThanDays} days ago, active now.`,
  signals.unreviewedStandingGrants,
  (s) => ({
    heading: html`${context.nameOf(s.holder)}: ${context.entitlementOf(s.system, s.entitlement)}`,
    facts: [
      ['Since', html`${time(s.since)} (${Math.floor(s.days)} days)`],
      ['Ticket', ticketLinks(context, [s.ticket])],
    ],
  }),
)}
</section>`;
}

/** A rule candidate's simulation as the dashboard found it: the job, from the weekly report that started it. */
export interface CandidateSimulation {
  jobId: string;
  /** The stored weekly report that started the job, when it came from one. */
  report: { from: string; to: string } | null;
  /** The job as it stands; null when it is no longer stored. */
  view: SimulationView | null;
}

/** The counts of the people's decisions a candidate would have turned into auto-approvals. */
function autoApprovals(tally: SimulationTally): { approved: number; denied: number } {
  const sum = (happened: string) =>
    tally.outcomes
      .filter((row) => row.changed && row.candidate === 'auto_approved' && row.happened === happened)
      .reduce((total, row) => total + row.count, 0);
  return { approved: sum('approved'), denied: sum('denied') };
}

/** A candidate's simulation in words: its status, and once done what it would have changed. */
export function simulationWords(simulation: CandidateSimulation | undefined): Html {
  if (!simulation) {
    return html`<p class="muted">Not simulated yet: the weekly report simulates each candidate it finds.</p>`;
  }
  const { view } = simulation;
  const from = simulation.report
    ? html` (started by the weekly report of ${simulation.report.from} to ${simulation.report.to})`
    : '';
  if (!view) return html`<p class="muted">Its simulation ${simulation.jobId}${from} is no longer stored.</p>`;
  if (view.status === 'failed') {
    return html`<p>The simulation${from} failed: ${view.error?.message ?? 'no reason was recorded'}.</p>`;
  }
  if (view.status !== 'done' || !view.result) {
    const total = view.progress.total === null ? '' : ` of ${view.progress.total}`;
    return html`<p>The simulation${from} is ${view.status}: ${view.progress.done}${total} tickets replayed so far.</p>`;
  }
  const tally = view.result;
  const { approved, denied } = autoApprovals(tally);
  const others = tally.outcomes.some(
    (row) =>
      row.changed &&
      !(row.candidate === 'auto_approved' && (row.happened === 'approved' || row.happened === 'denied')),
  );
  return html`<p class="simulation"><strong>Simulated${from}: would auto-approve ${count(approved, 'ticket')} people approved, ${denied} they denied.</strong></p>
<p class="muted">Replayed ${tally.replayed} of the ${count(tally.examined, 'access ticket')} filed from ${time(view.from)} to ${time(view.to)}, with the live policies and this rule; ${tally.changed} would have been decided otherwise.</p>${
    others ? html`<ul>${describeChanges(tally).map((line) => html`<li>It ${line}.</li>`)}</ul>` : ''
  }`;
}

/** The rule candidates with their Cedar text, their simulation, and for an admin a way to propose one. */
export function candidatesSection(
  candidates: readonly RuleCandidate[],
  simulations: ReadonlyMap<string, CandidateSimulation>,
  viewer: Viewer,
  context: Pick<SignalContext, 'entitlementOf'>,
): Html {
  return html`<section class="card" id="rule-candidates"><h2>Rule candidates</h2>
<p class="muted">Requests people always approved, each with the Cedar policy that would approve them by policy. Nothing changes until an admin saves one into the live policies.</p>${
    candidates.length === 0
      ? html`<p>None in this period.</p>`
      : candidates.map(
          (
            candidate,
          ) => html`<article class="candidate" id="${candidate.id}"><h3>${candidate.entitlement} for ${candidate.department}</h3>
<p>${context.entitlementOf(candidate.system, candidate.entitlement)}</p>
<p>People approved ${count(candidate.approved, 'request')} and denied none (${candidate.sensitivity} sensitivity); policy already approved ${candidate.autoApproved}.</p>
<pre><code>${candidate.cedar}</code></pre>
${simulationWords(simulations.get(candidate.id))}${
  viewer.workplaces.admin
    ? html`<form method="post" action="/console/admin/policies/simulate">${csrfField(viewer)}<input type="hidden" name="addId" value="${candidate.id}"><input type="hidden" name="addText" value="${candidate.cedar}"><div class="actions"><button type="submit">Propose as a policy change<span class="visually-hidden">: ${candidate.entitlement} for ${candidate.department}</span></button></div></form>`
    : ''
}</article>`,
        )
  }</section>`;
}
