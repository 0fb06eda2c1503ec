import { z } from 'zod';
import { addDuration, isDuration, parseDuration } from './duration';
import { type Urgency, urgencies } from './intake';

/**
 * When a wait for people (an approval stage, a fulfilment, a support ticket's queue) reminds them,
 * escalates past them and ends. Every wait has the same three checkpoints, each an ISO 8601
 * duration from the moment the wait opens; urgency chooses the set.
 */
export interface WaitSchedule {
  /** Approvals and fulfilment: a reminder to the same people. Support: the first-response SLA. */
  reminder: string;
  /** Approvals: the approvers' managers are asked too. Fulfilment: the system owner. Support: the resolution SLA. */
  escalation: string;
  /**
   * Approvals, fulfilment, support: the only checkpoint that refuses what comes after it, and the
   * ticket closes as `timed_out`. Revocation: it is flagged overdue and security is asked too; a
   * confirmation is welcome whenever it comes, since the access must go either way.
   */
  final: string;
}

export interface DeadlineSettings {
  approval: Record<Urgency, WaitSchedule>;
  fulfilment: Record<Urgency, WaitSchedule>;
  support: Record<Urgency, WaitSchedule>;
  /** Removing access at a grant's end: a reminder, the system owner, then overdue (and security). */
  revoke: Record<Urgency, WaitSchedule>;
}

const schedule = (reminder: string, escalation: string, final: string): WaitSchedule => ({
  reminder,
  escalation,
  final,
});

/** The final deadlines are those Tollgate always had; the reminder and escalation fall before them. */
const approvalDefaults: Record<Urgency, WaitSchedule> = {
  critical: schedule('PT1H', 'PT2H', 'PT4H'),
  high: schedule('PT8H', 'PT16H', 'PT24H'),
  normal: schedule('PT24H', 'PT48H', 'PT72H'),
  low: schedule('PT48H', 'PT96H', 'PT120H'),
};

export const defaultDeadlines: DeadlineSettings = {
  approval: approvalDefaults,
  fulfilment: approvalDefaults,
  // First response and resolution, calendar time, then how long an unresolved ticket stays open.
  support: {
    critical: schedule('PT30M', 'PT4H', 'P1D'),
    high: schedule('PT2H', 'PT8H', 'P3D'),
    normal: schedule('PT8H', 'P3D', 'P10D'),
    low: schedule('P1D', 'P5D', 'P14D'),
  },
  // Access that should be gone is a risk now, whatever the request's urgency was.
  revoke: {
    critical: schedule('PT4H', 'PT8H', 'PT24H'),
    high: schedule('PT4H', 'PT8H', 'PT24H'),
    normal: schedule('PT4H', 'PT8H', 'PT24H'),
    low: schedule('PT4H', 'PT8H', 'PT24H'),
  },
};

const isoDuration = z
  .string()
  .refine(isDuration, { message: 'must be an ISO 8601 duration such as PT30M, PT4H or P3D' });

/** From one fixed instant, so that calendar months compare the same way for every setting. */
const lengthOf = (duration: string) =>
  addDuration(new Date(0), parseDuration(duration) ?? { ...zero }).getTime();
const zero = { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 };

const waitSchema = z
  .object({ reminder: isoDuration, escalation: isoDuration, final: isoDuration })
  .strict()
  .refine(
    (wait) =>
      lengthOf(wait.reminder) < lengthOf(wait.escalation) && lengthOf(wait.escalation) < lengthOf(wait.final),
    { message: 'must come in order: reminder before escalation before final' },
  );
const perUrgency = z.partialRecord(z.enum(urgencies), waitSchema).default({});

/**
 * The DEADLINES setting: JSON naming only what differs from the defaults, for example
 * `{"approval": {"critical": {"reminder": "PT30M", "escalation": "PT1H", "final": "PT2H"}}}`.
 */
export const deadlineSettingsSchema = z
  .object({ approval: perUrgency, fulfilment: perUrgency, support: perUrgency, revoke: perUrgency })
  .strict()
  .transform(
    (given): DeadlineSettings => ({
      approval: { ...defaultDeadlines.approval, ...given.approval },
      fulfilment: { ...defaultDeadlines.fulfilment, ...given.fulfilment },
      support: { ...defaultDeadlines.support, ...given.support },
      revoke: { ...defaultDeadlines.revoke, ...given.revoke },
    }),
  );

/** A wait's checkpoints as absolute times, kept on the ticket so that a restart never moves them. */
export interface WaitDeadlines {
  reminderAt: string;
  escalationAt: string;
  deadline: string;
}

/** The checkpoints of a wait opening now; `timeScale` shortens each span in demos and tests. */
export function deadlinesFrom(wait: WaitSchedule, now: Date, timeScale: number): WaitDeadlines {
  const after = (duration: string) => {
    const span = addDuration(now, parseDuration(duration) ?? zero).getTime() - now.getTime();
    return new Date(now.getTime() + span * timeScale).toISOString();
  };
  return {
    reminderAt: after(wait.reminder),
    escalationAt: after(wait.escalation),
    deadline: after(wait.final),
  };
}

/**
 * How far a wait has gone: asked, reminded, escalated. Its final deadline closes it, except a
 * revocation's, which goes on `overdue` until someone confirms the access is gone.
 */
export const waitPhases = ['asked', 'reminded', 'escalated', 'overdue'] as const;
export type WaitPhase = (typeof waitPhases)[number];

export interface WaitState {
  reminderAt?: string | null;
  escalationAt?: string | null;
  deadline: string | null;
  phase?: WaitPhase;
  escalatedTo?: readonly string[];
}

/**
 * The checkpoint the wait has reached at `now` and not yet acted on, or null when none has passed.
 * A wait that slept through several (a stopped machine) acts on the latest only: a reminder after
 * the escalation would say nothing new.
 */
export function checkpointDue(wait: WaitState, now: Date): 'reminder' | 'escalation' | 'final' | null {
  const passed = (at: string | null | undefined) => at != null && now.getTime() >= Date.parse(at);
  const phase = wait.phase ?? 'asked';
  if (phase === 'overdue') return null;
  if (passed(wait.deadline)) return 'final';
  if (phase !== 'escalated' && passed(wait.escalationAt)) return 'escalation';
  if (phase === 'asked' && passed(wait.reminderAt)) return 'reminder';
  return null;
}

/** The next checkpoint of the wait, the instant its timer must wake the workflow. */
export function nextCheckpoint(wait: WaitState): string | null {
  const phase = wait.phase ?? 'asked';
  if (phase === 'overdue') return null;
  if (phase === 'asked' && wait.reminderAt) return wait.reminderAt;
  if (phase !== 'escalated' && wait.escalationAt) return wait.escalationAt;
  return wait.deadline;
}
