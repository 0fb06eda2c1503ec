import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, ValidationError } from '../../../functions/domain/errors';
import { assertResolutionNote, assignTicket } from '../../../functions/domain/support';
import type { Ticket } from '../../../functions/domain/ticket';
import { timeOut } from '../../../functions/domain/workflow';
import { ticket as baseTicket, fulfilmentBy } from './tickets';

const at = '2026-01-01T01:00:00.000Z';
const helpdesk = 'help@x.com';
const deskmate = 'desk@x.com';

function supportTicket(overrides: Partial<Ticket> = {}): Ticket {
  return baseTicket({
    type: 'support',
    status: 'fulfilling',
    system: null,
    entitlement: null,
    category: 'hardware',
    description: 'The laptop does not start',
    fulfilment: fulfilmentBy([helpdesk, deskmate], {
      queue: 'service-desk',
      deadline: '2026-01-02T00:00:00.000Z',
    }),
    ...overrides,
  });
}

const take = (ticket: Ticket, by: string, to = by, toActive = true) =>
  assignTicket(ticket, { by, to, toActive, at });

/** The fields a ValidationError named, or null when nothing was refused. */
function refusedFields(attempt: () => unknown): string[] | null {
  try {
    attempt();
    return null;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return Object.keys(error.fields);
  }
}

describe('assigning a support ticket', () => {
  it('lets a queue member take it, recorded as an assigned event', () => {
    // Act
    const taken = take(supportTicket(), helpdesk);

    // Assess
    expect(taken.assignee).toBe(helpdesk);
    expect(taken.status).toBe('fulfilling');
    expect(taken.timeline.at(-1)).toMatchObject({
      type: 'assigned',
      actor: helpdesk,
      data: { to: helpdesk },
    });
  });

  it('lets a queue member hand it to another member, and changes nothing when it already is theirs', () => {
    // Prepare
    const handed = take(supportTicket(), helpdesk, deskmate);

    // Act
    const again = take(handed, helpdesk, deskmate);

    // Assess
    expect(handed.assignee).toBe(deskmate);
    expect(again).toBe(handed);
  });

  it('refuses someone outside the queue with a 403, and a closed ticket with a conflict', () => {
    // Act + Assess
    expect(() => take(supportTicket(), 'dev@x.com')).toThrow(ForbiddenError);
    expect(() => take(timeOut(supportTicket(), at), helpdesk)).toThrow(ConflictError);
  });

  it('refuses an assignee outside the queue or no longer active, naming `to`', () => {
    // Act
    const outside = refusedFields(() => take(supportTicket(), helpdesk, 'dev@x.com'));
    const departed = refusedFields(() => take(supportTicket(), helpdesk, deskmate, false));

    // Assess
    expect(outside).toEqual(['to']);
    expect(departed).toEqual(['to']);
  });

  it('refuses an access ticket with a conflict, whoever asks', () => {
    // Act + Assess
    expect(() => take(baseTicket({ status: 'fulfilling' }), helpdesk)).toThrow(/Only support tickets/);
  });
});

describe('resolving a support ticket', () => {
  it('needs a note, where an access ticket does not', () => {
    // Act + Assess
    expect(() => assertResolutionNote(supportTicket(), null)).toThrow(ValidationError);
    expect(() => assertResolutionNote(supportTicket(), 'Replaced the battery')).not.toThrow();
    expect(() => assertResolutionNote(baseTicket(), null)).not.toThrow();
  });
});
