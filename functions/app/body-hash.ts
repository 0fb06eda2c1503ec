import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The mark of a body that has no RFC 8785 canonical form: a number JSON cannot hold (1e400 parses
 * to Infinity) or nesting deeper than any request goes, which the recursive serializer would
 * answer with a stack overflow. Such a body is never a valid request, so it needs no hash of its
 * own: the mark still lets it meet the Idempotency-Key first (409 under a key used for a real
 * body), and validation then refuses it. It can never equal a hash, which is 64 hex digits.
 */
export const NOT_CANONICAL = 'not-canonical-json';

/** Deeper than any request body (an object holding the evidence array) can be. */
const MAX_DEPTH = 16;

/** SHA-256 of the body's canonical JSON, so the same body with its keys in another order matches. */
export function bodyHash(body: unknown): string {
  if (nestedDeeperThan(body, MAX_DEPTH)) return NOT_CANONICAL;
  let canonical: string | undefined;
  try {
    canonical = canonicalize(body);
  } catch {
    return NOT_CANONICAL;
  }
  return createHash('sha256')
    .update(canonical ?? '')
    .digest('hex');
}

/** Walks without recursion: the body may be nested tens of thousands of levels deep. */
function nestedDeeperThan(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const [value, depth] = entry;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
