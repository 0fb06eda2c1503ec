import type { GrantStore, PolicyEvaluator, PolicySnapshot, SnapshotStore, TicketStore } from '../app/ports';
import { grantFrom } from '../domain/grants';
import { participants, type Ticket, ticketNumber } from '../domain/ticket';
import { HistoryScript, type ScriptedRequest } from './history-script';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The demo history `npm start` seeds on its first start: about three months of requests, most
 * drawn at random, and scenarios that the analytics' signals find in the last week (the weekly
 * report's period) and, more faintly, in every week before it:
 * - Engineering asks for GitHub access again and again, and Erin approves each within minutes: a
 *   rubber-stamp approver, and two rule candidates (github-read and github-write for Engineering,
 *   always approved, on a moderate system);
 * - three people of Finance ask for wiki-edit five times in the same week: a role or onboarding gap,
 *   and, as their managers approve each within hours, a rule candidate (wiki-edit for Finance);
 * - in the last week only, Bo, on call, asks for a day of aws-prod-deploy three times, each soon
 *   after the last one ended: a re-request, and a standing-access candidate.
 */
export const DEMO_HISTORY = { days: 90, randomTickets: 320, quietWeek: 7 * DAY };

export interface DemoHistoryStores {
  tickets: Pick<TicketStore, 'allocateNumber' | 'create' | 'addViewers'>;
  grants: Pick<GrantStore, 'put'>;
  snapshots: Pick<SnapshotStore, 'put'>;
}

/** Scenario requests of one week, ending `weekEnd`: Engineering's GitHub, `finance` Finance requests. */
function week(weekEnd: number, github: number, finance: number): [number, ScriptedRequest][] {
  const erin = (minutes: number) => ({
    manager: { by: 'erin.lead@example.com', afterMs: minutes * MINUTE, decision: 'approve' as const },
  });
  const requests: [number, ScriptedRequest][] = [];
  // Spread over the week's working hours, ending a day and a half before `weekEnd` so fulfilment is done.
  const at = (n: number, of: number) =>
    Math.floor(weekEnd - 36 * HOUR - ((n + 0.5) / of) * 5 * DAY + (n % 3) * HOUR);
  for (let n = 0; n < github; n++) {
    const person = n % 2 === 0 ? 'alex.dev@example.com' : 'bo.dev@example.com';
    const entitlement = n % 4 < 2 ? 'github-read' : 'github-write';
    requests.push([
      at(n, github),
      { requester: person, beneficiary: person, entitlement, approvers: erin(1 + (n % 4)) },
    ]);
  }
  const financePeople = ['felix.analyst@example.com', 'aude.audit@example.com', 'fiona.finance@example.com'];
  for (let n = 0; n < finance; n++) {
    const person = financePeople[n % financePeople.length] as string;
    requests.push([
      at(n, finance) - 2 * HOUR,
      {
        requester: person,
        beneficiary: person,
        entitlement: 'wiki-edit',
        approvers: { manager: { afterMs: (3 + (n % 3)) * HOUR, decision: 'approve' } },
      },
    ]);
  }
  return requests;
}

/** Bo's on-call week ending `weekEnd`: a day of aws-prod-deploy, three times, two days apart. */
function onCall(weekEnd: number): [number, ScriptedRequest][] {
  return [6.5, 4.5, 2.5].map((daysBefore) => [
    weekEnd - daysBefore * DAY,
    {
      requester: 'bo.dev@example.com',
      beneficiary: 'bo.dev@example.com',
      entitlement: 'aws-prod-deploy',
      duration: 'P1D',
      approvers: { manager: { by: 'erin.lead@example.com', afterMs: 10 * MINUTE, decision: 'approve' } },
      fulfilment: { by: 'ivan.it@example.com', afterMs: 20 * MINUTE },
      revocation: { by: 'ivan.it@example.com', afterMs: 30 * MINUTE },
    },
  ]);
}

/**
 * Scripts the history through the domain's own lifecycle (local/history-script.ts: policy decisions
 * with their recorded inputs, routing, stages, fulfilment, the end of time-bound grants, each change
 * hash-chained) and writes what has settled by now with the store's own adapters: the snapshots (so a
 * simulation replays them), each closed ticket under a number counted out as intake's are, the people
 * it names, and its grant. Tickets still waiting, or whose time-bound access has not ended, are left
 * out: no execution waits for them, and no revocation.
 */
export async function seedDemoHistory(
  stores: DemoHistoryStores,
  baseline: Pick<PolicyEvaluator, 'version' | 'answers'>,
  now: number,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<{ tickets: number }> {
  const script = await HistoryScript.create(baseline, now);
  const quietFrom = now - DEMO_HISTORY.quietWeek;
  const random = script
    .submissionTimes(DEMO_HISTORY.randomTickets, DEMO_HISTORY.days)
    .filter((at) => at < quietFrom)
    .map((at): [number, ScriptedRequest | null] => [at, null]);
  const weeks = Math.floor(DEMO_HISTORY.days / 7);
  const scenarios = [
    ...Array.from({ length: weeks }, (_, w) =>
      w === 0 ? week(now, 14, 5) : week(now - w * 7 * DAY, 2, w % 3 === 0 ? 1 : 0),
    ).flat(),
    ...onCall(now),
  ];
  const filings = [...random, ...scenarios].sort((a, b) => a[0] - b[0]);

  const settled: Ticket[] = [];
  const snapshots = new Map<string, PolicySnapshot>();
  for (const [at, scripted] of filings) {
    const played = scripted ? await script.scriptedAt(at, scripted) : await script.ticketAt(at);
    if (played?.ticket.status !== 'closed') continue;
    settled.push(played.ticket);
    if (!snapshots.has(played.snapshot.hash)) snapshots.set(played.snapshot.hash, played.snapshot);
  }
  const total = snapshots.size + settled.length;
  let done = 0;
  for (const snapshot of snapshots.values()) {
    await stores.snapshots.put(snapshot);
    onProgress(++done, total);
  }
  for (const { outbox: _news, ...scripted } of settled) {
    // History is not news: its tickets carry no events for subscribers (webhooks out).
    const ticket = { ...scripted, number: ticketNumber.format(await stores.tickets.allocateNumber()) };
    await stores.tickets.create(ticket);
    const { approvers, fulfillers } = participants(ticket);
    await stores.tickets.addViewers(ticket.id, [...approvers, ...fulfillers]);
    const grant = grantFrom(ticket);
    if (grant) await stores.grants.put(grant);
    onProgress(++done, total);
  }
  return { tickets: settled.length };
}
