import { describe, expect, it } from 'vitest';
import { DispatchingTicketStore } from '../../../functions/app/outbound';
import type { DispatchRequest, TicketStore } from '../../../functions/app/ports';
import type { Subscriber } from '../../../functions/domain/outbound/deliveries';
import { createdEvents } from '../../../functions/domain/outbound/events';
import { applyChange, type Ticket } from '../../../functions/domain/ticket';
import { ticket as baseTicket } from '../domain/tickets';

/** A store that keeps what it is given, answering the other calls as nothing stored. */
function memoryStore(): TicketStore & { saved: Ticket[] } {
  const saved: Ticket[] = [];
  return {
    saved,
    get: async (id) => saved.findLast((ticket) => ticket.id === id),
    create: async (ticket) => {
      saved.push(ticket);
    },
    save: async (ticket) => {
      saved.push(ticket);
    },
    allocateNumber: async () => 1,
    getByNumber: async () => undefined,
    entitlementsApprovedFor: async () => [],
    executionsToStop: async () => [],
    inFlightFor: async () => [],
    awaitingApprovalOn: async () => [],
    addViewers: async () => {},
    list: async () => ({ items: [], lastId: null }),
  };
}

const created = (): Ticket => {
  const ticket = baseTicket();
  return { ...ticket, outbox: createdEvents(ticket) };
};
const cancelled = (ticket: Ticket) =>
  applyChange(ticket, {
    type: 'cancelled',
    at: '2026-01-01T02:00:00.000Z',
    actor: ticket.requester,
    to: 'closed',
    closure: 'cancelled',
  });

describe('the ticket store that hands new events to the dispatcher', () => {
  it('hands over the events of each write, and only those a subscriber wants', async () => {
    // Prepare
    const asked: DispatchRequest[] = [];
    const store = new DispatchingTicketStore(memoryStore(), {
      dispatcher: { dispatch: async (request) => void asked.push(request) },
      subscribers: [
        { name: 'chat', url: 'https://chat.example.org/', events: ['ticket.created', 'ticket.closed'] },
      ],
      log: () => {},
    });
    const ticket = created();
    const closed = cancelled(ticket);

    // Act
    await store.create(ticket);
    await store.save(ticket, ticket.version);
    await store.save(closed, ticket.version);

    // Assess
    expect(asked).toEqual([
      { ticket: ticket.id, events: [`${ticket.id}.1.0`] },
      { ticket: ticket.id, events: [`${ticket.id}.2.0`] },
    ]);
  });

  it('asks nothing when no subscriber wants what a write made', async () => {
    // Prepare
    const asked: DispatchRequest[] = [];
    const store = new DispatchingTicketStore(memoryStore(), {
      dispatcher: { dispatch: async (request) => void asked.push(request) },
      subscribers: [{ name: 'siem', url: 'https://siem.example.org/', events: ['grant.ended'] }],
      log: () => {},
    });

    // Act
    await store.create(created());

    // Assess
    expect(asked).toEqual([]);
  });

  it('keeps the write when the dispatcher cannot be asked, however it fails, and says so', async () => {
    // Prepare
    const logged: string[] = [];
    const inner = memoryStore();
    const subscribers: Subscriber[] = [
      { name: 'chat', url: 'https://chat.example.org/', events: ['ticket.created'] },
    ];
    const throwing = new DispatchingTicketStore(inner, {
      dispatcher: {
        dispatch: () => {
          throw new Error('refused at once');
        },
      },
      subscribers,
      log: (message) => logged.push(message),
    });
    const rejecting = new DispatchingTicketStore(inner, {
      dispatcher: { dispatch: async () => Promise.reject(new Error('refused later')) },
      subscribers,
      log: (message) => logged.push(message),
    });

    // Act
    await throwing.create(created());
    await rejecting.create(created());

    // Assess
    expect(inner.saved).toHaveLength(2);
    expect(logged).toEqual([
      'Events written but not handed to the dispatcher; its sweep delivers them',
      'Events written but not handed to the dispatcher; its sweep delivers them',
    ]);
  });
});
