import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { appendEvent, type TimelineEvent } from '../timeline';

/**
 * An admin action as its record's own hash chain keeps it: a directory entry, a catalog system or
 * the live policy set carries the events of its changes, appended in the same conditional write as
 * the change, so no change is stored without its event and the audit checkpoints anchor both.
 */
export type AdminEvent = TimelineEvent<never>;

export type AdminEventType = 'directory_entry_written' | 'catalog_system_written' | 'policies_changed';

/** SHA-256 of an entry's canonical JSON: the event names what was written, so an edit of it shows. */
export function contentHash(entry: unknown): string {
  const canonical = canonicalize(entry);
  if (canonical === undefined) throw new TypeError('Entry is not serialisable');
  return createHash('sha256').update(canonical).digest('hex');
}

/** The record's history with one more admin event. */
export function recordAdminAction(
  history: readonly AdminEvent[],
  action: { type: AdminEventType; at: string; actor: string; data: Record<string, unknown> },
): AdminEvent[] {
  return appendEvent<never>(history, { ...action, reason: null, from: null, to: null });
}
