import { InvalidTransitionError } from './errors';

export const ticketTypes = ['access', 'support'] as const;
export type TicketType = (typeof ticketTypes)[number];

export const statuses = [
  'submitted',
  'pending_approval',
  'fulfilling',
  'active',
  'revoking',
  'closed',
] as const;
export type Status = (typeof statuses)[number];

export const closureCodes = [
  'fulfilled',
  'expired',
  'revoked',
  'rejected',
  'auto_rejected',
  'cancelled',
  'failed',
  'timed_out',
] as const;
export type ClosureCode = (typeof closureCodes)[number];

/**
 * Why a grant ended: its time was up (`expired`), someone ended it early (`revoked`: the holder, the
 * system owner, security, or a cancellation), or its holder left (`departed`).
 */
export const grantEndReasons = ['expired', 'revoked', 'departed'] as const;
export type GrantEndReason = (typeof grantEndReasons)[number];

type Step = { to: Exclude<Status, 'closed'> } | { to: 'closed'; closures: readonly ClosureCode[] };

/**
 * Every move a ticket may make, per type. Later features add behaviour, not statuses: a move that is
 * not listed here is refused, whoever asks for it.
 */
const transitions: Record<TicketType, Partial<Record<Status, readonly Step[]>>> = {
  access: {
    submitted: [
      { to: 'pending_approval' },
      { to: 'fulfilling' },
      { to: 'closed', closures: ['auto_rejected', 'cancelled', 'failed'] },
    ],
    pending_approval: [
      { to: 'pending_approval' },
      { to: 'fulfilling' },
      // auto_rejected: separation of duties left nobody for a stage that opened later.
      { to: 'closed', closures: ['rejected', 'auto_rejected', 'timed_out', 'cancelled', 'failed'] },
    ],
    fulfilling: [
      { to: 'active' },
      // auto_rejected: nobody left who may fulfil (the fulfillers left or approved alone).
      { to: 'closed', closures: ['fulfilled', 'failed', 'timed_out', 'cancelled', 'auto_rejected'] },
    ],
    // cancelled: the requester withdrew after access was provisioned; its revocation follows.
    active: [{ to: 'revoking' }, { to: 'closed', closures: ['cancelled'] }],
    revoking: [{ to: 'closed', closures: ['expired', 'revoked', 'failed'] }],
  },
  support: {
    submitted: [{ to: 'fulfilling' }, { to: 'closed', closures: ['cancelled', 'failed'] }],
    fulfilling: [{ to: 'closed', closures: ['fulfilled', 'cancelled', 'failed', 'timed_out'] }],
  },
};

export function canTransition(
  type: TicketType,
  from: Status,
  to: Status,
  closure: ClosureCode | null,
): boolean {
  const steps = transitions[type][from] ?? [];
  return steps.some((step) =>
    step.to === 'closed'
      ? to === 'closed' && closure !== null && step.closures.includes(closure)
      : step.to === to && closure === null,
  );
}

export function assertTransition(
  type: TicketType,
  from: Status,
  to: Status,
  closure: ClosureCode | null,
): void {
  if (!canTransition(type, from, to, closure)) throw new InvalidTransitionError(from, to, closure);
}

/** Statuses of a ticket in flight: waiting on intake, approval or fulfilment. */
export const isOpen = (status: Status): boolean =>
  status === 'submitted' || status === 'pending_approval' || status === 'fulfilling';
