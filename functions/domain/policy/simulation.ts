import { z } from 'zod';
import { endsAfter, parseDuration } from '../duration';
import type { Status } from '../lifecycle';
import { nobodyEligibleReasons } from '../routing';
import type { Approval, Decision } from '../ticket';
import type { DurationCap, PolicyOutcome } from './outcome';

/**
 * Simulation: the recorded inputs of past tickets replayed against a candidate policy set, and each
 * candidate outcome compared with what happened. Everything here is pure; the job that pages through
 * the tickets and asks Cedar is in app/simulations.ts.
 */

/** Ticket ids kept as examples of each kind of change: enough to look a few up, never a list of them all. */
export const EXAMPLES_PER_ROW = 10;

export type Outcome = PolicyOutcome['outcome'];
export const outcomes = ['auto_approved', 'approval_required', 'auto_rejected'] as const satisfies Outcome[];

/**
 * What happened to a ticket: what policy recorded when it did not ask people, and otherwise what
 * people then did with it; or that separation of duties left nobody to approve or fulfil it.
 */
export const happenings = [
  'auto_approved',
  'auto_rejected',
  'approved',
  'denied',
  'nobody_eligible',
  'pending',
  'closed_undecided',
] as const;
export type Happened = (typeof happenings)[number];

/** Why a ticket could not be replayed. */
export const notReplayableReasons = ['no_snapshot', 'snapshot_missing', 'evaluation_failed'] as const;
export type NotReplayableReason = (typeof notReplayableReasons)[number];

/** What a replay reads of a ticket: its recorded decision, what people did, and what it was granted. */
export interface ReplayedTicket {
  id: string;
  status: Status;
  decision: (Pick<Decision, 'outcome' | 'stages'> & Partial<Pick<Decision, 'reason'>>) | null;
  approvals: Pick<Approval, 'decision'>[];
  /** The duration applied (ISO 8601); null for standing access. */
  duration: string | null;
  createdAt: string;
}

/** Routing refused the ticket after policy decided: nobody was left to approve or fulfil it. */
const refusedByRouting = (decision: ReplayedTicket['decision']): boolean =>
  decision?.outcome === 'auto_rejected' &&
  (nobodyEligibleReasons as readonly (string | null | undefined)[]).includes(decision.reason);

/**
 * Auto-approved and auto-rejected tickets are what policy did, unless routing found nobody to
 * approve or fulfil them. A ticket that asked people was denied when any stage was denied, approved
 * when every stage was approved, and otherwise is still pending, or closed before every stage was
 * decided (timed out, cancelled, failed, nobody left for a later stage).
 */
export function whatHappened(ticket: ReplayedTicket): Happened {
  if (refusedByRouting(ticket.decision)) return 'nobody_eligible';
  const recorded = ticket.decision?.outcome;
  if (recorded === 'auto_approved' || recorded === 'auto_rejected') return recorded;
  const decisions = ticket.approvals.map((approval) => approval.decision);
  if (decisions.includes('deny')) return 'denied';
  if (decisions.length > 0 && decisions.every((decision) => decision === 'approve')) return 'approved';
  return ticket.status === 'closed' ? 'closed_undecided' : 'pending';
}

/**
 * What policy decided, before routing: a ticket that routing refused for want of anyone eligible
 * had its stages from policy, or none when policy approved it alone.
 */
export function policyOutcomeOf(ticket: ReplayedTicket): Outcome {
  const { decision } = ticket;
  if (refusedByRouting(decision)) return decision?.stages.length ? 'approval_required' : 'auto_approved';
  return decision?.outcome ?? 'approval_required';
}

/** How one ticket's candidate outcome compares with its recorded one. */
export interface Comparison {
  ticketId: string;
  /** What policy decided then (policyOutcomeOf), which the candidate's outcome is compared with. */
  recorded: Outcome;
  happened: Happened;
  candidate: Outcome;
  stagesAdded: string[];
  stagesRemoved: string[];
  /** The candidate's cap, when it would have refused the duration the ticket was granted. */
  capRefusal: DurationCap | null;
}

