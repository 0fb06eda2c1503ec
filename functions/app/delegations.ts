import {
  type Delegation,
  type DelegationStatus,
  delegationBodySchema,
  delegationId,
  delegationProblems,
  delegationStatus,
  type StagePeople,
  withDelegates,
} from '../domain/delegations';
import type { Identity } from '../domain/directory';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import { availableFulfillers } from '../domain/routing';
import type { StageRules } from '../domain/separation-of-duties';
import type { Ticket } from '../domain/ticket';
import { parseOrThrow } from '../domain/validation';
import type { Clock, CursorCodec, DelegationStore, Directory } from './ports';

export interface DelegationDeps {
  clock: Clock;
  directory: Directory;
  delegations: DelegationStore;
}

/** A delegation as the API answers it, with where it stands now. */
export type DelegationView = Delegation & { status: DelegationStatus };

const view = (delegation: Delegation, now: Date): DelegationView => ({
  ...delegation,
  status: delegationStatus(delegation, now),
});

/**
 * Primary course: check the window and the delegate, and store the delegation, which is its own
 * audit record (who set it, when). The same request again answers the delegation it stored.
 */
export async function createDelegation(
  deps: DelegationDeps,
  caller: Identity,
  body: unknown,
): Promise<{ delegation: DelegationView; replayed: boolean }> {
  const request = parseOrThrow(delegationBodySchema, body, 'delegation');
  const now = deps.clock.now();
  const delegate = await deps.directory.identity(request.delegate);
  const problems = delegationProblems(caller.id, request, delegate, now);
  if (Object.keys(problems).length > 0) {
    throw new ValidationError('This delegation cannot be set', problems);
  }
  const { delegation, created } = await deps.delegations.create({
    id: delegationId(caller.id, request),
    owner: caller.id,
    ...request,
    createdAt: now.toISOString(),
    createdBy: caller.id,
    deletedAt: null,
    deletedBy: null,
  });
  if (delegation.deletedAt) {
    throw new ConflictError(
      `The same delegation was deleted at ${delegation.deletedAt} and stays on record as deleted: set one with another window`,
    );
  }
  return { delegation: view(delegation, now), replayed: !created };
}

/** Primary course: the delegations the caller gave or received, the latest-ending first, one page at a time. */
export async function listDelegations(
  deps: DelegationDeps & { cursors: CursorCodec },
  caller: Identity,
  query: { limit: number; cursor?: string },
): Promise<{ items: DelegationView[]; next: string | null }> {
  const after = query.cursor ? cursorPosition(deps.cursors.decode(query.cursor)) : undefined;
  const page = await deps.delegations.list(caller.id, { after, limit: query.limit });
  const now = deps.clock.now();
  return {
    items: page.items.map((delegation) => view(delegation, now)),
    next: page.last ? deps.cursors.encode({ list: 'delegations', after: page.last }) : null,
  };
}

/**
 * Primary course: its owner (or security) deletes a delegation; it stays on record, marked with who
 * deleted it and when, and asks its delegate for no stage that opens afterwards. The delegate, who
 * sees it listed, may not delete it; to anyone else it does not exist. Deleting it again changes
 * nothing.
 */
export async function deleteDelegation(deps: DelegationDeps, caller: Identity, id: string): Promise<void> {
  const delegation = await deps.delegations.get(id);
  const mayDelete = delegation?.owner === caller.id || caller.roles.includes('security');
  if (!delegation || (!mayDelete && delegation.delegate !== caller.id)) {
    throw new NotFoundError(`No delegation ${id}`);
  }
  if (!mayDelete) throw new ForbiddenError('Only the person who gave a delegation, or security, deletes it');
  await deps.delegations.markDeleted(id, deps.clock.now().toISOString(), caller.id);
}

/** A cursor is only good for the list that produced it. */
function cursorPosition(payload: Record<string, unknown>): string {
  if (payload.list !== 'delegations' || typeof payload.after !== 'string') {
    throw new ValidationError('The cursor does not belong to this list', {
      cursor: 'belongs to another list',
    });
  }
  return payload.after;
}

type RoutedTicket = Pick<Ticket, 'requester' | 'beneficiary' | 'beneficiaryOwner' | 'approvals' | 'system'>;

/**
 * What separation of duties reads for one stage of a routed ticket: its parties, who decided the
 * other stages, and, on a one-stage ticket, the system's only fulfiller who could act.
 */
export async function stageRules(
  directory: Directory,
  ticket: RoutedTicket,
  stageIndex: number,
): Promise<StageRules> {
  const system =
    ticket.approvals.length === 1 && ticket.system ? await directory.system(ticket.system) : undefined;
  const fulfillers = system ? await availableFulfillers(directory, system, ticket) : null;
  return {
    requester: ticket.requester,
    beneficiary: ticket.beneficiary,
    beneficiaryOwner: ticket.beneficiaryOwner,
    approvals: ticket.approvals,
    stageIndex,
    soleFulfiller: fulfillers?.length === 1 ? (fulfillers[0] ?? null) : null,
  };
}

/**
 * The people of a stage that opens now: `candidates`, and the delegates in force for them whom
 * separation of duties lets approve this ticket (domain/delegations.ts `withDelegates`).
 */
export async function askDelegates(
  deps: Pick<DelegationDeps, 'directory' | 'delegations'>,
  ticket: RoutedTicket,
  stageIndex: number,
  candidates: string[],
  now: Date,
): Promise<StagePeople> {
  const delegations = (
    await Promise.all(candidates.map((candidate) => deps.delegations.givenEndingAfter(candidate, now)))
  ).flat();
  if (delegations.length === 0) return { candidates, delegates: {} };
  const delegateIds = [...new Set(delegations.map((delegation) => delegation.delegate))];
  const people = new Map<string, Identity>();
  for (const id of delegateIds) {
    const person = await deps.directory.identity(id);
    if (person) people.set(id, person);
  }
  const rules = await stageRules(deps.directory, ticket, stageIndex);
  return withDelegates(candidates, delegations, now, { ...rules, people });
}
