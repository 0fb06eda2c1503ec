import type { System } from '../domain/directory';
import type { Ticket } from '../domain/ticket';
import type { EmailMessage } from './ports';
import { renderEmail } from './render-email';

/** The words of each email Tollgate sends; the Mailer adapter only delivers them. */

function summaryRows(ticket: Ticket, system: System | undefined): [string, string][] {
  return [
    ['Ticket', ticket.id],
    ['Requested by', ticket.requester],
    ['For', ticket.beneficiary],
    ['System', system ? `${system.name} (${system.sensitivity} sensitivity)` : (ticket.system ?? '')],
    ['Entitlement', ticket.entitlement ?? ''],
    ['Duration', ticket.duration ?? 'until revoked'],
    ['Justification', ticket.justification ?? ticket.description ?? ''],
  ];
}

interface TaskEmail {
  ticket: Ticket;
  system: System | undefined;
  to: string;
  url: string;
  deadline: string;
}

/** The email asking one approver for a decision, with their own link; `why` says what policy asked of them. */
export function approvalRequestEmail({
  ticket,
  system,
  to,
  url,
  deadline,
  why,
}: TaskEmail & { why: string }): EmailMessage {
  return taskEmail(
    { ticket, system, to, url, deadline },
    {
      subject: `Approval needed: ${ticket.entitlement} for ${ticket.beneficiary} (${ticket.id})`,
      title: 'Your approval is needed',
      intro: [
        `${ticket.requester} asks for ${ticket.entitlement} on ${system?.name ?? ticket.system} for ${ticket.beneficiary}.`,
        why,
        'The link opens a page where you review the request and approve or deny it; opening it decides nothing.',
      ],
      action: 'Review and decide',
    },
  );
}

/** The email asking one fulfiller to do the work and report it, with their own link. */
export function fulfilmentRequestEmail({ ticket, system, to, url, deadline }: TaskEmail): EmailMessage {
  const work =
    ticket.type === 'access'
      ? `grant ${ticket.entitlement} on ${system?.name ?? ticket.system} to ${ticket.beneficiary}`
      : `resolve a ${ticket.category} support ticket`;
  return taskEmail(
    { ticket, system, to, url, deadline },
    {
      subject: `To fulfil: ${ticket.entitlement ?? ticket.category} for ${ticket.beneficiary} (${ticket.id})`,
      title: 'Work to fulfil',
      intro: [
        `Please ${work}, then report the result from the page behind the link: done or failed, with a note.`,
      ],
      action: 'Report fulfilment',
    },
  );
}

function taskEmail(
  { ticket, system, to, url, deadline }: TaskEmail,
  words: { subject: string; title: string; intro: string[]; action: string },
): EmailMessage {
  const rendered = renderEmail({
    title: words.title,
    intro: [...words.intro, `The link expires at ${deadline}.`],
    rows: summaryRows(ticket, system),
    actions: [{ label: words.action, url }],
    footer: 'This link is yours alone: do not forward it.',
  });
  return { to: [to], subject: words.subject, ...rendered };
}
