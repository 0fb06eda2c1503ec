import type { Identity, System } from './directory';
import { parseDuration } from './duration';
import type { Recorded } from './recorded';
import type { Decision, Ticket } from './ticket';

/**
 * How emails and link pages name people, things and times for people rather than for machines:
 * pure formatting, the clock and the people passed in.
 */

/** A person as "Name <email>", a service account as "Name (svc:NAME)"; an id the directory lacks, as is. */
export function personLabel(id: string, identity: Pick<Identity, 'name' | 'kind'> | undefined): string {
  if (!identity || identity.name === id) return id;
  return identity.kind === 'service' ? `${identity.name} (${id})` : `${identity.name} <${id}>`;
}

/** An entitlement by the catalog's name, its id after it: "Write access (github-write)". */
export function entitlementLabel(system: System | undefined, id: string | null): string {
  if (!id) return '';
  const name = system?.entitlements.find((entitlement) => entitlement.id === id)?.name;
  return name && name !== id ? `${name} (${id})` : id;
}

const relative = new Intl.RelativeTimeFormat('en-GB', { numeric: 'always' });
const HOUR = 3600_000;

/** How far `at` is from `now`: "in 3 days", "in 5 hours", "20 minutes ago", "just now". */
export function relativeInWords(at: Date, now: Date): string {
  const span = at.getTime() - now.getTime();
  const size = Math.abs(span);
  if (size >= 48 * HOUR) return relative.format(Math.round(span / (24 * HOUR)), 'day');
  if (size >= HOUR) return relative.format(Math.round(span / HOUR), 'hour');
  if (size < 60_000) return 'just now';
  return relative.format(Math.round(span / 60_000), 'minute');
}

/**
 * An instant on the clock of `timeZone`, the year only when it is not the current one:
 * "Friday 4 December 09:48 UTC".
 */
export function clockTime(at: Date, now: Date, timeZone = 'UTC'): string {
  const when = clockParts(at, timeZone);
  const year = when.year === clockParts(now, timeZone).year ? '' : ` ${when.year}`;
  return `${when.weekday} ${when.day} ${when.month}${year} ${when.hour}:${when.minute} ${when.timeZoneName}`;
}

/** Building a formatter costs far more than formatting with one: one per time zone, kept for the process. */
const clockFormats = new Map<string, Intl.DateTimeFormat>();

function clockParts(date: Date, timeZone: string): Record<string, string> {
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone,
      timeZoneName: 'short',
    });
    clockFormats.set(timeZone, format);
  }
  return Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
}

/** A deadline in words and on the clock: "in 3 days, Friday 4 December 09:48 UTC". */
export function whenInWords(at: string, now: Date, timeZone = 'UTC'): string {
  const instant = new Date(at);
  if (Number.isNaN(instant.getTime())) return at;
  return `${relativeInWords(instant, now)}, ${clockTime(instant, now, timeZone)}`;
}

const durationUnits = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;

/** An ISO 8601 duration in words: "P7D" is "7 days", "PT1H30M" "1 hour and 30 minutes". */
export function durationInWords(duration: string | null): string {
  if (duration === null) return 'until revoked';
  const parsed = parseDuration(duration);
  if (!parsed) return duration;
  const parts = durationUnits
    .filter((unit) => parsed[unit] > 0)
    .map((unit) => `${parsed[unit]} ${parsed[unit] === 1 ? unit.slice(0, -1) : unit}`);
  return listInWords(parts);
}

/** "a", "a and b", "a, b and c". */
export function listInWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Each approval stage as a sentence names whoever decides it. */
export const stageNames: Record<string, string> = {
  manager: 'the manager',
  system_owner: 'the system owner',
  security: 'security',
};
const stageName = (stage: string) => stageNames[stage] ?? stage.replaceAll('_', ' ');

/**
 * What policy decided, in one sentence: "Policy asks for approval by the manager, then the system
 * owner, because write access needs the owner's consent (rules manager-approval, owner-approval)."
 */
export function policySentence(decision: Decision | null): string {
  if (!decision) return 'No policy decided this request.';
  const reasons = decision.policyIds.flatMap((id) => {
    const reason = decision.policyReasons[id];
    return reason ? [reason] : [];
  });
  const because = reasons.length ? `, because ${listInWords(reasons)}` : '';
  const rules = decision.policyIds.length
    ? ` (${decision.policyIds.length > 1 ? 'rules' : 'rule'} ${decision.policyIds.join(', ')})`
    : '';
  const cap = decision.cap
    ? ` It allows at most ${durationInWords(decision.cap.max)} (rule ${decision.cap.policyId}).`
    : '';
  switch (decision.outcome) {
    case 'auto_approved':
      return `Policy approved this without asking anyone${because}${rules}.${cap}`;
    case 'auto_rejected':
      return `Policy refused this${because || (decision.reason ? `: ${decision.reason}` : '')}${rules}.`;
    default:
      return `Policy asks for approval by ${decision.stages.map(stageName).join(', then ')}${because}${rules}.${cap}`;
  }
}

