import type { Directory } from '../app/ports';

/**
 * Directory and catalog reads kept for a few seconds per process (a warm Lambda, or the local
 * server): intake reads the same people and systems again and again, and they change rarely. A
 * change (an import, a suspension) is seen everywhere within `ttlMs`.
 */
export function cachedDirectory(
  directory: Directory,
  ttlMs: number,
  now: () => number = Date.now,
): Directory {
  if (ttlMs <= 0) return directory;
  const entries = new Map<string, { until: number; value: Promise<unknown> }>();
  const remember = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    const hit = entries.get(key);
    if (hit && hit.until > now()) return hit.value as Promise<T>;
    const value = read();
    entries.set(key, { until: now() + ttlMs, value });
    // A failed read is not kept: the next call tries again.
    value.catch(() => entries.delete(key));
    return value;
  };
  return {
    identity: (id) => remember(`identity:${id}`, () => directory.identity(id)),
    identitiesWithRole: (role) => remember(`role:${role}`, () => directory.identitiesWithRole(role)),
    system: (id) => remember(`system:${id}`, () => directory.system(id)),
    catalog: () => remember('catalog', () => directory.catalog()),
    supportQueues: () => remember('queues', () => directory.supportQueues()),
    serviceAccountsOwnedBy: (ownerId) =>
      remember(`owned:${ownerId}`, () => directory.serviceAccountsOwnedBy(ownerId)),
  };
}
