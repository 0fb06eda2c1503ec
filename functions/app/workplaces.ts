import type { Identity } from '../domain/directory';
import { ForbiddenError } from '../domain/errors';
import type { Directory, TaskStore } from './ports';
import { AUDITORS, OVERSIGHT } from './roles';

/** The parts of the console a person works in; everyone who may sign in is a requester. */
export interface Workplaces {
  approver: boolean;
  fulfiller: boolean;
  support: boolean;
  /** The analytics dashboard: those who oversee policies. */
  dashboard: boolean;
  /** Search, records, verification and exports of the trail: auditors and security. */
  audit: boolean;
  /** The catalog, the directory, the policies and webhook deliveries: admins. */
  admin: boolean;
}

export type Workplace = keyof Workplaces;

/**
 * Primary course: whether the person decides approvals (security, a system owner, a manager, or
 * anyone with an approval waiting for them, as a delegate or after a reassignment), does fulfilment
 * (a named fulfiller, or anyone with a fulfilment or revocation task waiting), or answers a support
 * queue (a member). The use cases still decide each action; this only keeps a page from being
 * offered to, or opened by, someone it cannot serve.
 */
export async function workplacesOf(
  deps: {
    directory: Directory;
    directoryStore: { directReportsOf(managerId: string): Promise<Identity[]> };
    tasks: TaskStore;
  },
  caller: Identity,
): Promise<Workplaces> {
  const [catalog, queues] = await Promise.all([deps.directory.catalog(), deps.directory.supportQueues()]);
  const approverByStanding =
    caller.roles.includes('security') || catalog.some((system) => system.ownerId === caller.id);
  const fulfillerByStanding = catalog.some(
    (system) => system.fulfilment.mode === 'manual' && system.fulfilment.fulfillers.includes(caller.id),
  );
  const [approver, fulfiller] = await Promise.all([
    approverByStanding ||
      (await deps.tasks.forAssignee(caller.id, 'approval')).length > 0 ||
      (await deps.directoryStore.directReportsOf(caller.id)).length > 0,
    fulfillerByStanding ||
      (await deps.tasks.forAssignee(caller.id, 'fulfilment')).length > 0 ||
      (await deps.tasks.forAssignee(caller.id, 'revoke')).length > 0,
  ]);
  const holds = (roles: readonly string[]) => caller.roles.some((role) => roles.includes(role));
  return {
    approver,
    fulfiller,
    support: queues.some((queue) => queue.members.includes(caller.id)),
    dashboard: holds(OVERSIGHT),
    audit: holds(AUDITORS),
    admin: holds(['admin']),
  };
}

export function assertWorkplace(workplaces: Workplaces, needed: Workplace): void {
  const names: Record<Workplace, string> = {
    approver: 'approvers (managers, system owners, security, delegates)',
    fulfiller: 'the fulfillers of a system',
    support: 'the members of a support queue',
    dashboard: `people who oversee policies (${OVERSIGHT.join(', ')})`,
    audit: `auditors (${AUDITORS.join(', ')})`,
    admin: 'admins',
  };
  if (!workplaces[needed]) throw new ForbiddenError(`This page is for ${names[needed]}`);
}
