import type { WaitDeadlines } from '../../../functions/domain/deadlines';
import type { Approval, FulfilmentRecord, Ticket } from '../../../functions/domain/ticket';
import { appendEvent } from '../../../functions/domain/timeline';

/** A submitted access ticket, with one genesis event. */
export function ticket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: '01J0000000000000000000000',
    number: 'TG-1',
    type: 'access',
    status: 'submitted',
    closure: null,
    requester: 'dev@x.com',
    beneficiary: 'dev@x.com',
    beneficiaryOwner: null,
    department: 'Engineering',
    system: 'wiki',
    entitlement: 'wiki-read',
    justification: 'reading the runbooks',
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
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    timeline: appendEvent([], {
      type: 'submitted',
      at: '2026-01-01T00:00:00.000Z',
      actor: 'dev@x.com',
      reason: null,
      from: null,
      to: 'submitted',
      data: {},
    }),
    version: 1,
    ...overrides,
  };
}

/** A wait's checkpoints ending at `deadline`: its reminder two hours and its escalation one hour before. */
export function endingAt(deadline: string): WaitDeadlines {
  const hour = 3600_000;
  const end = Date.parse(deadline);
  return {
    reminderAt: new Date(end - 2 * hour).toISOString(),
    escalationAt: new Date(end - hour).toISOString(),
    deadline,
  };
}

/** The fields of a wait that has not opened yet. */
export const unopenedWait: Pick<Approval, 'reminderAt' | 'escalationAt' | 'phase' | 'escalatedTo'> = {
  reminderAt: null,
  escalationAt: null,
  phase: 'asked',
  escalatedTo: [],
};

/** A manual fulfilment not yet opened (no report, no deadlines), asking these fulfillers. */
export function fulfilmentBy(
  fulfillers: string[],
  overrides: Partial<FulfilmentRecord> = {},
): FulfilmentRecord {
  return {
    mode: 'manual',
    fulfillers,
    queue: null,
    result: null,
    by: null,
    at: null,
    note: null,
    deadline: null,
    ...unopenedWait,
    ...overrides,
  };
}
