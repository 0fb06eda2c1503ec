import { createHash } from 'node:crypto';

/**
 * A console session: who signed in (the ID token's claims, kept as the gateway hands claims over,
 * as strings), the refresh token the provider gave with it, and the anti-forgery token every form
 * of the session carries. The cookie holds only the session id; the store keeps its hash, so a copy
 * of the table holds no cookie that works.
 */
export interface Session {
  claims: Record<string, string>;
  refreshToken: string | null;
  /** Compared with the `csrf` field of every form posted in the session. */
  csrf: string;
  createdAt: string;
  expiresAt: string;
}

export interface SessionStore {
  put(idHash: string, session: Session): Promise<void>;
  get(idHash: string): Promise<Session | undefined>;
  delete(idHash: string): Promise<void>;
}

/** How long a console session lasts from sign-in, whatever the provider's tokens say: a working day. */
export const SESSION_HOURS = 8;

export const sessionIdHash = (id: string): string => createHash('sha256').update(id).digest('hex');

/** The session, or undefined when there is none by this id or it has run out (the store's TTL deletes late). */
export async function currentSession(
  store: SessionStore,
  id: string,
  now: Date,
): Promise<Session | undefined> {
  const session = await store.get(sessionIdHash(id));
  return session && session.expiresAt > now.toISOString() ? session : undefined;
}
