import type { Identity } from '../domain/directory';
import { ForbiddenError, ValidationError } from '../domain/errors';
import { type GrantView, grantView } from '../domain/grants';
import type { CursorCodec, Directory, GrantFilter, GrantStore } from './ports';

export interface GrantDeps {
  directory: Directory;
  grants: GrantStore;
  cursors: CursorCodec;
}

export interface GrantQuery {
  identity?: string;
  system?: string;
  limit: number;
  cursor?: string;
}

/**
 * Primary course: who holds what, since when, until when, by which ticket, one page at a time,
 * newest first. Security and auditors read anyone's grants and any system's; a system's owner
 * reads the grants on that system; everyone reads their own and their service accounts'. Without
 * `identity`, the list is the caller's own, unless `system` names one the caller may read whole.
 * Alternate course: asking for someone else's grants one may not read is a 403, not an empty list.
 */
export async function listGrants(
  deps: GrantDeps,
  caller: Identity,
  query: GrantQuery,
): Promise<{ items: GrantView[]; next: string | null }> {
  const filter = await readableFilter(deps.directory, caller, query);
  const scope = { holder: filter.holder ?? null, system: filter.system ?? null };
  const after = query.cursor ? cursorPosition(deps.cursors.decode(query.cursor), scope) : undefined;
  const page = await deps.grants.list(filter, { after, limit: query.limit });
  return {
    items: page.items.map(grantView),
    next: page.last ? deps.cursors.encode({ list: 'grants', ...scope, after: page.last }) : null,
  };
}

async function readableFilter(
  directory: Directory,
  caller: Identity,
  query: GrantQuery,
): Promise<GrantFilter> {
  const oversight = caller.roles.includes('security') || caller.roles.includes('auditor');
  const system = query.system ? await directory.system(query.system) : undefined;
  // Everyone's grants: anywhere for oversight, on the system asked about for its owner.
  const anyHolder = oversight || (system !== undefined && system.ownerId === caller.id);
  if (query.identity === undefined) {
    return anyHolder && query.system ? { system: query.system } : { holder: caller.id, system: query.system };
  }
  if (!anyHolder && query.identity !== caller.id) {
    const holder = await directory.identity(query.identity);
    if (holder?.ownerId !== caller.id) {
      throw new ForbiddenError(
        "Only security, auditors and the system's owner see someone else's grants; ask for your own, or for a system you own",
      );
    }
  }
  return { holder: query.identity, system: query.system };
}

/** A cursor is only good for the query that produced it. */
function cursorPosition(
  payload: Record<string, unknown>,
  scope: { holder: string | null; system: string | null },
): string {
  if (
    payload.list !== 'grants' ||
    payload.holder !== scope.holder ||
    payload.system !== scope.system ||
    typeof payload.after !== 'string'
  ) {
    throw new ValidationError('The cursor does not belong to this query', {
      cursor: 'belongs to another query',
    });
  }
  return payload.after;
}
