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

export function approvalRequestEmail(
  ticket: Ticket,
  system: System | undefined,
  to: string,
  url: string,
  deadline: string,
): EmailMessage {
  const rendered = renderEmail({
    title: 'Your approval is needed',
    intro: [
      `${ticket.requester} asks for ${ticket.entitlement} on ${system?.name ?? ticket.system} for ${ticket.beneficiary}.`,
      `You are asked as a named approver. The link opens a page where you review the request and approve or deny it; opening it decides nothing. It expires at ${deadline}.`,
    ],
    rows: summaryRows(ticket, system),
    actions: [{ label: 'Review and decide', url }],
    footer: 'This link is yours alone: do not forward it.',
  });
  return {
    to: [to],
    subject: `Approval needed: ${ticket.entitlement} for ${ticket.beneficiary} (${ticket.id})`,
    ...rendered,
  };
}

export function fulfilmentRequestEmail(
  ticket: Ticket,
  system: System | undefined,
  to: string,
  url: string,
  deadline: string,
): EmailMessage {
  const what =
    ticket.type === 'access'
      ? `grant ${ticket.entitlement} on ${system?.name ?? ticket.system} to ${ticket.beneficiary}`
      : `resolve a ${ticket.category} support ticket`;
  const rendered = renderEmail({
    title: 'Work to fulfil',
    intro: [
      `Please ${what}, then report the result from the page behind the link (done or failed, with a note). It expires at ${deadline}.`,
    ],
    rows: summaryRows(ticket, system),
    actions: [{ label: 'Report fulfilment', url }],
    footer: 'This link is yours alone: do not forward it.',
  });
  return {
    to: [to],
    subject: `To fulfil: ${ticket.entitlement ?? ticket.category} for ${ticket.beneficiary} (${ticket.id})`,
    ...rendered,
  };
}
