import {
  type AdminEvent,
  type AdminEventType,
  contentHash,
  recordAdminAction,
} from '../domain/audit/admin-events';
import {
  type Identity,
  type IdentityEntry,
  type System,
  storedIdentitySchema,
  systemSchema,
} from '../domain/directory';
import { ConflictError, ForbiddenError, ValidationError } from '../domain/errors';
import {
  asksTheSame,
  closeForNobodyLeft,
  type DirectoryChange,
  describeChange,
  entryToStore,
  identityChanges,
  moveStage,
  sameEntry,
  systemChanges,
  withOwnerDeparted,
} from '../domain/identity-changes';
import { isStageName } from '../domain/policy/outcome';
import {
  availableFulfillers,
  decidersOf,
  replaceApprover,
  resolveStage,
  type StageAssignment,
  soleFulfillerOf,
} from '../domain/routing';
import type { Ticket } from '../domain/ticket';
import { parseOrThrow } from '../domain/validation';
import { openStageIndex } from '../domain/workflow';
import { cancelRequest } from './cancel';
import { DirectoryEntryChangedError } from './errors';
import { wordsFor } from './explanations';
import type {
  Clock,
  DirectoryStore,
  Faults,
  LinkStore,
  Mailer,
  Secrets,
  StoredEntry,
  TaskStore,
  TicketStore,
  Workflow,
} from './ports';
import { type EarlyRevocationDeps, endGrantEarly } from './revocations';
import { updateTicket } from './ticket-updates';
import { emailLinks, taskId, tellRequester } from './workflow-steps';

export interface IdentityChangeDeps extends EarlyRevocationDeps {
  clock: Clock;
  /** Read fresh: a change acts on the directory as it now is, never on a process's cached copy. */
  directory: DirectoryStore;
  tickets: TicketStore;
  tasks: TaskStore;
  links: LinkStore;
  mailer: Mailer;
  secrets: Secrets;
  /** Resumes a wait a change closed, and stops the execution of a ticket it cancelled. */
  workflow: Pick<Workflow, 'signal' | 'stop'>;
  faults: Faults;
  /** Where the links emailed to the people a stage moves to point. */
  settings: { publicBaseUrl: string };
  log: (message: string, details: Record<string, unknown>) => void;
}

/** A new or changed entry, and who reports it: an admin's id, or the tool that imports it. */
export type DirectoryUpdate = { actor: string; identity: IdentityEntry } | { actor: string; system: System };

export interface MovedStage {
  ticket: string;
  stage: string;
  from: string[];
  to: string[];
}

export interface IdentityChangeResult {
  /** The entry as stored now. */
  entry: Identity | System;
  created: boolean;
  /** What changed; empty for a new entry, or one given as it was. */
  changes: DirectoryChange[];
  stagesMoved: MovedStage[];
  /** Tickets closed because the change left nobody who may decide their open stage. */
  ticketsClosed: string[];
  /** The open tickets of a departed beneficiary, cancelled (one that could not be is logged, not listed). */
  ticketsCancelled: string[];
  /** Service accounts whose owner departed, now refused at intake until they have a new owner. */
  serviceAccountsFlagged: string[];
  /** The grants of a departed holder whose revocation this change started (endReason `departed`). */
  grantsRevoked: string[];
}

/** Attempts at writing one entry when others keep changing it in between. */
const WRITE_ATTEMPTS = 8;

/**
 * Primary course (PUT /directory/{id}): an admin replaces or adds a directory entry, and the
 * change takes effect on every open ticket it touches.
 */
export function putDirectoryEntry(
  deps: IdentityChangeDeps,
  input: { caller: Identity; id: string; body: unknown },
): Promise<IdentityChangeResult> {
  assertAdmin(input.caller, 'change the directory');
  // The entry as GET /directory/{id} answers it is accepted back; what Tollgate records is its own.
  const { ownerDeparted, ...identity } = parseOrThrow(storedIdentitySchema, input.body, 'directory entry');
  assertSameId(identity.id, input.id);
  return applyIdentityChange(deps, { actor: input.caller.id, identity });
}

/** Primary course (PUT /catalog/systems/{id}): an admin replaces or adds a system of the catalog. */
export function putCatalogSystem(
  deps: IdentityChangeDeps,
  input: { caller: Identity; id: string; body: unknown },
): Promise<IdentityChangeResult> {
  assertAdmin(input.caller, 'change the catalog');
  const system = parseOrThrow(systemSchema, input.body, 'system');
  assertSameId(system.id, input.id);
  return applyIdentityChange(deps, { actor: input.caller.id, system });
}

