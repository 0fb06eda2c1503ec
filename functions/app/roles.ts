import type { Identity, Role } from '../domain/directory';
import { ForbiddenError } from '../domain/errors';

/** Who oversees policies (reads them, their decisions' inputs, and simulates candidates). */
export const OVERSIGHT: readonly Role[] = ['admin', 'auditor', 'security'];

/** Who audits the trail (exports it, reads its verification): not an admin, who changes what is audited. */
export const AUDITORS: readonly Role[] = ['auditor', 'security'];

/** Refuses a caller who holds none of `roles`, naming them and what was asked. */
export function assertAnyRole(caller: Identity, roles: readonly Role[], action: string): void {
  if (!caller.roles.some((role) => roles.includes(role))) {
    throw new ForbiddenError(`Only ${roles.join(', ')} may ${action}`);
  }
}
