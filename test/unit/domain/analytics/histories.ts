import { type ReportContext, reportOf } from '../../../../functions/domain/analytics/report';
import { type DayRollup, DayRollupBuilder } from '../../../../functions/domain/analytics/rollup';
import { defaultThresholds, type Thresholds } from '../../../../functions/domain/analytics/thresholds';
import type { ClosureCode, Status } from '../../../../functions/domain/lifecycle';
import type { Approval, Ticket } from '../../../../functions/domain/ticket';
import { appendEvent } from '../../../../functions/domain/timeline';
import { ticket as baseTicket, unopenedWait } from '../tickets';

const HOUR = 3_600_000;
export const at = (day: string, hours = 0) =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) + hours * HOUR).toISOString();

let counter = 0;

export interface Stage {
  stage?: string;
  by: string;
  decision?: 'approve' | 'deny';
  /** Hours after submission that it opened, and that it was decided. */
  openedAfter?: number;
  decidedAfter: number;
}

/** A hand-made ticket: filed at `createdAt`, its stages decided as given, resolved `resolvedAfter` hours later (or still open). */
export function made(
  options: {
    createdAt?: string;
    resolvedAfter?: number | null;
    to?: Extract<Status, 'active' | 'closed'>;
    closure?: ClosureCode | null;
    department?: string;
    system?: string;
    entitlement?: string;
    beneficiary?: string;
    type?: Ticket['type'];
    outcome?: 'approval_required' | 'auto_approved' | 'auto_rejected';
    stages?: Stage[];
    breaches?: ('first_response' | 'resolution')[];
    feedback?: { rating: number; at: string };
  } = {},
): Ticket {
  const createdAt = options.createdAt ?? at('2026-11-02', 9);
  const hours = (h: number) => new Date(Date.parse(createdAt) + h * HOUR).toISOString();
  const beneficiary = options.beneficiary ?? 'dev@x.com';
  let timeline: Ticket['timeline'] = appendEvent<Status>([], {
    type: 'submitted',
    at: createdAt,
    actor: beneficiary,
    reason: null,
    from: null,
    to: 'submitted',
    data: {},
  });
  const approvals: Approval[] = [];
  for (const [index, stage] of (options.stages ?? []).entries()) {
    const openedAt = hours(stage.openedAfter ?? 0);
    timeline = appendEvent(timeline, {
      type: 'stage_opened',
      at: openedAt,
      actor: 'tollgate',
      reason: null,
      from: 'submitted',
      to: 'pending_approval',
      data: { index },
    });
    approvals.push({
      stage: stage.stage ?? 'manager',
      candidates: [stage.by],
      decidedBy: stage.by,
      decision: stage.decision ?? 'approve',
      at: hours(stage.decidedAfter),
      comment: null,
      via: 'link',
      deadline: null,
      path: [],
      ...unopenedWait,
    });
  }
  const resolvedAfter = options.resolvedAfter === undefined ? 24 : options.resolvedAfter;
  const to = options.to ?? 'closed';
  if (resolvedAfter !== null) {
    timeline = appendEvent(timeline, {
      type: to === 'active' ? 'granted' : 'closed',
      at: hours(resolvedAfter),
      actor: 'tollgate',
      reason: null,
      from: 'fulfilling',
      to,
      data: {},
    });
  }
  const ticket = baseTicket({
    id: `01T${String(++counter).padStart(23, '0')}`,
    type: options.type ?? 'access',
    status: resolvedAfter === null ? 'pending_approval' : to,
    closure: resolvedAfter === null || to === 'active' ? null : (options.closure ?? 'fulfilled'),
    beneficiary,
    requester: beneficiary,
    department: options.department ?? 'Engineering',
    system: options.system ?? 'wiki',
    entitlement: options.entitlement ?? 'wiki-read',
    decision: {
      outcome: options.outcome ?? 'approval_required',
      stages: [],
      policyIds: [],
      version: 'v',
      reason: null,
      askedBy: {},
      policyReasons: {},
      cap: null,
      inputs: null,
    },
    approvals,
    sla: options.breaches
      ? {
          firstResponseDue: createdAt,
          resolutionDue: createdAt,
          firstResponseAt: null,
          breaches: options.breaches.map((sla) => ({ sla, at: createdAt })),
        }
      : null,
    createdAt,
    updatedAt: timeline.at(-1)?.at ?? createdAt,
    timeline,
  });
  return options.feedback ? { ...ticket, feedback: options.feedback } : ticket;
}

const dayOf = (iso: string) => iso.slice(0, 10);

/** Every day's rollup of these tickets, as the rollup job would make them: each figure on its own day. */
export function rollupsOf(
  tickets: readonly Ticket[],
  previousGrantEnds: ReadonlyMap<string, string> = new Map(),
): DayRollup[] {
  const builders = new Map<string, DayRollupBuilder>();
  const builder = (day: string) => {
    let found = builders.get(day);
    if (!found) {
      found = new DayRollupBuilder(day);
      builders.set(day, found);
    }
    return found;
  };
  for (const ticket of tickets) {
    builder(dayOf(ticket.createdAt)).addSubmitted(ticket, previousGrantEnds.get(ticket.id) ?? null);
    const resolved = ticket.timeline.find((event) => event.to === 'active' || event.to === 'closed');
    if (resolved) builder(dayOf(resolved.at)).addResolved(ticket);
    const feedback = (ticket as { feedback?: { at: string } }).feedback;
    if (feedback) builder(dayOf(feedback.at)).addFeedback(ticket);
  }
  return [...builders.values()].map((built) => built.finish('2026-12-01T00:00:00.000Z'));
}

/** The report of the rollups whose day falls in [from, to], as stored and read back (JSON). */
export function reportFor(
  rollups: readonly DayRollup[],
  period: { from: string; to: string },
  context: Partial<Omit<ReportContext, 'period' | 'thresholds'>> & { thresholds?: Partial<Thresholds> } = {},
) {
  const stored = rollups
    .filter((rollup) => rollup.day >= period.from && rollup.day <= period.to)
    .map((rollup) => JSON.parse(JSON.stringify(rollup)) as DayRollup);
  return reportOf(stored, {
    period,
    computedAt: context.computedAt ?? '2026-12-01T00:00:00.000Z',
    thresholds: { ...defaultThresholds(), ...context.thresholds },
    sensitivities: context.sensitivities ?? new Map(),
    standingGrants: context.standingGrants ?? [],
  });
}

/** The value at quantile q of sorted values, by the lower rank (DDSketch's definition). */
export function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}
