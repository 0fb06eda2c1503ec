import type { StoredChain } from '../../app/ports';
import { type ChainHead, chainId, parseChainId } from '../../domain/audit/checkpoint';
import type { TimelineEvent } from '../../domain/timeline';
import { type Keys, keys } from './table';

export type { StoredChain };

/**
 * The attributes that carry chains: a ticket's timeline, a grant's events, an admin record's
 * history (a directory entry, a catalog system, the live policy set). What a reader projects,
 * besides the keys that name the chain.
 */
export const chainAttributes = ['timeline', 'events', 'history'] as const;

const events = (value: unknown): TimelineEvent<string>[] =>
  Array.isArray(value) ? (value as TimelineEvent<string>[]) : [];

/**
 * The chain a table item carries, named as checkpoints name it, or null for an item that carries
 * none (an entry seeded from files has no admin history until an admin or an import writes it).
 */
export function chainOf(item: Record<string, unknown>): StoredChain | null {
  const pk = String(item.pk);
  const [prefix = '', ...rest] = pk.split('#');
  const id = rest.join('#');
  switch (`${prefix}/${String(item.sk)}`) {
    case 'TICKET/TICKET':
      return { chain: chainId('ticket', id), events: events(item.timeline) };
    case 'GRANT/GRANT':
      return { chain: chainId('grant', id), events: events(item.events) };
    case 'IDENTITY/IDENTITY':
    case 'SYSTEM/SYSTEM':
    case 'POLICIES/LIVE': {
      const history = events(item.history);
      const record = prefix === 'POLICIES' ? 'policies' : `${prefix.toLowerCase()}/${id}`;
      return history.length > 0 ? { chain: chainId('admin', record), events: history } : null;
    }
    default:
      return null;
  }
}

/** Where a chain's record is in the table: the inverse of chainOf. */
export function chainKey(chain: string): Keys {
  const { kind, id } = parseChainId(chain);
  if (kind === 'ticket') return keys.ticketId(id);
  if (kind === 'grant') return keys.grantId(id);
  if (id === 'policies') return { pk: 'POLICIES', sk: 'LIVE' };
  const [record, ...rest] = id.split('/');
  const recordId = rest.join('/');
  return record === 'identity' ? keys.identityId(recordId) : keys.systemId(recordId);
}

/** The head of a chain: its last event's seq and hash, or null for a chain with no events. */
export function headOf(stored: StoredChain): ChainHead | null {
  const last = stored.events.at(-1);
  return last ? { chain: stored.chain, seq: last.seq, hash: last.hash } : null;
}
