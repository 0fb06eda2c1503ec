import { resolvedAt, type Ticket } from '../ticket';
import { addSeconds, newSketch, type StoredSketch, storeSketch } from './sketch';

export type Counts = Record<string, number>;

/** Who asked for one entitlement in one department that day, and the first few of their tickets. */
export interface Asked {
  people: string[];
  tickets: string[];
}

/** How an approver decided the stages they closed, and how fast. */
export interface ApproverDay {
  approved: number;
  denied: number;
  seconds: StoredSketch;
  /** The tickets they approved (the first few of the day): the evidence behind a rubber-stamp signal. */
  approvedTickets: string[];
}

/** How people decided one department's requests for one entitlement, among those resolved that day. */
export interface PatternDay {
  approved: number;
  denied: number;
  autoApproved: number;
  /** The tickets people approved (the first few of the day): what a rule would have auto-approved. */
  approvedTickets: string[];
}

/** A request for access that its beneficiary held before, filed after that grant ended. */
export interface ReRequest {
  ticket: string;
  person: string;
  system: string;
  entitlement: string;
  /** From the end of the earlier grant to this request. */
  hoursAfterEnd: number;
}

/**
 * One day's tickets, summed so that any period's figures are the sum of its days: counts add,
 * sketches merge. Each figure is counted on one day of a ticket's life: volume on the day of
 * submission, resolution times, outcomes, approvals, SLAs and decision patterns on the day of
 * resolution (spec: access granted or the ticket closed), satisfaction on the day of the feedback.
 * A ticket still open at the end of a period has its volume in it and its resolution in a later one.
 */
export interface DayRollup {
  /** yyyy-mm-dd, UTC. */
  day: string;
  computedAt: string;
  submitted: {
    total: number;
    byType: Counts;
    bySystem: Counts;
    byDepartment: Counts;
    byEntitlement: Counts;
    byUrgency: Counts;
    /** Access requests by `department|system|entitlement`. */
    requests: Record<string, Asked>;
    reRequests: ReRequest[];
  };
  resolved: {
    total: number;
    outcomes: {
      autoApproved: number;
      rejected: number;
      cancelled: number;
      timedOut: number;
      failed: number;
    };
    seconds: StoredSketch;
    byEntitlement: Record<string, StoredSketch>;
    bySystem: Record<string, StoredSketch>;
    /** The slowest tickets of each entitlement that day, slowest first, in seconds. */
    slowest: Record<string, [ticketId: string, seconds: number][]>;
    stageSeconds: Record<string, StoredSketch>;
    approvers: Record<string, ApproverDay>;
    patterns: Record<string, PatternDay>;
    slaBreaches: { firstResponse: number; resolution: number; tickets: string[] };
  };
  feedback: {
    responses: number;
    /** Responses by rating, 1 to 5 at index 0 to 4. */
    ratings: [number, number, number, number, number];
  };
}

/**
 * How many tickets a day keeps as evidence per approver, pattern and request group: enough to open
 * a few, few enough that a busy day's rollup (thousands of tickets) stays well within one item.
 */
export const EVIDENCE_PER_DAY = 5;
const SLOWEST_PER_DAY = 3;

/** The key a department's requests for one entitlement share. */
export const patternKey = (department: string, system: string, entitlement: string) =>
  `${department}|${system}|${entitlement}`;

export function splitPatternKey(key: string): { department: string; system: string; entitlement: string } {
  const [department = '', system = '', entitlement = ''] = key.split('|');
  return { department, system, entitlement };
}

const bump = (counts: Counts, key: string | null) => {
  const name = key ?? 'none';
  counts[name] = (counts[name] ?? 0) + 1;
};
const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;
const keepFirst = (list: string[], id: string) => {
  if (list.length < EVIDENCE_PER_DAY) list.push(id);
};

