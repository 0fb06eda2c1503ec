import type { System } from '../directory';
import type { GrantView } from '../grants';
import type { Counts, DayRollup, PatternDay, ReRequest } from './rollup';
import { splitPatternKey } from './rollup';
import { type RuleCandidate, ruleCandidateOf } from './rule-candidates';
import { mergeStored, newSketch, type Quantiles, quantilesOf, RELATIVE_ACCURACY } from './sketch';
import type { Thresholds } from './thresholds';

export interface Tally {
  key: string;
  count: number;
}

export interface Rate {
  count: number;
  /** Of the tickets resolved in the period; null when none was. */
  rate: number | null;
}

export type KeyedQuantiles = Quantiles & { key: string };

export interface RecurringRequestSignal {
  department: string;
  system: string;
  entitlement: string;
  people: string[];
  tickets: string[];
}

export interface ReRequestSignal {
  person: string;
  system: string;
  entitlement: string;
  times: number;
  tickets: string[];
  hoursAfterEnd: number[];
}

export interface RubberStampSignal {
  approver: string;
  decisions: number;
  approvalRate: number;
  medianMinutes: number;
  tickets: string[];
}

export interface SlowEntitlementSignal {
  entitlement: string;
  tickets: number;
  medianHours: number;
  p90Hours: number;
  slowest: string[];
}

export interface StandingGrantSignal {
  grant: string;
  holder: string;
  system: string;
  entitlement: string;
  ticket: string;
  since: string;
  days: number;
}

/**
 * THE analytics report: what GET /analytics answers, what the weekly schedule stores and mails. A
 * plain JSON object, so that any renderer (text, HTML, charts) takes it as it is. Durations are
 * hours (approvers' medians also minutes), each median and p90 within 1% (DDSketch); lists are
 * sorted largest first, then by key.
 */
export interface AnalyticsReport {
  /** Whole UTC days, both included. */
  period: { from: string; to: string; days: number };
  computedAt: string;
  /** By day of submission. */
  volume: {
    total: number;
    byType: Tally[];
    bySystem: Tally[];
    byDepartment: Tally[];
    byEntitlement: Tally[];
    byUrgency: Tally[];
  };
  /** Time from submission to resolution (access granted, or the ticket closed), by day of resolution. */
  resolution: { overall: Quantiles; byEntitlement: KeyedQuantiles[]; bySystem: KeyedQuantiles[] };
  /** From a stage's opening to its decision, by day of the ticket's resolution. */
  approvalLatency: {
    byStage: KeyedQuantiles[];
    byApprover: (KeyedQuantiles & { approved: number; denied: number })[];
  };
  /** Support tickets resolved in the period that broke an SLA, each breach counted. */
  slaBreaches: { firstResponse: number; resolution: number; tickets: string[] };
  /** By day of feedback; the response rate is responses per ticket resolved in the period. */
  satisfaction: { responses: number; average: number | null; responseRate: number | null; ratings: number[] };
  rates: {
    resolved: number;
    autoApproval: Rate;
    rejection: Rate;
    cancellation: Rate;
    timeout: Rate;
    failure: Rate;
  };
  signals: {
    recurringRequests: RecurringRequestSignal[];
    reRequests: ReRequestSignal[];
    rubberStampApprovers: RubberStampSignal[];
    slowEntitlements: SlowEntitlementSignal[];
    unreviewedStandingGrants: StandingGrantSignal[];
  };
  ruleCandidates: RuleCandidate[];
  thresholds: Thresholds;
}

/** What a report reads besides its days' rollups. */
export interface ReportContext {
  period: { from: string; to: string };
  computedAt: string;
  thresholds: Thresholds;
  /** Each system's sensitivity: rule candidates are for low and moderate ones only. */
  sensitivities: ReadonlyMap<string, System['sensitivity']>;
  /** The standing grants that are active now. */
  standingGrants: readonly GrantView[];
}

/** Signals list at most this many entries, and each entry this many tickets, so a report stays one item. */
export const MAX_LISTED = 50;

type Sketch = ReturnType<typeof newSketch>;

