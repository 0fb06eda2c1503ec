import type { Identity, System } from '../domain/directory';
import { NotFoundError } from '../domain/errors';
import type { Directory } from './ports';

/** Primary course: what can be requested, without the fulfilment internals (webhook URLs stay private). */
export async function getCatalog(directory: Directory) {
  const systems = await directory.catalog();
  return { systems: systems.map(publicSystem) };
}

function publicSystem(system: System) {
  return {
    id: system.id,
    name: system.name,
    ownerId: system.ownerId,
    sensitivity: system.sensitivity,
    entitlements: system.entitlements.map(({ id, name, class: entitlementClass, maxDuration }) => ({
      id,
      name,
      class: entitlementClass,
      maxDuration,
    })),
  };
}

/** Primary course: a directory entry, so a requester can see who will be asked. */
export async function getDirectoryEntry(directory: Directory, id: string): Promise<Identity> {
  const identity = await directory.identity(id.toLowerCase());
  if (!identity) throw new NotFoundError(`No identity ${id}`);
  return identity;
}
