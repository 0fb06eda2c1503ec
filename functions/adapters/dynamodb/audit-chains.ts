import type { StoredChain } from '../../app/ports';
import { chainId } from '../../domain/audit/checkpoint';
import type { TimelineEvent } from '../../domain/timeline';

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