/** The names and times a message about one ticket uses, read from the directory beforehand. */
export interface TicketWords {
  system: System | undefined;
  /** The system by its name. */
  systemName: string;
  /** The entitlement by its name, its id after it. */
  entitlement: string;
  person(id: string): string;
  /** A deadline or an event's time, in words and on the clock. */
  when(at: string): string;
}

export function ticketWords(
  ticket: Pick<Ticket, 'system' | 'entitlement'>,
  system: System | undefined,
  people: ReadonlyMap<string, Identity>,
  now: Date,
  timeZone = 'UTC',
): TicketWords {
  return {
    system,
    systemName: system?.name ?? ticket.system ?? '',
    entitlement: entitlementLabel(system, ticket.entitlement),
    person: (id) => personLabel(id, people.get(id)),
    when: (at) => whenInWords(at, now, timeZone),
  };
}

/** Everyone a message about the ticket may name, for the directory to look up at once. */
export function peopleOf(ticket: Ticket): string[] {
  const ids = [
    ticket.requester,
    ticket.beneficiary,
    ticket.beneficiaryOwner,
    ...ticket.approvals.flatMap((approval) => [approval.decidedBy, ...approval.candidates, ...approval.path]),
    ...(ticket.fulfilment?.fulfillers ?? []),
    ticket.fulfilment?.by,
    ticket.revocation?.requestedBy,
    ticket.revocation?.by,
  ];
  return [...new Set(ids.filter((id): id is string => !!id && !id.startsWith('role:')))];
}

/**
 * Who approved the stages before `stageIndex`, one line each: "Mia Manager <mia@example.com>, as
 * the manager, yesterday ..."; empty when nobody has yet.
 */
export function earlierApprovals(
  ticket: Pick<Ticket, 'approvals'>,
  stageIndex: number,
  words: TicketWords,
): string[] {
  return ticket.approvals
    .slice(0, stageIndex)
    .filter((approval) => approval.decision === 'approve' && approval.decidedBy)
    .map(
      (approval) =>
        `${words.person(approval.decidedBy ?? '')}, as ${stageName(approval.stage)}${approval.at ? `, ${words.when(approval.at)}` : ''}${approval.comment ? `: "${approval.comment}"` : ''}`,
    );
}

/** Everyone who approved the ticket, in stage order, for the fulfiller and the requester. */
export const approvedBy = (ticket: Pick<Ticket, 'approvals'>, words: TicketWords): string[] =>
  earlierApprovals(ticket, ticket.approvals.length, words);

/**
 * What the person who just acted reads: what was recorded, and what happens next, in their words
 * ("you"); `recorded` is whatWasRecorded's answer on the ticket the action left.
 */
export function recordedInWords(
  recorded: Recorded,
  ticket: Pick<Ticket, 'type' | 'requester' | 'beneficiary' | 'category' | 'duration'>,
  words: TicketWords,
): { title: string; lines: string[] } {
  const what =
    ticket.type === 'access'
      ? `${words.entitlement} on ${words.systemName} for ${words.person(ticket.beneficiary)}`
      : `the ${ticket.category} support ticket`;
  const told = `${words.person(ticket.requester)} is emailed${recorded.comment ? ', with your words' : ''}.`;
  const { next } = recorded;
  switch (recorded.recorded) {
    case 'approved':
      return {
        title: 'You approved the request',
        lines: [
          `You approved ${what}${recorded.stage ? ` as ${stageName(recorded.stage)}` : ''}.`,
          next.step === 'approval'
            ? `Next, ${stageName(next.stage ?? '')} is asked to approve it; ${words.person(ticket.requester)} is emailed as it moves on.`
            : `Every approval is in. Next, ${next.asked.length ? listInWords(next.asked.map(words.person)) : 'the fulfillers'} ${next.asked.length === 1 ? 'is' : 'are'} asked to grant the access, and ${told}`,
        ],
      };
    case 'denied':
      return {
        title: 'You denied the request',
        lines: [
          `You denied ${what}.`,
          `The request is closed as denied, and ${told} Nothing more is needed.`,
        ],
      };
    case 'done':
      return {
        title: 'You reported the work done',
        lines: [
          `You reported ${what} as done.`,
          next.step === 'grant'
            ? `Next, the access is recorded as granted for ${durationInWords(ticket.duration)}, and ${told} When it ends, its fulfillers are asked to remove it.`
            : `The request is closed as fulfilled, and ${told}`,
        ],
      };
    case 'failed':
      return {
        title: 'You reported that the work failed',
        lines: [
          `You reported that ${what} could not be done.`,
          `The request is closed as failed, and ${told}`,
        ],
      };
    case 'removed':
      return {
        title: 'You confirmed the access is removed',
        lines: [
          `You confirmed that ${what} is removed.`,
          `The grant ends and the ticket is closed as ${next.closure}; ${told}`,
        ],
      };
  }
}
