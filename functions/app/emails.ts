import type { WaitPhase } from '../domain/deadlines';
import { revocationCause } from '../domain/revocation';
import type { Ticket } from '../domain/ticket';
import type { TimelineEvent } from '../domain/timeline';
import {
  approvedBy,
  durationInWords,
  earlierApprovals,
  listInWords,
  policySentence,
  type TicketWords,
} from '../domain/wording';
import type { EmailMessage } from './ports';
import { renderEmail } from './render-email';

/** The words of each email Tollgate sends; the Mailer adapter only delivers them. */

function summaryRows(ticket: Ticket, words: TicketWords): [string, string][] {
  const { system } = words;
  return [
    ['Ticket', `${ticket.number} (${ticket.id})`],
    ['Requested by', words.person(ticket.requester)],
    ['For', words.person(ticket.beneficiary)],
    ...(ticket.type === 'access'
      ? ([
          ['System', system ? `${system.name} (${system.sensitivity} sensitivity)` : words.systemName],
          ['Entitlement', words.entitlement],
          ['Duration', durationInWords(ticket.duration)],
        ] as [string, string][])
      : ([['Category', ticket.category ?? '']] as [string, string][])),
    ['Justification', ticket.justification ?? ticket.description ?? ''],
  ];
}

/** What a ticket asks for, with names: "Write access (github-write) on GitHub for Alex <alex@...>". */
const whatInWords = (ticket: Ticket, words: TicketWords): string =>
  ticket.type === 'access'
    ? `${words.entitlement} on ${words.systemName} for ${words.person(ticket.beneficiary)}`
    : `a ${ticket.category} support ticket`;

interface TaskEmail {
  ticket: Ticket;
  words: TicketWords;
  to: string;
  url: string;
  deadline: string;
  /** Which phase of the wait asks: the first request, the reminder, or the escalation. */
  phase: WaitPhase;
}

/** How each phase of a wait begins its subject, and what it says first. */
const phaseWords: Record<WaitPhase, { prefix: string; lead: string | null }> = {
  asked: { prefix: '', lead: null },
  reminded: { prefix: 'Reminder: ', lead: 'This is a reminder: nobody has acted on this yet.' },
  escalated: {
    prefix: 'Escalated: ',
    lead: 'Nobody acted on this in time, so it now comes to you as well; whoever acts first decides.',
  },
  overdue: {
    prefix: 'Overdue: ',
    lead: 'This is overdue: nobody has confirmed it, so it now comes to you as well; whoever acts first confirms.',
  },
};

/**
 * The email asking one approver for a decision, with their own link; `why` says what policy asked
 * of them, and `handedOver` why the decision comes to them rather than to whoever was asked first
 * (a reassignment, or an identity change).
 */
export function approvalRequestEmail({
  ticket,
  words,
  stageIndex,
  to,
  url,
  deadline,
  phase,
  why,
  handedOver,
}: TaskEmail & { stageIndex: number; why: string; handedOver?: string }): EmailMessage {
  const { prefix, lead } = phaseWords[phase];
  const earlier = earlierApprovals(ticket, stageIndex, words);
  return taskEmail(
    { ticket, words, to, url, deadline },
    {
      subject: `${prefix}Approval needed${handedOver ? ' (reassigned to you)' : ''}: ${ticket.entitlement} for ${ticket.beneficiary} (${ticket.id})`,
      title: 'Your approval is needed',
      intro: [
        ...(lead ? [lead] : []),
        ...(handedOver ? [handedOver] : []),
        ticket.beneficiary === ticket.requester
          ? `${words.person(ticket.requester)} asks for ${words.entitlement} on ${words.systemName} for themselves.`
          : `${words.person(ticket.requester)} asks for ${whatInWords(ticket, words)}.`,
        why,
        policySentence(ticket.decision),
        ...(earlier.length ? [`Already approved by ${listInWords(earlier)}.`] : []),
        'The link opens a page where you review the request and approve or deny it; opening it decides nothing.',
      ],
      action: 'Review and decide',
    },
  );
}

