import type { DirectoryView, Identity } from './directory';
import { ForbiddenError } from './errors';

/**
 * A caller may file for themselves, for a service account they own, or for a direct report. When a
 * service account's owner is departed or suspended, their manager may file for it instead: somebody
 * accountable must still be able to ask, and policy then decides what an orphaned account gets.
 */
export async function mayFileFor(
  caller: Identity,
  beneficiary: Identity,
  directory: Pick<DirectoryView, 'identity'>,
): Promise<boolean> {
  if (caller.id === beneficiary.id) return true;
  if (beneficiary.kind !== 'service') return beneficiary.managerId === caller.id;
  if (beneficiary.ownerId === caller.id) return true;
  const owner = beneficiary.ownerId ? await directory.identity(beneficiary.ownerId) : undefined;
  return owner !== undefined && owner.status !== 'active' && owner.managerId === caller.id;
}

export async function assertMayFileFor(
  caller: Identity,
  beneficiary: Identity,
  directory: Pick<DirectoryView, 'identity'>,
): Promise<void> {
  if (!(await mayFileFor(caller, beneficiary, directory))) {
    throw new ForbiddenError(
      `${caller.id} may not file for ${beneficiary.id}: only for themselves, a service account they own (or one whose departed or suspended owner reported to them), or a direct report`,
    );
  }
}
