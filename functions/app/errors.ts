import { ConflictError, DomainError } from '../domain/errors';

/** The conditional write lost: someone else changed the ticket first. */
export class ConcurrentUpdateError extends ConflictError {
  constructor(ticketId: string) {
    super(`Ticket ${ticketId} was changed by someone else; reload it and try again`);
  }
}

/** A directory or catalog entry was changed by someone else since it was read. */
export class DirectoryEntryChangedError extends ConflictError {
  constructor(id: string) {
    super(`${id} was changed by someone else; read it again and reapply the change`);
  }
}

export class TicketExistsError extends ConflictError {
  constructor(ticketId: string) {
    super(`Ticket ${ticketId} already exists`);
  }
}

/**
 * A failure worth retrying as it is (throttling, a network blip, an injected fault). The name is
 * what the state machine's Retry matches.
 */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/**
 * The workflow was about to wait without a deadline: a defect, surfaced by name (the state machine
 * records it as the ticket's failure) rather than turned into a short wait that times out.
 */
export class MissingDeadlineError extends Error {
  override readonly name = 'MissingDeadlineError';
  constructor(ticketId: string, step: string, stageIndex: number | null) {
    super(
      `Ticket ${ticketId} would wait for ${step}${stageIndex === null ? '' : ` (stage ${stageIndex})`} without a deadline`,
    );
  }
}

/** A webhook whose signature or timestamp does not verify: the signature is its only credential. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'unauthenticated';
}