/** When each stage (by index) last opened, from the timeline. */
function stageOpenings(ticket: Ticket): Map<number, string> {
  const opened = new Map<number, string>();
  for (const event of ticket.timeline) {
    if (event.type === 'stage_opened' && typeof event.data.index === 'number') {
      opened.set(event.data.index, event.at);
    }
  }
  return opened;
}

/**
 * Builds one day's rollup from its tickets, one at a time: a day of a busy year is a few thousand
 * tickets, and nothing but the sums is held.
 */
export class DayRollupBuilder {
  private readonly submitted: DayRollup['submitted'] = {
    total: 0,
    byType: {},
    bySystem: {},
    byDepartment: {},
    byEntitlement: {},
    byUrgency: {},
    requests: {},
    reRequests: [],
  };
  private readonly outcomes = { autoApproved: 0, rejected: 0, cancelled: 0, timedOut: 0, failed: 0 };
  private resolvedTotal = 0;
  private readonly resolution = newSketch();
  private readonly byEntitlement = new Map<string, ReturnType<typeof newSketch>>();
  private readonly bySystem = new Map<string, ReturnType<typeof newSketch>>();
  private readonly slowest: Record<string, [string, number][]> = {};
  private readonly stages = new Map<string, ReturnType<typeof newSketch>>();
  private readonly approvers = new Map<
    string,
    { approved: number; denied: number; sketch: ReturnType<typeof newSketch>; approvedTickets: string[] }
  >();
  private readonly patterns: Record<string, PatternDay> = {};
  private readonly sla = { firstResponse: 0, resolution: 0, tickets: [] as string[] };
  private readonly feedback: DayRollup['feedback'] = { responses: 0, ratings: [0, 0, 0, 0, 0] };

  constructor(readonly day: string) {}

  /**
   * A ticket submitted this day; `previousGrantEnd` is when the beneficiary's last grant of the same
   * entitlement ended before it was filed, if one did.
   */
  addSubmitted(ticket: Ticket, previousGrantEnd: string | null = null): void {
    const s = this.submitted;
    s.total++;
    bump(s.byType, ticket.type);
    bump(s.bySystem, ticket.system);
    bump(s.byDepartment, ticket.department);
    bump(s.byEntitlement, ticket.entitlement);
    bump(s.byUrgency, ticket.urgency);
    if (ticket.type !== 'access' || !ticket.system || !ticket.entitlement) return;
    const key = patternKey(ticket.department, ticket.system, ticket.entitlement);
    const asked = s.requests[key] ?? { people: [], tickets: [] };
    s.requests[key] = asked;
    if (!asked.people.includes(ticket.beneficiary)) asked.people.push(ticket.beneficiary);
    keepFirst(asked.tickets, ticket.id);
    if (previousGrantEnd && previousGrantEnd <= ticket.createdAt) {
      s.reRequests.push({
        ticket: ticket.id,
        person: ticket.beneficiary,
        system: ticket.system,
        entitlement: ticket.entitlement,
        hoursAfterEnd: seconds(previousGrantEnd, ticket.createdAt) / 3600,
      });
    }
  }

  /** A ticket resolved this day (its `resolvedAt`); one still in flight adds nothing. */
  addResolved(ticket: Ticket): void {
    const at = resolvedAt(ticket);
    if (!at) return;
    this.resolvedTotal++;
    const taken = seconds(ticket.createdAt, at);
    addSeconds(this.resolution, taken);
    if (ticket.entitlement) {
      addSeconds(sketchIn(this.byEntitlement, ticket.entitlement), taken);
      const slowest = this.slowest[ticket.entitlement] ?? [];
      this.slowest[ticket.entitlement] = slowest;
      slowest.push([ticket.id, taken]);
      slowest.sort((a, b) => b[1] - a[1]);
      slowest.splice(SLOWEST_PER_DAY);
    }
    if (ticket.system) addSeconds(sketchIn(this.bySystem, ticket.system), taken);
    this.countOutcome(ticket);
    this.addApprovals(ticket);
    const breaches = ticket.sla?.breaches ?? [];
    for (const breach of breaches) {
      if (breach.sla === 'first_response') this.sla.firstResponse++;
      else this.sla.resolution++;
    }
    if (breaches.length > 0) keepFirst(this.sla.tickets, ticket.id);
  }