/** Adds up the rollups of a period, one at a time, into its report. */
export class ReportBuilder {
  private days = 0;
  private readonly volume = {
    total: 0,
    byType: {} as Counts,
    bySystem: {} as Counts,
    byDepartment: {} as Counts,
    byEntitlement: {} as Counts,
    byUrgency: {} as Counts,
  };
  private readonly requests = new Map<string, { people: Set<string>; tickets: string[] }>();
  private readonly reRequests: ReRequest[] = [];
  private resolved = 0;
  private readonly outcomes = { autoApproved: 0, rejected: 0, cancelled: 0, timedOut: 0, failed: 0 };
  private readonly resolution = newSketch();
  private readonly byEntitlement = new Map<string, Sketch>();
  private readonly bySystem = new Map<string, Sketch>();
  private readonly slowest = new Map<string, [string, number][]>();
  private readonly stages = new Map<string, Sketch>();
  private readonly approvers = new Map<
    string,
    { approved: number; denied: number; sketch: Sketch; tickets: string[] }
  >();
  private readonly patterns = new Map<string, PatternDay>();
  private readonly sla = { firstResponse: 0, resolution: 0, tickets: [] as string[] };
  private feedbackResponses = 0;
  private readonly ratings = [0, 0, 0, 0, 0];

  add(rollup: DayRollup): void {
    this.days++;
    const { submitted, resolved, feedback } = rollup;
    this.volume.total += submitted.total;
    addCounts(this.volume.byType, submitted.byType);
    addCounts(this.volume.bySystem, submitted.bySystem);
    addCounts(this.volume.byDepartment, submitted.byDepartment);
    addCounts(this.volume.byEntitlement, submitted.byEntitlement);
    addCounts(this.volume.byUrgency, submitted.byUrgency);
    for (const [key, asked] of Object.entries(submitted.requests)) {
      const group = mapEntry(this.requests, key, () => ({ people: new Set<string>(), tickets: [] }));
      for (const person of asked.people) group.people.add(person);
      group.tickets.push(...asked.tickets.slice(0, MAX_LISTED - group.tickets.length));
    }
    this.reRequests.push(...submitted.reRequests);

    this.resolved += resolved.total;
    for (const key of Object.keys(this.outcomes) as (keyof typeof this.outcomes)[]) {
      this.outcomes[key] += resolved.outcomes[key];
    }
    mergeStored(this.resolution, resolved.seconds);
    mergeAll(this.byEntitlement, resolved.byEntitlement);
    mergeAll(this.bySystem, resolved.bySystem);
    for (const [entitlement, slow] of Object.entries(resolved.slowest)) {
      const list = mapEntry(this.slowest, entitlement, () => []);
      list.push(...slow);
      list.sort((a, b) => b[1] - a[1]);
      list.splice(5);
    }
    mergeAll(this.stages, resolved.stageSeconds);
    for (const [id, day] of Object.entries(resolved.approvers)) {
      const approver = mapEntry(this.approvers, id, () => ({
        approved: 0,
        denied: 0,
        sketch: newSketch(),
        tickets: [],
      }));
      approver.approved += day.approved;
      approver.denied += day.denied;
      mergeStored(approver.sketch, day.seconds);
      approver.tickets.push(...day.approvedTickets.slice(0, MAX_LISTED - approver.tickets.length));
    }
    for (const [key, day] of Object.entries(resolved.patterns)) {
      const pattern = mapEntry(this.patterns, key, () => ({
        approved: 0,
        denied: 0,
        autoApproved: 0,
        approvedTickets: [],
      }));
      pattern.approved += day.approved;
      pattern.denied += day.denied;
      pattern.autoApproved += day.autoApproved;
      pattern.approvedTickets.push(
        ...day.approvedTickets.slice(0, MAX_LISTED - pattern.approvedTickets.length),
      );
    }
    this.sla.firstResponse += resolved.slaBreaches.firstResponse;
    this.sla.resolution += resolved.slaBreaches.resolution;
    this.sla.tickets.push(...resolved.slaBreaches.tickets.slice(0, MAX_LISTED - this.sla.tickets.length));

    this.feedbackResponses += feedback.responses;
    for (const [index, count] of feedback.ratings.entries())
      this.ratings[index] = (this.ratings[index] ?? 0) + count;
  }

