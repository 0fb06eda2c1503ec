import { ConflictError } from './errors';
import { firstResponseAt, queueMembers } from './support';
import { applyChange, type Ticket } from './ticket';
import type { TimelineEvent } from './timeline';
import { eligibleFulfillers, openStageIndex } from './workflow';

export const MAX_COMMENTS = 200;
export const MAX_COMMENT_LENGTH = 4000;
/**
 * Comments live in the ticket item, which DynamoDB caps at 400 KB; 200 long comments would not
 * fit. A comment may not take the ticket (as JSON, a little larger than DynamoDB counts it) past
 * this size, so the workflow always has room left to record what follows.
 */
export const MAX_TICKET_BYTES_WITH_COMMENTS = 300_000;

export interface Comment {
  by: string;
  text: string;
  at: string;
  /** The author's Idempotency-Key: a retry with the same key and text adds nothing. */
  key: string | null;
}

const comments = (ticket: Pick<Ticket, 'timeline'>): TimelineEvent[] =>
  ticket.timeline.filter((event) => event.type === 'commented');

/**
 * Adds a comment to the ticket's timeline, which is where comments live. It moves nothing: the
 * status, the open stage (its people, deadlines and emailed links) and the fulfilment stay as they
 * are, so an approver can ask a question and still decide on the link they were sent. On a support
 * ticket, the first comment by a member of its queue is its first response.
 */
export function addComment(ticket: Ticket, comment: Comment): Ticket {
  const earlier = comment.key
    ? comments(ticket).find((event) => event.actor === comment.by && event.data.key === comment.key)
    : undefined;
  if (earlier) {
    if (earlier.data.text === comment.text) return ticket;
    throw new ConflictError('This Idempotency-Key was already used with a different comment');
  }
  if (ticket.status === 'closed') {
    throw new ConflictError(`This request is closed (${ticket.closure}): it takes no more comments`);
  }
  if (comments(ticket).length >= MAX_COMMENTS) {
    throw new ConflictError(`This request has ${MAX_COMMENTS} comments, as many as a request takes`);
  }
  const firstResponse = isFirstResponse(ticket, comment.by);
  const commented = applyChange(
    ticket,
    {
      type: 'commented',
      at: comment.at,
      actor: comment.by,
      data: {
        text: comment.text,
        ...(firstResponse ? { firstResponse: true } : {}),
        ...(comment.key ? { key: comment.key } : {}),
      },
    },
    firstResponse && ticket.sla ? { sla: { ...ticket.sla, firstResponseAt: comment.at } } : {},
  );
  if (new TextEncoder().encode(JSON.stringify(commented)).length > MAX_TICKET_BYTES_WITH_COMMENTS) {
    throw new ConflictError(
      'This request holds as much conversation as it can: a shorter comment may still fit, or open a new request',
    );
  }
  return commented;
}

/**
 * Only the queue answers: a member commenting on a ticket they filed themselves is not responding
 * to anyone. An answer that comes before the ticket is queued (when `sla` is set) counts too: the
 * queue reads it from the timeline then. A breach recorded before is kept: a late answer does not
 * undo it.
 */
function isFirstResponse(ticket: Ticket, by: string): boolean {
  return firstResponseAt(ticket) === null && by !== ticket.requester && queueMembers(ticket).includes(by);
}

/**
 * Who hears of a comment: the people the ticket is about, whoever is asked to act on it now (the
 * open stage's approvers, escalation included, or its fulfillers; a support ticket's assignee
 * instead of its whole queue), whoever acted on it before, and whoever commented before. Never
 * its author.
 */
export function commentRecipients(ticket: Ticket, author: string): string[] {
  const stage = ticket.approvals[openStageIndex(ticket) ?? -1];
  const fulfilling = ticket.status === 'fulfilling' && ticket.fulfilment?.result === null;
  const askedNow = stage
    ? stage.candidates
    : fulfilling
      ? ticket.assignee
        ? [ticket.assignee]
        : eligibleFulfillers(ticket)
      : [];
  const actedBefore = [
    ...ticket.approvals.map((approval) => approval.decidedBy),
    ticket.fulfilment?.by ?? null,
    ...comments(ticket).map((event) => event.actor),
  ];
  const everyone = [
    ticket.requester,
    ticket.beneficiaryOwner ?? ticket.beneficiary,
    ...askedNow,
    ...actedBefore,
  ];
  return [...new Set(everyone.filter((id): id is string => id !== null && id !== author))];
}