function assertAdmin(caller: Identity, what: string): void {
  if (!caller.roles.includes('admin')) throw new ForbiddenError(`Only an admin may ${what}`);
}

function assertSameId(given: string, path: string): void {
  if (given !== path.toLowerCase()) {
    throw new ValidationError('The entry names another id than the path', {
      id: `must be the id in the path (${path})`,
    });
  }
}

/**
 * Primary course: write the entry on the revision it replaces, then apply what it means for open
 * tickets. A departed or suspended approver's open stages go to the others asked or, when none is
 * left, to whom routing falls back on; a departed person's service accounts are flagged and their
 * own open tickets listed (and cancelled, when `cancel` is given); a `manager` stage follows a
 * manager change, a `system_owner` stage a change of a system's owner. Each ticket change is one
 * conditional write that finds the ticket as it is, so a change reported twice (or by two sources
 * at once) moves each stage and emails each person once. What a departure or a suspension means is
 * applied again each time the entry is reported, changed or not: reporting it again completes
 * what a failure left undone.
 */
export async function applyIdentityChange(
  deps: IdentityChangeDeps,
  update: DirectoryUpdate,
): Promise<IdentityChangeResult> {
  const written =
    'identity' in update
      ? await writeIdentity(deps, update.actor, update.identity)
      : await writeSystem(deps, update.actor, update.system);
  const result: IdentityChangeResult = {
    ...written,
    stagesMoved: [],
    ticketsClosed: [],
    ticketsCancelled: [],
    serviceAccountsFlagged: [],
    grantsRevoked: [],
  };
  const context = { actor: update.actor, result };
  if ('kind' in written.entry) await applyToPerson(deps, written.entry, context);
  for (const change of written.changes) {
    if ('system' in change) await followSystemOwner(deps, change, context);
    else if (change.change === 'manager_changed') await followManager(deps, change, context);
  }
  const { entry, ...effects } = result;
  if (result.changes.length + result.stagesMoved.length + result.ticketsCancelled.length > 0) {
    deps.log('Directory change applied', { actor: update.actor, entry: entry.id, ...effects });
  }
  return result;
}

/** Who reports the change, and what it has done so far. */
interface EffectContext {
  actor: string;
  result: IdentityChangeResult;
}

/**
 * A person who is not active can decide nothing: their open stages are handed over. A departed
 * one's service accounts are flagged and their own open tickets are to be cancelled.
 */
async function applyToPerson(deps: IdentityChangeDeps, person: Identity, context: EffectContext) {
  if (person.status === 'active') return;
  const change = context.result.changes.find(
    (candidate) => candidate.change === 'departed' || candidate.change === 'suspended',
  ) ?? { person: person.id, change: person.status, from: person.status, to: person.status };
  await handOverStages(deps, { ...change, person: person.id }, context);
  if (person.status !== 'departed') return;
  for (const ticketId of await openTicketsOf(deps, person.id)) {
    if (await cancelFor(deps, context.actor, ticketId, `${person.id} departed`)) {
      context.result.ticketsCancelled.push(ticketId);
    }
  }
  context.result.serviceAccountsFlagged.push(...(await flagServiceAccounts(deps, context.actor, person.id)));
  context.result.grantsRevoked.push(...(await revokeGrantsOf(deps, context.actor, person.id)));
}

/**
 * Every grant a departed person holds ends, `departed`; one being revoked already is left to that
 * revocation, and one that could not be started is logged (the change can be reported again).
 */
async function revokeGrantsOf(deps: IdentityChangeDeps, actor: string, holder: string): Promise<string[]> {
  const revoked: string[] = [];
  let after: string | undefined;
  do {
    const page = await deps.grants.list({ holder }, { after, limit: 100 });
    for (const grant of page.items.filter((candidate) => candidate.status === 'active')) {
      try {
        await endGrantEarly(deps, {
          ticketId: grant.ticket,
          by: actor,
          reason: 'departed',
          note: `${holder} departed`,
        });
        revoked.push(grant.id);
      } catch (error) {
        if (!(error instanceof ConflictError)) {
          deps.log('Could not revoke a departed holder’s grant', {
            grantId: grant.id,
            error: (error as Error).name,
          });
        }
      }
    }
    after = page.last ?? undefined;
  } while (after);
  return revoked;
}