  finish(context: ReportContext): AnalyticsReport {
    const { thresholds } = context;
    const rate = (count: number): Rate => ({ count, rate: this.resolved > 0 ? count / this.resolved : null });
    const ratingSum = this.ratings.reduce((sum, count, index) => sum + count * (index + 1), 0);
    return {
      period: { ...context.period, days: this.days },
      computedAt: context.computedAt,
      volume: {
        total: this.volume.total,
        byType: tallies(this.volume.byType),
        bySystem: tallies(this.volume.bySystem),
        byDepartment: tallies(this.volume.byDepartment),
        byEntitlement: tallies(this.volume.byEntitlement),
        byUrgency: tallies(this.volume.byUrgency),
      },
      resolution: {
        overall: quantilesOf(this.resolution),
        byEntitlement: keyedQuantiles(this.byEntitlement),
        bySystem: keyedQuantiles(this.bySystem),
      },
      approvalLatency: {
        byStage: keyedQuantiles(this.stages),
        byApprover: byLargest(
          [...this.approvers].map(([key, { approved, denied, sketch }]) => ({
            key,
            ...quantilesOf(sketch),
            approved,
            denied,
          })),
        ),
      },
      slaBreaches: this.sla,
      satisfaction: {
        responses: this.feedbackResponses,
        average: this.feedbackResponses > 0 ? ratingSum / this.feedbackResponses : null,
        responseRate: this.resolved > 0 ? Math.min(1, this.feedbackResponses / this.resolved) : null,
        ratings: this.ratings,
      },
      rates: {
        resolved: this.resolved,
        autoApproval: rate(this.outcomes.autoApproved),
        rejection: rate(this.outcomes.rejected),
        cancellation: rate(this.outcomes.cancelled),
        timeout: rate(this.outcomes.timedOut),
        failure: rate(this.outcomes.failed),
      },
      signals: {
        recurringRequests: this.recurringRequests(thresholds),
        reRequests: this.reRequestSignals(thresholds),
        rubberStampApprovers: this.rubberStamps(thresholds),
        slowEntitlements: this.slowEntitlements(thresholds),
        unreviewedStandingGrants: unreviewedStandingGrants(context),
      },
      ruleCandidates: this.ruleCandidates(context),
      thresholds,
    };
  }

  private recurringRequests(thresholds: Thresholds): RecurringRequestSignal[] {
    const signals = [...this.requests]
      .filter(([, group]) => group.people.size >= thresholds.recurringRequests.minPeople)
      .map(([key, group]) => ({
        ...splitPatternKey(key),
        people: [...group.people].sort(),
        tickets: group.tickets,
      }));
    return signals
      .sort((a, b) => b.people.length - a.people.length || keyOf(a).localeCompare(keyOf(b)))
      .slice(0, MAX_LISTED);
  }

  private reRequestSignals(thresholds: Thresholds): ReRequestSignal[] {
    const { withinDays, minTimes } = thresholds.reRequests;
    const groups = new Map<string, ReRequestSignal>();
    for (const re of this.reRequests) {
      if (re.hoursAfterEnd > withinDays * 24) continue;
      const group = mapEntry(groups, `${re.person}|${re.system}|${re.entitlement}`, () => ({
        person: re.person,
        system: re.system,
        entitlement: re.entitlement,
        times: 0,
        tickets: [],
        hoursAfterEnd: [],
      }));
      group.times++;
      group.tickets.push(re.ticket);
      group.hoursAfterEnd.push(re.hoursAfterEnd);
    }
    return [...groups.values()]
      .filter((group) => group.times >= minTimes)
      .sort((a, b) => b.times - a.times || a.person.localeCompare(b.person))
      .slice(0, MAX_LISTED);
  }

  private rubberStamps(thresholds: Thresholds): RubberStampSignal[] {
    const { maxMedianMinutes, minApprovalRate, minDecisions } = thresholds.rubberStamp;
    const signals: RubberStampSignal[] = [];
    for (const [approver, { approved, denied, sketch, tickets }] of this.approvers) {
      const decisions = approved + denied;
      if (decisions < minDecisions || approved / decisions < minApprovalRate) continue;
      const medianMinutes = sketch.getValueAtQuantile(0.5) / 60;
      // The median is the sketch's, within its 1%: a median at the threshold is under it.
      if (medianMinutes > maxMedianMinutes * (1 + RELATIVE_ACCURACY)) continue;
      signals.push({ approver, decisions, approvalRate: approved / decisions, medianMinutes, tickets });
    }
    return signals.sort((a, b) => b.decisions - a.decisions || a.approver.localeCompare(b.approver));
  }

