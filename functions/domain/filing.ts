import type { Identity } from './directory';
import { ForbiddenError } from './errors';

/** A caller may file for themselves, for a service account they own, or for a direct report. */
export function mayFileFor(caller: Identity, beneficiary: Identity): boolean {
  if (caller.id === beneficiary.id) return true;
  if (beneficiary.kind === 'service') return beneficiary.ownerId === caller.id;
  return beneficiary.managerId === caller.id;
}

export function assertMayFileFor(caller: Identity, beneficiary: Identity): void {
  if (!mayFileFor(caller, beneficiary)) {
    throw new ForbiddenError(
      `${caller.id} may not file for ${beneficiary.id}: only for themselves, a service account they own, or a direct report`,
    );
  }
}
