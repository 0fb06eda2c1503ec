import { z } from 'zod';
import { ConflictError } from './errors';
import { applyChange, resolvedAt, type Ticket } from './ticket';

export const MAX_FEEDBACK_COMMENT_LENGTH = 2000;

/** What the requester says of a resolved request: the body of POST /requests/{id}/feedback and of the survey's form. */
export const feedbackBodySchema = z
  .strictObject({
    rating: z
      .number('must be a whole number from 1 to 5')
      .int('must be a whole number from 1 to 5')
      .min(1, 'must be from 1 to 5')
      .max(5, 'must be from 1 to 5'),
    comment: z
      .string()
      .trim()
      .max(MAX_FEEDBACK_COMMENT_LENGTH, `must be at most ${MAX_FEEDBACK_COMMENT_LENGTH} characters`)
      .optional(),
  })
  .meta({
    id: 'FeedbackBody',
    description: 'A rating from 1 (poor) to 5 (excellent), and an optional comment',
  });
export type FeedbackBody = z.infer<typeof feedbackBodySchema>;

/** Where the rating was given: the survey's emailed link, the JSON API, or the console's request page. */
export type FeedbackChannel = 'link' | 'api' | 'console';

/**
 * Records the requester's feedback on a resolved request, as a `feedback_given` event: once per
 * ticket, so a second answer (from the survey's link or the API) is refused, whatever it says.
 * Who may give it (the requester) is the caller's to check.
 */
export function recordFeedback(
  ticket: Ticket,
  feedback: FeedbackBody & { by: string; at: string; via: FeedbackChannel },
): Ticket {
  if (ticket.feedback) {
    throw new ConflictError(`Feedback on this request was already given, at ${ticket.feedback.at}`);
  }
  if (resolvedAt(ticket) === null) {
    throw new ConflictError('This request is not resolved yet: feedback is asked for once it is');
  }
  const comment = feedback.comment ? { comment: feedback.comment } : {};
  return applyChange(
    ticket,
    {
      type: 'feedback_given',
      at: feedback.at,
      actor: feedback.by,
      data: { rating: feedback.rating, ...comment, via: feedback.via },
    },
    { feedback: { rating: feedback.rating, ...comment, at: feedback.at } },
  );
}