  private slowEntitlements(thresholds: Thresholds): SlowEntitlementSignal[] {
    const { minMedianHours, minTickets } = thresholds.slowEntitlements;
    const signals: SlowEntitlementSignal[] = [];
    for (const [entitlement, sketch] of this.byEntitlement) {
      const { count, medianHours, p90Hours } = quantilesOf(sketch);
      if (count < minTickets || medianHours === null || p90Hours === null) continue;
      if (medianHours < minMedianHours * (1 - RELATIVE_ACCURACY)) continue;
      const slowest = (this.slowest.get(entitlement) ?? []).map(([ticket]) => ticket);
      signals.push({ entitlement, tickets: count, medianHours, p90Hours, slowest });
    }
    return signals.sort((a, b) => b.medianHours - a.medianHours);
  }

  private ruleCandidates(context: ReportContext): RuleCandidate[] {
    const candidates: RuleCandidate[] = [];
    for (const [key, pattern] of this.patterns) {
      const facts = splitPatternKey(key);
      const sensitivity = context.sensitivities.get(facts.system);
      if (sensitivity !== 'low' && sensitivity !== 'moderate') continue;
      if (pattern.denied > 0 || pattern.approved < context.thresholds.ruleCandidates.minApprovals) continue;
      candidates.push(ruleCandidateOf({ ...facts, sensitivity, ...pattern }));
    }
    return candidates
      .sort((a, b) => b.approved - a.approved || a.id.localeCompare(b.id))
      .slice(0, MAX_LISTED);
  }
}

/** The report of a period from its rollups, read in any order. */
export function reportOf(rollups: Iterable<DayRollup>, context: ReportContext): AnalyticsReport {
  const builder = new ReportBuilder();
  for (const rollup of rollups) builder.add(rollup);
  return builder.finish(context);
}

const DAY_MS = 86_400_000;

/** Standing access (no end) granted longer ago than the threshold: no access review exists yet to clear it. */
export function unreviewedStandingGrants(
  context: Pick<ReportContext, 'standingGrants' | 'computedAt' | 'thresholds'>,
): StandingGrantSignal[] {
  const now = Date.parse(context.computedAt);
  return context.standingGrants
    .filter((grant) => grant.status === 'active' && grant.until === null)
    .map((grant) => ({
      grant: grant.id,
      holder: grant.holder,
      system: grant.system,
      entitlement: grant.entitlement,
      ticket: grant.ticket,
      since: grant.from,
      days: (now - Date.parse(grant.from)) / DAY_MS,
    }))
    .filter((signal) => signal.days >= context.thresholds.standingGrants.olderThanDays)
    .sort((a, b) => b.days - a.days || a.grant.localeCompare(b.grant))
    .slice(0, MAX_LISTED);
}

const keyOf = (signal: { department: string; system: string; entitlement: string }) =>
  `${signal.department}|${signal.system}|${signal.entitlement}`;

function mapEntry<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

function addCounts(into: Counts, counts: Counts): void {
  for (const [key, count] of Object.entries(counts)) into[key] = (into[key] ?? 0) + count;
}

function mergeAll(into: Map<string, Sketch>, stored: DayRollup['resolved']['byEntitlement']): void {
  for (const [key, sketch] of Object.entries(stored)) mergeStored(mapEntry(into, key, newSketch), sketch);
}

const byLargest = <T extends { key: string; count: number }>(list: T[]): T[] =>
  list.sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));

const tallies = (counts: Counts): Tally[] =>
  byLargest(Object.entries(counts).map(([key, count]) => ({ key, count })));

const keyedQuantiles = (sketches: Map<string, Sketch>): KeyedQuantiles[] =>
  byLargest([...sketches].map(([key, sketch]) => ({ key, ...quantilesOf(sketch) })));
