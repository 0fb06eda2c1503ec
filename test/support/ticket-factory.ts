import { randomInt } from 'node:crypto';
import { ulid } from 'ulid';
import type { Grant } from '../../functions/domain/grants';
import { type Ticket, ticketNumber } from '../../functions/domain/ticket';
import { appendEvent } from '../../functions/domain/timeline';
import { people } from './seed';

/** Far above what intake counts to in a test, so a ticket stored directly never takes one of its numbers. */
let lastNumber = 1_000_000_000 + randomInt(1_000_000_000);

/** A freshly submitted access ticket, as intake stores it, for tests of the store itself. */
export function submittedTicket(overrides: Partial<Ticket> = {}): Ticket {
  const at = new Date().toISOString();
  const ticket = {
    id: ulid(),
    number: ticketNumber.format(++lastNumber),
    type: 'access',
    status: 'submitted',
    closure: null,
    requester: people.alex,
    beneficiary: people.alex,
    beneficiaryOwner: null,
    department: 'Engineering',
    system: 'wiki',
    entitlement: 'wiki-read',
    justification: 'I need to read the onboarding pages',
    urgency: 'normal',
    duration: null,
    durationBasis: null,
    evidence: [],
    category: null,
    description: null,
    decision: null,
    approvals: [],
    fulfilment: null,
    grant: null,
    revocation: null,
    extends: null,
    assignee: null,
    sla: null,
    createdAt: at,
    updatedAt: at,
    version: 1,
    timeline: appendEvent([], {
      type: 'submitted',
      at,
      actor: people.alex,
      reason: null,
      from: null,
      to: 'submitted',
      data: { type: 'access' },
    }),
  } satisfies Ticket;
  return { ...ticket, ...overrides };
}

/** An active standing grant of `ticket` (id `G{ticket}`), as fulfilment stores one, for tests of the grant store and its readers. */
export function standingGrant(
  ticket: string,
  grant: Pick<Grant, 'holder' | 'system' | 'entitlement' | 'from'>,
): Grant {
  return {
    id: `G${ticket}`,
    ticket,
    ...grant,
    until: null,
    status: 'active',
    endReason: null,
    overdue: false,
    events: [],
    revocationDueAt: null,
    noticeDueAt: null,
  };
}
