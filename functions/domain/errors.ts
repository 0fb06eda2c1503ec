/**
 * Named domain errors. The HTTP error middleware maps them to status codes, and the state machine's
 * Retry/Catch blocks match them by `name`, so the names are part of the contract.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that is well-formed JSON but wrong: `fields` maps each dot path to its message. */
export class ValidationError extends DomainError {
  readonly code = 'invalid_request';
  constructor(
    message: string,
    readonly fields: Record<string, string>,
  ) {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
}

export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}

/** A change that conflicts with the ticket's current state or a concurrent writer. */
export class ConflictError extends DomainError {
  readonly code = 'conflict';
}

export class InvalidTransitionError extends ConflictError {
  constructor(from: string, to: string, closure?: string | null) {
    super(`A ticket cannot move from ${from} to ${to}${closure ? ` (${closure})` : ''}`);
  }
}

/** A decision or report after its stage's final deadline: the timeout has the last word. */
export class DeadlinePassedError extends DomainError {
  readonly code = 'deadline_passed';
}

/** An emailed link past its deadline: answered before anything else about the link. */
export class ExpiredError extends DomainError {
  readonly code = 'expired';
}

/**
 * The ticket was cancelled: every link and task still out answers with this, whoever acts on it,
 * so those asked learn why rather than reading that it was decided.
 */
export class CancelledError extends DomainError {
  readonly code = 'cancelled';
  constructor(message = 'This request was cancelled') {
    super(message);
  }
}

/**
 * The stage was handed to someone else (a reassignment, or its approver left): their link and
 * inbox task answer with this, saying who decides now, rather than reading that it was decided.
 */
export class ReassignedError extends DomainError {
  readonly code = 'reassigned';
}
