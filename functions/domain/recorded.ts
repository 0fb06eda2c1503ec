import { z } from 'zod';
import { closureCodes } from './lifecycle';
import type { Ticket } from './ticket';
import { eligibleFulfillers } from './workflow';

/**
 * What a decision, a fulfilment report or a confirmed removal recorded, and what happens next. The
 * ticket moves on after the answer (the workflow applies it), so its status at that moment would
 * tell the caller only where it stood before.
 */
export const recordedSchema = z
  .object({
    recorded: z.enum(['approved', 'denied', 'done', 'failed', 'removed']),
    ticketId: z.string(),
    number: z.string(),
    stage: z.string().nullable().meta({ description: 'The approval stage decided; null for a report' }),
    by: z.string(),
    at: z.string(),
    comment: z.string().nullable().meta({ description: "The approver's comment or the fulfiller's note" }),
    next: z
      .object({
        step: z.enum(['approval', 'fulfilment', 'grant', 'closed']).meta({
          description:
            '`approval`: the next stage is asked; `fulfilment`: every stage approved, the fulfillers are asked; `grant`: the access becomes an active grant; `closed`: the ticket closes with `closure`',
        }),
        stage: z.string().nullable().meta({ description: 'The stage asked next, for `approval`' }),
        asked: z
          .array(z.string())
          .meta({ description: 'Who is asked next, where known now: the fulfillers for `fulfilment`' }),
        closure: z.enum(closureCodes).nullable().meta({ description: 'How the ticket closes, for `closed`' }),
      })
      .meta({ description: 'What happens next, as the workflow applies what was recorded' }),
  })
  .meta({ id: 'Recorded', description: 'What was recorded, and what happens next' });
export type Recorded = z.infer<typeof recordedSchema>;

/** What the last answer on `ticket` (the one just recorded) was, read off the ticket it left. */
export function whatWasRecorded(ticket: Ticket): Recorded {
  const event = ticket.timeline.at(-1);
  const base = {
    ticketId: ticket.id,
    number: ticket.number,
    by: event?.actor ?? '',
    at: event?.at ?? '',
    comment: event?.reason ?? null,
  };
  const closed = (closure: Recorded['next']['closure']) => ({
    step: 'closed' as const,
    stage: null,
    asked: [],
    closure,
  });
  switch (event?.type) {
    case 'approved': {
      const waiting = ticket.approvals.find((approval) => approval.decision === null);
      return {
        ...base,
        recorded: 'approved',
        stage: typeof event.data.stage === 'string' ? event.data.stage : null,
        next: waiting
          ? { step: 'approval', stage: waiting.stage, asked: [], closure: null }
          : { step: 'fulfilment', stage: null, asked: eligibleFulfillers(ticket), closure: null },
      };
    }
    case 'denied':
      return {
        ...base,
        recorded: 'denied',
        stage: typeof event.data.stage === 'string' ? event.data.stage : null,
        next: closed('rejected'),
      };
    case 'fulfilment_reported': {
      if (event.data.result === 'failed')
        return { ...base, recorded: 'failed', stage: null, next: closed('failed') };
      const grants = ticket.type === 'access' && ticket.duration !== null;
      return {
        ...base,
        recorded: 'done',
        stage: null,
        next: grants ? { step: 'grant', stage: null, asked: [], closure: null } : closed('fulfilled'),
      };
    }
    case 'revocation_confirmed':
      return {
        ...base,
        recorded: 'removed',
        stage: null,
        next: closed(ticket.revocation?.reason === 'expired' ? 'expired' : 'revoked'),
      };
    default:
      throw new Error(`The last event of ticket ${ticket.id} (${event?.type}) records no answer`);
  }
}