type Written = Pick<IdentityChangeResult, 'entry' | 'created' | 'changes'>;

async function writeIdentity(
  deps: IdentityChangeDeps,
  actor: string,
  given: IdentityEntry,
): Promise<Written> {
  const store = identitiesOf(deps.directory);
  const { before, after } = await updateEntry(deps, { store, actor, id: given.id }, async (stored) => {
    await assertIdentityReferences(deps.directory, given, stored);
    return entryToStore(stored, given);
  });
  return { entry: after ?? given, created: !before, changes: identityChanges(before, after ?? given) };
}

async function writeSystem(deps: IdentityChangeDeps, actor: string, given: System): Promise<Written> {
  const store = systemsOf(deps.directory);
  const { before, after } = await updateEntry(deps, { store, actor, id: given.id }, async () => {
    await assertSystemReferences(deps.directory, given);
    return given;
  });
  return { entry: after ?? given, created: !before, changes: systemChanges(before, after ?? given) };
}

interface EntryStore<T> {
  /** How the admin log names a write of this kind of entry. */
  written: AdminEventType;
  read(id: string): Promise<StoredEntry<T> | undefined>;
  put(entry: T, revision: number | null, history: AdminEvent[]): Promise<void>;
}

const identitiesOf = (directory: DirectoryStore): EntryStore<Identity> => ({
  written: 'directory_entry_written',
  read: (id) => directory.storedIdentity(id),
  put: (entry, revision, history) => directory.putIdentity(entry, revision, history),
});

const systemsOf = (directory: DirectoryStore): EntryStore<System> => ({
  written: 'catalog_system_written',
  read: (id) => directory.storedSystem(id),
  put: (entry, revision, history) => directory.putSystem(entry, revision, history),
});

/**
 * Read, change, and write back on the revision read, with the admin event of the write in its
 * history; when someone else wrote the entry in between, read it again and re-apply the change,
 * so that the change acted on is always the one the write replaced. `change` answers the entry to
 * store, or undefined to leave it.
 */
async function updateEntry<T extends Identity | System>(
  deps: Pick<IdentityChangeDeps, 'clock'>,
  target: { store: EntryStore<T>; actor: string; id: string },
  change: (stored: T | undefined) => Promise<T | undefined> | T | undefined,
): Promise<{ before: T | undefined; after: T | undefined }> {
  const { store, actor, id } = target;
  for (let attempt = 1; ; attempt++) {
    const stored = await store.read(id);
    const next = await change(stored?.entry);
    if (!next || sameEntry(stored?.entry, next)) return { before: stored?.entry, after: stored?.entry };
    const history = recordAdminAction(stored?.history ?? [], {
      type: store.written,
      at: deps.clock.now().toISOString(),
      actor,
      data: { id, created: !stored, content: contentHash(next) },
    });
    try {
      await store.put(next, stored?.revision ?? null, history);
      return { before: stored?.entry, after: next };
    } catch (error) {
      if (!(error instanceof DirectoryEntryChangedError) || attempt >= WRITE_ATTEMPTS) throw error;
    }
  }
}

/** Every identity an entry names must exist, as when a whole directory file is loaded. */
async function assertIdentityReferences(
  directory: DirectoryStore,
  given: IdentityEntry,
  stored: Identity | undefined,
): Promise<void> {
  const fields: Record<string, string> = {};
  if (given.managerId === given.id) fields.managerId = 'cannot be the identity itself';
  else if (given.managerId && !(await directory.identity(given.managerId))) {
    fields.managerId = `names unknown identity ${given.managerId}`;
  }
  if (given.kind === 'service' && !given.ownerId) fields.ownerId = 'a service account needs an owner';
  else if (given.ownerId) {
    const owner = await directory.identity(given.ownerId);
    if (!owner) fields.ownerId = `names unknown identity ${given.ownerId}`;
    // A new owner is what makes a flagged account requestable again: one who has left cannot be it.
    else if (owner.status === 'departed' && stored && stored.ownerId !== given.ownerId) {
      fields.ownerId = `${owner.id} has departed: a service account needs an owner who has not`;
    }
  }
  if (Object.keys(fields).length > 0) {
    throw new ValidationError('The directory entry names identities that cannot be used', fields);
  }
}