/**
 * Primary course: what happened against what the candidate decides, stage by stage; and, for a
 * ticket that was let through (by people or by policy), whether the candidate's tightest cap is
 * shorter than what it was granted, measured from when it was filed (standing access is longer
 * than any cap).
 */
export function compare(ticket: ReplayedTicket, candidate: PolicyOutcome): Comparison {
  const happened = whatHappened(ticket);
  const recordedStages = ticket.decision?.stages ?? [];
  const candidateStages = candidate.stages.map((stage) => stage.stage as string);
  const letThrough = happened === 'approved' || happened === 'auto_approved';
  return {
    ticketId: ticket.id,
    recorded: policyOutcomeOf(ticket),
    happened,
    candidate: candidate.outcome,
    stagesAdded: candidateStages.filter((stage) => !recordedStages.includes(stage)),
    stagesRemoved: recordedStages.filter((stage) => !candidateStages.includes(stage)),
    capRefusal:
      letThrough && candidate.cap && refuses(candidate.cap, ticket.duration, new Date(ticket.createdAt))
        ? candidate.cap
        : null,
  };
}

function refuses(cap: DurationCap, granted: string | null, from: Date): boolean {
  const max = parseDuration(cap.max);
  if (!max) return false;
  if (granted === null) return true;
  const duration = parseDuration(granted);
  return duration !== null && endsAfter(from, duration, max);
}

const examples = z.array(z.string()).meta({ description: `Up to ${EXAMPLES_PER_ROW} ticket ids` });

export const simulationTallySchema = z
  .object({
    examined: z.number().int().meta({ description: 'Access tickets submitted in the period' }),
    replayed: z.number().int().meta({ description: 'Those whose recorded inputs were replayed' }),
    changed: z.number().int().meta({ description: 'Replayed tickets whose outcome the candidate changes' }),
    movedWhileRunning: z.number().int().nullable().meta({
      description:
        'Tickets of the period left out because their status changed while the simulation read them (run it again to include them); null when they could not be counted',
    }),
    outcomes: z
      .array(
        z.object({
          recorded: z.enum(outcomes),
          happened: z.enum(happenings),
          candidate: z.enum(outcomes),
          changed: z.boolean(),
          count: z.number().int(),
          examples,
        }),
      )
      .meta({ description: 'What happened to the tickets, against what the candidate decides' }),
    stages: z
      .array(
        z.object({
          stage: z.string(),
          change: z.enum(['added', 'removed']),
          count: z.number().int(),
          examples,
        }),
      )
      .meta({
        description: 'Approval stages the candidate asks for that were not asked for, and the reverse',
      }),
    caps: z
      .array(z.object({ policyId: z.string(), max: z.string(), count: z.number().int(), examples }))
      .meta({
        description:
          "Tickets let through with a duration longer than the candidate's cap (standing access included), by the policy setting the cap",
      }),
    notReplayable: z
      .array(z.object({ reason: z.enum(notReplayableReasons), count: z.number().int(), examples }))
      .meta({
        description:
          '`no_snapshot`: decided before policies kept their inputs; `snapshot_missing`: the snapshot is gone; `evaluation_failed`: the candidate could not evaluate the inputs',
      }),
  })
  .meta({
    id: 'SimulationResult',
    description: 'How a candidate policy set would have decided past tickets',
  });
export type SimulationTally = z.infer<typeof simulationTallySchema>;

export const emptyTally = (): SimulationTally => ({
  examined: 0,
  replayed: 0,
  changed: 0,
  movedWhileRunning: 0,
  outcomes: [],
  stages: [],
  caps: [],
  notReplayable: [],
});

/** One ticket of a page, as it adds to the tally. */
export type TallyEntry =
  | { kind: 'replayed'; comparison: Comparison }
  | { kind: 'not_replayable'; ticketId: string; reason: NotReplayableReason };

/**
 * Adds one ticket to a tally, leaving the given tally as it was. Rows are found by their keys and
 * keep at most EXAMPLES_PER_ROW ticket ids, so a tally stays small however many tickets it counts.
 */