/** The email asking one fulfiller to do the work and report it, with their own link. */
export function fulfilmentRequestEmail({ ticket, words, to, url, deadline, phase }: TaskEmail): EmailMessage {
  const work =
    ticket.type === 'access'
      ? `grant ${words.entitlement} on ${words.systemName} to ${words.person(ticket.beneficiary)}`
      : `resolve a ${ticket.category} support ticket`;
  const approvers = approvedBy(ticket, words);
  const level = phase === 'reminded' ? 'first_response' : 'resolution';
  const breached = ticket.sla?.breaches.some((breach) => breach.sla === level) ?? false;
  const lead = breached
    ? `This ticket has passed its ${level === 'first_response' ? 'first-response' : 'resolution'} service level.`
    : phaseWords[phase].lead;
  return taskEmail(
    { ticket, words, to, url, deadline },
    {
      subject: `${phaseWords[phase].prefix}To fulfil: ${ticket.entitlement ?? ticket.category} for ${ticket.beneficiary} (${ticket.id})`,
      title: 'Work to fulfil',
      intro: [
        ...(lead ? [lead] : []),
        ...(approvers.length ? [`Approved by ${listInWords(approvers)}.`] : []),
        `Please ${work}, then report the result from the page behind the link: done or failed, with a note.`,
      ],
      action: 'Report fulfilment',
    },
  );
}

/**
 * The email asking one person to remove access that has ended, with their own link; `dueBy` is when
 * the revocation becomes overdue.
 */
export function revocationRequestEmail({
  ticket,
  words,
  to,
  url,
  deadline,
  phase,
  dueBy,
}: TaskEmail & { dueBy: string }): EmailMessage {
  return taskEmail(
    { ticket, words, to, url, deadline },
    {
      subject: `${phaseWords[phase].prefix}To revoke: ${ticket.entitlement} for ${ticket.beneficiary} (${ticket.id})`,
      title: 'Access to remove',
      intro: [
        ...(phaseWords[phase].lead ? [phaseWords[phase].lead] : []),
        revocationCause(ticket),
        `Please remove ${words.entitlement} on ${words.systemName} from ${words.person(ticket.beneficiary)}, then confirm it from the page behind the link. Unconfirmed, it is overdue ${words.when(dueBy)}.`,
      ],
      action: 'Confirm the access is removed',
    },
  );
}

/**
 * Tells the holder (a service account's owner) that a grant ends soon, with a link of their own to
 * ask for more time; doing nothing lets it end.
 */
export function expiryNoticeEmail({
  ticket,
  words,
  to,
  url,
}: {
  ticket: Ticket;
  words: TicketWords;
  to: string;
  url: string;
}): EmailMessage {
  const until = words.when(ticket.grant?.until ?? '');
  const rendered = renderEmail({
    title: 'Your access ends soon',
    intro: [
      `${whatInWords(ticket, words)} (grant ${ticket.grant?.id}) ends ${until}.`,
      'If it is still needed, ask for more time from the page behind the link: the extension is decided like a new request. If not, do nothing: it is removed when it ends.',
    ],
    rows: summaryRows(ticket, words),
    actions: [{ label: 'Ask to extend', url }],
    footer: `This link is yours alone and works once, until it ends (${until}).`,
  });
  return {
    to: [to],
    subject: `Ends soon: ${ticket.entitlement} for ${ticket.beneficiary} (${ticket.id})`,
    ...rendered,
  };
}

/** A fulfilment escalated to the system's owner: they chase it; the link stays with the fulfillers. */
export function fulfilmentOverdueEmail({
  ticket,
  words,
  to,
  deadline,
}: Omit<TaskEmail, 'url' | 'phase'>): EmailMessage {
  const fulfillers = (ticket.fulfilment?.fulfillers ?? []).map(words.person);
  const rendered = renderEmail({
    title: 'Fulfilment is overdue',
    intro: [
      `${whatInWords(ticket, words)} was approved and has not been provisioned yet.`,
      `You own ${words.systemName}: please see that its fulfillers (${listInWords(fulfillers)}) act before the request times out, ${words.when(deadline)}.`,
    ],
    rows: summaryRows(ticket, words),
    actions: [],
    footer: 'Tollgate sends this because the fulfilment passed its escalation time.',
  });
  return {
    to: [to],
    subject: `Escalated: fulfilment overdue for ${ticket.beneficiary} (${ticket.id})`,
    ...rendered,
  };
}