  /** A ticket whose feedback was given this day. */
  addFeedback(ticket: Ticket): void {
    const { feedback } = ticket;
    if (!feedback) return;
    this.feedback.responses++;
    const index = feedback.rating - 1;
    this.feedback.ratings[index] = (this.feedback.ratings[index] ?? 0) + 1;
  }

  finish(computedAt: string): DayRollup {
    const stored = (sketches: Map<string, ReturnType<typeof newSketch>>) =>
      Object.fromEntries([...sketches].map(([key, sketch]) => [key, storeSketch(sketch)]));
    return {
      day: this.day,
      computedAt,
      submitted: this.submitted,
      resolved: {
        total: this.resolvedTotal,
        outcomes: this.outcomes,
        seconds: storeSketch(this.resolution),
        byEntitlement: stored(this.byEntitlement),
        bySystem: stored(this.bySystem),
        slowest: this.slowest,
        stageSeconds: stored(this.stages),
        approvers: Object.fromEntries(
          [...this.approvers].map(([id, { sketch, ...rest }]) => [
            id,
            { ...rest, seconds: storeSketch(sketch) },
          ]),
        ),
        patterns: this.patterns,
        slaBreaches: this.sla,
      },
      feedback: this.feedback,
    };
  }

  private countOutcome(ticket: Ticket): void {
    if (ticket.decision?.outcome === 'auto_approved') this.outcomes.autoApproved++;
    switch (ticket.closure) {
      case 'rejected':
      case 'auto_rejected':
        this.outcomes.rejected++;
        break;
      case 'cancelled':
        this.outcomes.cancelled++;
        break;
      case 'timed_out':
        this.outcomes.timedOut++;
        break;
      case 'failed':
        this.outcomes.failed++;
        break;
    }
  }

  private addApprovals(ticket: Ticket): void {
    const opened = stageOpenings(ticket);
    let approved = 0;
    let denied = 0;
    for (const [index, stage] of ticket.approvals.entries()) {
      if (!stage.decision || !stage.at || !stage.decidedBy) continue;
      const openedAt = opened.get(index) ?? ticket.createdAt;
      const taken = seconds(openedAt, stage.at);
      addSeconds(sketchIn(this.stages, stage.stage), taken);
      const approver = this.approverOf(stage.decidedBy);
      addSeconds(approver.sketch, taken);
      if (stage.decision === 'approve') {
        approver.approved++;
        approved++;
        keepFirst(approver.approvedTickets, ticket.id);
      } else {
        approver.denied++;
        denied++;
      }
    }
    if (ticket.type !== 'access' || !ticket.system || !ticket.entitlement) return;
    const key = patternKey(ticket.department, ticket.system, ticket.entitlement);
    const pattern = this.patterns[key] ?? { approved: 0, denied: 0, autoApproved: 0, approvedTickets: [] };
    this.patterns[key] = pattern;
    if (ticket.decision?.outcome === 'auto_approved') pattern.autoApproved++;
    else if (denied > 0 || ticket.closure === 'rejected' || ticket.closure === 'auto_rejected')
      pattern.denied++;
    else if (approved > 0 && approved === ticket.approvals.length) {
      pattern.approved++;
      keepFirst(pattern.approvedTickets, ticket.id);
    }
  }

  private approverOf(id: string) {
    let approver = this.approvers.get(id);
    if (!approver) {
      approver = { approved: 0, denied: 0, sketch: newSketch(), approvedTickets: [] };
      this.approvers.set(id, approver);
    }
    return approver;
  }
}

function sketchIn(sketches: Map<string, ReturnType<typeof newSketch>>, key: string) {
  let sketch = sketches.get(key);
  if (!sketch) {
    sketch = newSketch();
    sketches.set(key, sketch);
  }
  return sketch;
}