export function addToTally(tally: SimulationTally, entry: TallyEntry): SimulationTally {
  if (entry.kind === 'not_replayable') {
    return {
      ...tally,
      examined: tally.examined + 1,
      notReplayable: counted(tally.notReplayable, { reason: entry.reason }, entry.ticketId),
    };
  }
  const { comparison } = entry;
  const { recorded } = comparison;
  const changed = recorded !== comparison.candidate;
  let stages = tally.stages;
  for (const stage of comparison.stagesAdded)
    stages = counted(stages, { stage, change: 'added' }, comparison.ticketId);
  for (const stage of comparison.stagesRemoved)
    stages = counted(stages, { stage, change: 'removed' }, comparison.ticketId);
  const cap = comparison.capRefusal;
  return {
    ...tally,
    examined: tally.examined + 1,
    replayed: tally.replayed + 1,
    changed: tally.changed + (changed ? 1 : 0),
    outcomes: counted(
      tally.outcomes,
      { recorded, happened: comparison.happened, candidate: comparison.candidate, changed },
      comparison.ticketId,
    ),
    stages,
    caps: cap
      ? counted(tally.caps, { policyId: cap.policyId, max: cap.max }, comparison.ticketId)
      : tally.caps,
  };
}

type Row = { count: number; examples: string[] };

/** The rows with one more ticket in the row whose fields equal `key` (a new row when none does). */
function counted<R extends Row>(rows: R[], key: Omit<R, keyof Row>, ticketId: string): R[] {
  const fields = Object.entries(key) as [keyof R, unknown][];
  const found = rows.find((row) => fields.every(([field, value]) => row[field] === value));
  if (!found) return [...rows, { ...key, count: 1, examples: [ticketId] } as R];
  return rows.map((row) =>
    row === found
      ? {
          ...row,
          count: row.count + 1,
          examples: row.examples.length < EXAMPLES_PER_ROW ? [...row.examples, ticketId] : row.examples,
        }
      : row,
  );
}

const verbs: Record<Outcome, string> = {
  auto_approved: 'auto-approve',
  approval_required: 'ask people about',
  auto_rejected: 'auto-reject',
};
const whatPeopleDid: Record<Happened, string> = {
  auto_approved: 'policy auto-approved',
  auto_rejected: 'policy auto-rejected',
  approved: 'people approved',
  denied: 'people denied',
  nobody_eligible: 'nobody was left to approve or fulfil',
  pending: 'people have yet to decide',
  closed_undecided: 'closed before people decided',
};
const tickets = (count: number) => `${count} ticket${count === 1 ? '' : 's'}`;

/**
 * The finished tally: the tickets of the period (counted when the simulation began) that no page
 * read are those whose status changed while it ran, from a status not read yet to one read already.
 */
export function finishTally(
  tally: SimulationTally,
  tickets: { inPeriod: number | null; read: number },
): SimulationTally {
  return {
    ...tally,
    movedWhileRunning: tickets.inPeriod === null ? null : Math.max(0, tickets.inPeriod - tickets.read),
  };
}

/**
 * The changes in sentences, one per candidate outcome, largest first: "would auto-approve 40
 * tickets that people approved, and 2 that people denied".
 */
export function describeChanges(tally: SimulationTally): string[] {
  const changed = tally.outcomes.filter((row) => row.changed);
  return outcomes
    .map((candidate) => {
      const rows = changed
        .filter((row) => row.candidate === candidate)
        .sort((a, b) => b.count - a.count || happenings.indexOf(a.happened) - happenings.indexOf(b.happened));
      return { candidate, rows, total: rows.reduce((sum, row) => sum + row.count, 0) };
    })
    .filter((group) => group.rows.length > 0)
    .sort((a, b) => b.total - a.total)
    .map(({ candidate, rows }) => {
      const parts = rows.map(
        (row, index) => `${index === 0 ? tickets(row.count) : row.count} that ${whatPeopleDid[row.happened]}`,
      );
      const listed = parts.length > 1 ? `${parts.slice(0, -1).join(', ')}, and ${parts.at(-1)}` : parts[0];
      return `would ${verbs[candidate]} ${listed}`;
    });
}
