import canonicalize from 'canonicalize';
import type { Identity, IdentityEntry, System } from './directory';
import type { StageAssignment } from './routing';
import { applyChange, type Ticket } from './ticket';
import { closeWithNobodyEligible } from './workflow';

/**
 * People move and leave: what a change to the directory or the catalog is, and what it does to a
 * ticket. Whatever reports the change (an admin, an import, later the HR webhook) goes through
 * these rules, so each effect is recorded the same way.
 */

/**
 * One fact that changed, as the timeline names it: a person who departed or was suspended, whose
 * manager changed, a service account whose owner changed, or a system whose owner changed.
 */
export type DirectoryChange =
  | {
      person: string;
      change: 'departed' | 'suspended' | 'manager_changed' | 'owner_changed';
      from: string | null;
      to: string | null;
    }
  | { system: string; change: 'owner_changed'; from: string; to: string };

/** What changed between the stored entry and the one given; a new entry changes nothing yet. */
export function identityChanges(before: Identity | undefined, after: IdentityEntry): DirectoryChange[] {
  if (!before) return [];
  const person = after.id;
  const changes: DirectoryChange[] = [];
  // A suspension of someone departed changes nothing: they could decide nothing already.
  const leaving =
    after.status === 'departed' || (after.status === 'suspended' && before.status === 'active')
      ? after.status
      : null;
  if (leaving && leaving !== before.status) {
    changes.push({ person, change: leaving, from: before.status, to: leaving });
  }
  if (after.managerId !== before.managerId) {
    changes.push({ person, change: 'manager_changed', from: before.managerId, to: after.managerId });
  }
  if (after.kind === 'service' && after.ownerId !== before.ownerId) {
    changes.push({ person, change: 'owner_changed', from: before.ownerId, to: after.ownerId });
  }
  return changes;
}

export function systemChanges(before: System | undefined, after: System): DirectoryChange[] {
  if (!before || before.ownerId === after.ownerId) return [];
  return [{ system: after.id, change: 'owner_changed', from: before.ownerId, to: after.ownerId }];
}

/**
 * The entry to store: as given, keeping the flag of a departed owner for as long as the owner
 * stays the same. Setting a new owner is what clears it.
 */
export function entryToStore(before: Identity | undefined, after: IdentityEntry): Identity {
  return before?.ownerDeparted && before.ownerId === after.ownerId
    ? { ...after, ownerDeparted: true }
    : after;
}

/** Whether writing `after` over `before` would store anything new. */
export const sameEntry = (before: Identity | System | undefined, after: Identity | System): boolean =>
  before !== undefined && canonicalize(before) === canonicalize(after);

/** A service account whose owner just departed: refused at intake until someone owns it again. */
export const withOwnerDeparted = (account: Identity): Identity => ({ ...account, ownerDeparted: true });

/** The words a timeline event and an email use for the change. */
export function describeChange(change: DirectoryChange): string {
  if ('system' in change) return `The owner of ${change.system} changed from ${change.from} to ${change.to}`;
  switch (change.change) {
    case 'departed':
      return `${change.person} departed`;
    case 'suspended':
      return `${change.person} was suspended`;
    case 'manager_changed':
      return `The manager of ${change.person} changed from ${change.from ?? 'nobody'} to ${change.to ?? 'nobody'}`;
    case 'owner_changed':
      return `The owner of ${change.person} changed from ${change.from ?? 'nobody'} to ${change.to ?? 'nobody'}`;
  }
}

/** Who or what changed, and how: what each event the change causes carries in its data. */
const changeData = (change: DirectoryChange) =>
  'system' in change
    ? { system: change.system, change: change.change }
    : { person: change.person, change: change.change };

/**
 * An open stage goes to other people because of the change: one event names the change, who was
 * asked and who is asked now. The stage keeps its deadlines, so its wait goes on where it was.
 */
export function moveStage(
  ticket: Ticket,
  index: number,
  assignment: StageAssignment,
  change: DirectoryChange,
  at: string,
  actor: string,
): Ticket {
  const stage = ticket.approvals[index];
  if (!stage) return ticket;
  // Those no longer asked are kept as the reassignment keeps them: their links answer 409.
  const movedAway = stage.candidates.filter((id) => !assignment.candidates.includes(id));
  const reassignedFrom = [...new Set([...(stage.reassignedFrom ?? []), ...movedAway])];
  const approvals = ticket.approvals.map((approval, i) =>
    i === index
      ? { ...approval, candidates: assignment.candidates, path: assignment.path, reassignedFrom }
      : approval,
  );
  return applyChange(
    ticket,
    {
      type: 'stage_moved',
      at,
      actor,
      reason: describeChange(change),
      data: {
        ...changeData(change),
        stage: stage.stage,
        index,
        from: stage.candidates,
        to: assignment.candidates,
        path: assignment.path,
      },
    },
    { approvals },
  );
}

/** The change left nobody who may decide the open stage: the ticket closes, naming the change. */
export function closeForNobodyLeft(
  ticket: Ticket,
  index: number,
  change: DirectoryChange,
  at: string,
): Ticket {
  const stage = ticket.approvals[index];
  return closeWithNobodyEligible(ticket, 'no_eligible_approver', at, {
    ...changeData(change),
    stage: stage?.stage,
    index,
    from: stage?.candidates ?? [],
  });
}

/** Whether an assignment asks exactly the people the stage asks already. */
export const asksTheSame = (ticket: Ticket, index: number, assignment: StageAssignment): boolean => {
  const current = ticket.approvals[index]?.candidates ?? [];
  return (
    current.length === assignment.candidates.length &&
    assignment.candidates.every((id) => current.includes(id))
  );
};

/**
 * A loaded file's entries against what is stored: new ones, ones that change something (each a
 * change to report), and ones given exactly as they are.
 */
export function compareWithStored<T extends IdentityEntry | System>(
  given: readonly T[],
  stored: ReadonlyMap<string, Identity | System>,
): { created: T[]; changed: T[]; unchanged: T[] } {
  const sorted = { created: [] as T[], changed: [] as T[], unchanged: [] as T[] };
  for (const entry of given) {
    const before = stored.get(entry.id);
    // An identity is stored with what Tollgate keeps about it, which no file gives.
    const after = before && 'kind' in before && 'kind' in entry ? entryToStore(before, entry) : entry;
    if (!before) sorted.created.push(entry);
    else if (sameEntry(before, after)) sorted.unchanged.push(entry);
    else sorted.changed.push(entry);
  }
  return sorted;
}