async function assertSystemReferences(directory: DirectoryStore, given: System): Promise<void> {
  const named: [string, string][] = [
    ['ownerId', given.ownerId],
    ...(given.fulfilment.mode === 'manual'
      ? given.fulfilment.fulfillers.map((id, index): [string, string] => [
          `fulfilment.fulfillers.${index}`,
          id,
        ])
      : []),
  ];
  const fields: Record<string, string> = {};
  for (const [path, id] of named) {
    if (!(await directory.identity(id))) fields[path] = `names unknown identity ${id}`;
  }
  if (Object.keys(fields).length > 0) {
    throw new ValidationError('The system names identities that are not in the directory', fields);
  }
}

/**
 * The stages the person was asked to decide are found in their inbox (the links emailed to them),
 * each task naming its ticket and stage; a stage whose ticket moved on is left as it is.
 */
async function handOverStages(
  deps: IdentityChangeDeps,
  change: DirectoryChange & { person: string },
  context: EffectContext,
): Promise<void> {
  for (const task of await deps.tasks.forAssignee(change.person, 'approval')) {
    const index = task.stageIndex ?? 0;
    await moveOpenStage(deps, { ticketId: task.ticketId, index, change }, context, async (ticket) =>
      ticket.approvals[index]?.candidates.includes(change.person)
        ? replaceApprover(deps.directory, ticket, index, change.person, await soleFulfiller(deps, ticket))
        : 'keep',
    );
  }
}

/**
 * A `manager` stage starts at the manager of the person accountable for the beneficiary: the
 * person's own tickets, and those of the service accounts they own, are routed again.
 */
async function followManager(
  deps: IdentityChangeDeps,
  change: DirectoryChange & { person: string },
  context: EffectContext,
): Promise<void> {
  const person = await deps.directory.identity(change.person);
  // A departed person's tickets are to be cancelled, not routed again.
  if (!person || person.status === 'departed') return;
  const accounts = await deps.directory.serviceAccountsOwnedBy(person.id);
  for (const beneficiary of [person.id, ...accounts.map((account) => account.id)]) {
    const tickets = await deps.tickets.inFlightFor(beneficiary, 'pending_approval');
    await rerouteOpenStages(deps, tickets, 'manager', change, context);
  }
}

async function followSystemOwner(
  deps: IdentityChangeDeps,
  change: DirectoryChange & { system: string },
  context: EffectContext,
): Promise<void> {
  const tickets = await deps.tickets.awaitingApprovalOn(change.system);
  await rerouteOpenStages(deps, tickets, 'system_owner', change, context);
}

/**
 * The open stages of this kind are routed again as intake would route them now; when routing
 * leaves nobody, the people asked keep the stage (they are still there to decide it).
 */
async function rerouteOpenStages(
  deps: IdentityChangeDeps,
  tickets: Ticket[],
  stageName: 'manager' | 'system_owner',
  change: DirectoryChange,
  context: EffectContext,
): Promise<void> {
  for (const ticket of tickets) {
    const index = openStageIndex(ticket);
    if (index === null || ticket.approvals[index]?.stage !== stageName) continue;
    await moveOpenStage(
      deps,
      { ticketId: ticket.id, index, change },
      context,
      async (current) => (await rerouteStage(deps, current, index)) ?? 'keep',
    );
  }
}

async function rerouteStage(
  deps: IdentityChangeDeps,
  ticket: Ticket,
  index: number,
): Promise<StageAssignment | null> {
  const stage = ticket.approvals[index];
  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  if (!stage || !system || !isStageName(stage.stage)) return null;
  const excluded = [...decidersOf(ticket.approvals), ...(await soleFulfiller(deps, ticket))];
  return resolveStage(deps.directory, stage.stage, { ...ticket, system }, excluded);
}

/** As at intake: a system's sole fulfiller never alone approves a one-stage ticket. */
async function soleFulfiller(deps: IdentityChangeDeps, ticket: Ticket): Promise<string[]> {
  const system = ticket.system ? await deps.directory.system(ticket.system) : undefined;
  const fulfillers = system ? await availableFulfillers(deps.directory, system, ticket) : null;
  return soleFulfillerOf(fulfillers, ticket.approvals.length);
}