/**
 * Tells someone who was asked to approve or fulfil that the request was cancelled: their link no
 * longer works, and a fulfiller who provisioned the access already should take it away again.
 */
export function cancellationEmail({
  ticket,
  words,
  to,
  kind,
  event,
}: {
  ticket: Ticket;
  words: TicketWords;
  to: string;
  kind: 'approval' | 'fulfilment';
  event: TimelineEvent;
}): EmailMessage {
  const requester = words.person(ticket.requester);
  const who = event.actor === ticket.requester ? requester : `${words.person(event.actor)}, for ${requester}`;
  const rendered = renderEmail({
    title: 'Request cancelled',
    intro: [
      `${who} cancelled the request for ${whatInWords(ticket, words)}.`,
      ...(event.reason ? [`Reason: ${event.reason}`] : []),
      kind === 'approval'
        ? 'There is nothing left to decide: the link you were sent no longer works.'
        : 'Do not provision it. If you already did, remove the access again. The link you were sent no longer works.',
    ],
    rows: summaryRows(ticket, words),
    actions: [],
    footer: 'Tollgate sends this because you were asked to act on this request.',
  });
  return {
    to: [to],
    subject: `Cancelled: ${whatIsAsked(ticket)} (${ticket.id})`,
    ...rendered,
  };
}

/**
 * Tells someone asked for a stage that it was reassigned to another person: their link no longer
 * decides it, and nothing more is needed from them.
 */
export function reassignedAwayEmail({
  ticket,
  words,
  to,
  handedOver,
}: {
  ticket: Ticket;
  words: TicketWords;
  to: string;
  handedOver: { by: string; to: string; reason: string };
}): EmailMessage {
  const rendered = renderEmail({
    title: 'An approval was reassigned',
    intro: [
      `${words.person(handedOver.by)} reassigned the approval of ${whatInWords(ticket, words)}, which you were asked for, to ${words.person(handedOver.to)}: ${handedOver.reason}`,
      'Your earlier link no longer decides it, and nothing more is needed from you.',
    ],
    rows: summaryRows(ticket, words),
    actions: [],
    footer: 'Tollgate tells you when a decision you were asked for goes to someone else.',
  });
  return {
    to: [to],
    subject: `Reassigned: approval of ${ticket.entitlement} for ${ticket.beneficiary} (${ticket.id})`,
    ...rendered,
  };
}

/** What the requester is told of each event that changes where their request stands. */
function noticeWords(
  ticket: Ticket,
  event: TimelineEvent,
  words: TicketWords,
): { subject: string; lines: string[] } {
  const to = Array.isArray(event.data.to) ? listInWords(event.data.to.map(String).map(words.person)) : '';
  switch (event.type) {
    case 'approved_all':
      return {
        subject: 'Approved',
        lines: [`Approved by ${listInWords(approvedBy(ticket, words))}. It goes to fulfilment now.`],
      };
    case 'escalated':
      return {
        subject: 'Escalated',
        lines: [
          to
            ? `Nobody acted in time, so it was escalated to ${to}.`
            : 'Nobody acted in time, and there was nobody eligible to escalate it to.',
        ],
      };
    case 'granted':
      return {
        subject: 'Fulfilled',
        lines: [
          `${words.person(ticket.fulfilment?.by ?? event.actor)} granted the access, which ends ${words.when(ticket.grant?.until ?? '')}.`,
        ],
      };
    default:
      return closureWords(ticket, event, words);
  }
}

