import { randomBytes } from 'node:crypto';

/** What AWS task tokens look like to a client, and what this service hands out: 128 URL-safe characters. */
export const TASK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{128}$/;

const KEY_BYTES = 32;
const RANDOM_BYTES = 64;

/**
 * A token names its execution: its first 32 bytes are the execution's key (see executionKey), the
 * other 64 are random. So an answer finds its execution, running or archived, with no map of every
 * token ever handed out.
 */
export function mintTaskToken(executionKey: string): string {
  return Buffer.concat([Buffer.from(executionKey, 'hex'), randomBytes(RANDOM_BYTES)]).toString('base64url');
}

/** The execution key a token minted by mintTaskToken names (tokens minted before it name none that exists). */
export function executionKeyOfToken(token: string): string {
  return Buffer.from(token, 'base64url').subarray(0, KEY_BYTES).toString('hex');
}