/**
 * Moves the ticket's open stage `index` to whom `reroute` answers (`keep`: as it is; null: nobody
 * left, and the ticket closes), in one conditional write that reads the ticket as it is: a stage
 * that was decided or moved meanwhile is left alone. Then what derives from it: the people newly
 * asked can see the ticket, are emailed links of their own and find the task in their inbox; the
 * task leaves the inboxes of those no longer asked, whose links now answer that the decision went
 * to someone else.
 */
async function moveOpenStage(
  deps: IdentityChangeDeps,
  target: { ticketId: string; index: number; change: DirectoryChange },
  context: EffectContext,
  reroute: (ticket: Ticket) => Promise<StageAssignment | null | 'keep'>,
): Promise<void> {
  const { ticketId, index, change } = target;
  const { result } = context;
  let moved: { from: string[]; to: string[] | null; lastSeq: number } | undefined;
  const ticket = await updateTicket(deps.tickets, ticketId, async (current) => {
    moved = undefined;
    const stage = current.approvals[index];
    if (openStageIndex(current) !== index || !stage?.deadline) return current;
    const assignment = await reroute(current);
    if (assignment === 'keep' || (assignment && asksTheSame(current, index, assignment))) return current;
    const at = deps.clock.now().toISOString();
    moved = {
      from: stage.candidates,
      to: assignment?.candidates ?? null,
      lastSeq: current.timeline.at(-1)?.seq ?? 0,
    };
    return assignment
      ? moveStage(current, index, assignment, change, at, context.actor)
      : closeForNobodyLeft(current, index, change, at);
  });
  if (!moved) return;
  const task = await deps.tasks.get(taskId(ticketId, 'approval', index));
  if (!moved.to) {
    result.ticketsClosed.push(ticketId);
    // The execution waits on this stage: resumed with nothing new, it reads the closed ticket and ends.
    if (task) {
      await deps.workflow.signal(task.token, {});
      await deps.tasks.retire(task);
    }
    await tellRequester(deps, ticket, moved.lastSeq);
    return;
  }
  const { from, to } = moved;
  result.stagesMoved.push({ ticket: ticketId, stage: ticket.approvals[index]?.stage ?? '', from, to });
  const added = to.filter((id) => !from.includes(id));
  await deps.tickets.addViewers(ticketId, added);
  // Not notified yet: the workflow's notify step asks the stage's people as they are now.
  if (!task) return;
  // Retiring a task takes it out of the inboxes of the assignees it names: here, those no longer asked.
  await deps.tasks.retire({ ...task, assignees: from.filter((id) => !to.includes(id)) });
  const handedOver = { ...task, assignees: to };
  await deps.tasks.put(handedOver);
  await emailLinks(deps, {
    ticket,
    words: await wordsFor(deps, ticket),
    task: handedOver,
    people: added,
    phase: 'asked',
    handedOver: `${describeChange(change)}, so this decision now comes to you.`,
  });
}

/** A departed beneficiary's tickets not yet resolved, oldest first. */
async function openTicketsOf(deps: IdentityChangeDeps, beneficiary: string): Promise<string[]> {
  return (await deps.tickets.inFlightFor(beneficiary)).map((ticket) => ticket.id).sort();
}

/** Each service account the departed person owns is flagged, once; answers those this call flagged. */
async function flagServiceAccounts(
  deps: IdentityChangeDeps,
  actor: string,
  owner: string,
): Promise<string[]> {
  const flagged: string[] = [];
  const store = identitiesOf(deps.directory);
  for (const account of await deps.directory.serviceAccountsOwnedBy(owner)) {
    const { before, after } = await updateEntry(deps, { store, actor, id: account.id }, (stored) =>
      stored?.kind === 'service' && stored.ownerId === owner ? withOwnerDeparted(stored) : undefined,
    );
    if (after && before !== after) flagged.push(account.id);
  }
  return flagged.sort();
}

/**
 * Cancelling is the cancel use case's, with the change as its reason; a ticket it could not cancel
 * (closed meanwhile, or a store failure) is logged and listed again at the next report.
 */
async function cancelFor(
  deps: IdentityChangeDeps,
  actor: string,
  ticketId: string,
  reason: string,
): Promise<boolean> {
  try {
    await cancelRequest(deps, { ticketId, actor, reason, cause: 'identity_change' });
    return true;
  } catch (error) {
    deps.log('Could not cancel a departed beneficiary’s ticket', { ticketId, error: (error as Error).name });
    return false;
  }
}