function closureWords(
  ticket: Ticket,
  event: TimelineEvent,
  words: TicketWords,
): { subject: string; lines: string[] } {
  const because = event.reason ? [`Reason: ${event.reason}`] : [];
  switch (ticket.closure) {
    case 'rejected':
      return { subject: 'Denied', lines: [`Denied by ${words.person(event.actor)}.`, ...because] };
    case 'timed_out':
      return {
        subject: 'Timed out',
        lines: ['Nobody acted before the final deadline, so it closed.', ...because],
      };
    case 'fulfilled':
      return event.data.extended
        ? {
            subject: 'Extended',
            lines: [`${event.data.extended} now ends ${words.when(String(event.data.until))}.`],
          }
        : { subject: 'Fulfilled', lines: ['It was fulfilled and is closed.'] };
    case 'failed':
      return { subject: 'Failed', lines: ['It could not be completed and is closed.', ...because] };
    case 'cancelled':
      return {
        subject: 'Cancelled',
        lines: [
          event.actor === ticket.requester
            ? 'You cancelled it: the links sent about it no longer work.'
            : `It was cancelled by ${words.person(event.actor)}: the links sent about it no longer work.`,
          ...because,
          ...(ticket.grant ? [`The access it granted (${ticket.grant.id}) is to be revoked.`] : []),
        ],
      };
    case 'expired':
      return {
        subject: 'Access ended',
        lines: [
          `The access it granted ended ${words.when(ticket.grant?.until ?? '')}, and its removal was confirmed.`,
        ],
      };
    case 'revoked':
      return {
        subject: 'Access revoked',
        lines: [
          `The access it granted was ended early at the request of ${words.person(ticket.revocation?.requestedBy ?? '')}, and its removal was confirmed.`,
          ...(ticket.revocation?.note ? [`Reason: ${ticket.revocation.note}`] : []),
        ],
      };
    default:
      return { subject: `Closed (${ticket.closure})`, lines: because };
  }
}

/** Tells the requester where their request now stands; it carries no link that acts on anything. */
export function requesterNotice(ticket: Ticket, words: TicketWords, event: TimelineEvent): EmailMessage {
  const notice = noticeWords(ticket, event, words);
  const rendered = renderEmail({
    title: `Your request: ${notice.subject.toLowerCase()}`,
    intro: notice.lines,
    rows: summaryRows(ticket, words),
    actions: [],
    footer: 'Tollgate tells you each time your request moves on.',
  });
  return {
    to: [ticket.requester],
    subject: `${notice.subject}: ${whatIsAsked(ticket)} (${ticket.id})`,
    ...rendered,
  };
}

/** What a ticket asks for, in a few words, for a subject line. */
const whatIsAsked = (ticket: Ticket): string =>
  ticket.type === 'access' ? `${ticket.entitlement} for ${ticket.beneficiary}` : `${ticket.category} support`;

/**
 * A comment, to one of the other people taking part in the request; its link opens the ticket
 * (`GET /requests/{id}`), where the whole conversation is in the timeline.
 */
export function commentEmail({
  ticket,
  words,
  to,
  author,
  text,
  url,
}: {
  ticket: Ticket;
  words: TicketWords;
  to: string;
  author: string;
  text: string;
  url: string;
}): EmailMessage {
  const rendered = renderEmail({
    title: `${words.person(author)} commented`,
    intro: [
      `${words.person(author)} commented on the request for ${whatInWords(ticket, words)}:`,
      text,
      'Answer with a comment on the request. A comment changes nothing else: whatever waits for a decision or for work still waits, and the links you were sent still work.',
    ],
    rows: summaryRows(ticket, words),
    actions: [{ label: 'Open the request', url }],
    footer: 'Tollgate sends each comment to everyone taking part in the request but its author.',
  });
  return { to: [to], subject: `Comment from ${author}: ${whatIsAsked(ticket)} (${ticket.id})`, ...rendered };
}

function taskEmail(
  { ticket, words, to, url, deadline }: Omit<TaskEmail, 'phase'>,
  message: { subject: string; title: string; intro: string[]; action: string },
): EmailMessage {
  const rendered = renderEmail({
    title: message.title,
    intro: [...message.intro, `The link expires ${words.when(deadline)}.`],
    rows: summaryRows(ticket, words),
    actions: [{ label: message.action, url }],
    footer: 'This link is yours alone: do not forward it.',
  });
  return { to: [to], subject: message.subject, ...rendered };
}
