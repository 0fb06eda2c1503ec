import { parseDuration } from '../../domain/duration';
import type { Ticket } from '../../domain/ticket';

/** The console's phrasing of the records: what a status, a stage, a duration or an event means to a person. */

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;

export function durationWords(text: string | null | undefined): string {
  if (!text) return 'until revoked';
  const duration = parseDuration(text);
  if (!duration) return text;
  const parts = (
    [
      [duration.years, 'year'],
      [duration.months, 'month'],
      [duration.weeks, 'week'],
      [duration.days, 'day'],
      [duration.hours, 'hour'],
      [duration.minutes, 'minute'],
      [duration.seconds, 'second'],
    ] as [number, string][]
  )
    .filter(([count]) => count > 0)
    .map(([count, unit]) => plural(count, unit));
  return parts.join(' ');
}

export const stageWords: Record<string, string> = {
  manager: 'the manager of the person who will hold it',
  system_owner: "the system's owner",
  security: 'the security group',
};

export function statusWords(ticket: Pick<Ticket, 'status' | 'closure' | 'type'>): string {
  if (ticket.status === 'closed') {
    const closures: Record<string, string> = {
      // Standing access closes as fulfilled once granted; time-bound access stays active until it ends.
      fulfilled: ticket.type === 'support' ? 'resolved' : 'done: access granted',
      expired: 'ended: its time ran out',
      revoked: 'ended: access revoked',
      rejected: 'denied',
      auto_rejected: 'refused by policy',
      cancelled: 'cancelled',
      failed: 'failed',
      timed_out: 'timed out: nobody answered in time',
    };
    return `Closed, ${closures[ticket.closure ?? ''] ?? ticket.closure ?? ''}`;
  }
  const open: Record<string, string> = {
    submitted: 'Submitted',
    pending_approval: 'Waiting for approval',
    fulfilling: ticket.type === 'support' ? 'In the support queue' : 'Approved, being set up',
    active: 'Active: access granted',
    revoking: 'Access being removed',
  };
  return open[ticket.status] ?? ticket.status;
}

const eventPhrases: Record<string, string> = {
  submitted: 'filed the request',
  routed: 'routed it to its approvers',
  stage_opened: 'opened an approval stage',
  stage_moved: 'moved a stage to someone else',
  auto_approved: 'approved it by policy',
  approved: 'approved',
  denied: 'denied',
  approved_all: 'recorded every approval',
  fulfilment_requested: 'asked the fulfillers to set it up',
  fulfilment_reported: 'reported the fulfilment',
  granted: 'granted the access',
  grant_extended: 'extended the access',
  grant_ended: 'ended the access',
  queued: 'queued it for support',
  assigned: 'took it on',
  commented: 'commented',
  reassigned: 'reassigned a stage',
  cancelled: 'cancelled it',
  closed: 'closed it',
  decision_refused: 'was refused a decision',
  sla_met: 'met a service level',
  sla_breached: 'missed a service level',
  revocation_requested: 'asked for the access to end',
  revocation_started: 'started removing the access',
  revocation_confirmed: 'confirmed the access is gone',
  revocation_overdue: 'noted the removal is overdue',
  expiry_notice_sent: 'told the holder the access is ending',
  execution_stopped: 'stopped the workflow',
  feedback_given: 'rated the request',
};

/** One timeline event as a sentence: who did what, and why when a reason was given. */
export function eventWords(event: Ticket['timeline'][number], nameOf: (id: string) => string): string {
  const who = event.actor === 'tollgate' || event.actor === 'system' ? 'Tollgate' : nameOf(event.actor);
  const what = eventPhrases[event.type] ?? event.type.replaceAll('_', ' ');
  const text = typeof event.data.text === 'string' ? `: “${event.data.text}”` : '';
  const why = event.reason ? ` (${event.reason})` : '';
  return `${who} ${what}${text}${why}.`;
}
