import { createHash, createPublicKey, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import { GENESIS_HASH } from '../timeline';

/**
 * A hash chain the trail anchors, named `{kind}:{id}`: a ticket's timeline (`ticket:{ulid}`), a
 * grant's events (`grant:{id}`), or the admin log of policy changes and admin actions (`admin:log`).
 */
export type ChainKind = 'ticket' | 'grant' | 'admin';
export const chainId = (kind: ChainKind, id: string) => `${kind}:${id}`;
export function parseChainId(chain: string): { kind: ChainKind; id: string } {
  const [kind, ...rest] = chain.split(':');
  if (kind !== 'ticket' && kind !== 'grant' && kind !== 'admin') {
    throw new TypeError(`Not a chain id: ${chain}`);
  }
  return { kind, id: rest.join(':') };
}

/** The last event of a chain when the checkpoint was made: its seq and hash. */
export interface ChainHead {
  chain: string;
  seq: number;
  hash: string;
}

/**
 * What a checkpoint signs: the heads of every chain changed since the previous checkpoint, and
 * that checkpoint's hash, so checkpoints are themselves a chain and none can be dropped unseen.
 */
export interface Checkpoint {
  /** 1 for the first checkpoint, then one more each time. */
  seq: number;
  /** When it was made (ISO 8601 UTC); it covers changes up to this time. */
  at: string;
  /** The previous checkpoint's `at` (null for the first): changes from then on are covered. */
  since: string | null;
  /** checkpointHash of the previous checkpoint, GENESIS_HASH for the first. */
  previous: string;
  /** Which key signs it: the KMS key's ARN in AWS, `local:{sha256 of the public key}` locally. */
  keyId: string;
  /** Sorted by chain id. */
  heads: ChainHead[];
}

/** A checkpoint with its ECDSA P-256 / SHA-256 signature (DER, base64) over `checkpointBytes`. */
export interface SignedCheckpoint {
  checkpoint: Checkpoint;
  signature: string;
}

export { GENESIS_HASH };

/** The bytes that are signed and hashed: the checkpoint's RFC 8785 canonical JSON. */
export function checkpointBytes(checkpoint: Checkpoint): Buffer {
  const canonical = canonicalize(checkpoint);
  if (canonical === undefined) throw new TypeError('Checkpoint is not serialisable');
  return Buffer.from(canonical, 'utf8');
}

/** SHA-256 (hex) of the checkpoint's canonical JSON: what the next checkpoint names as `previous`. */
export function checkpointHash(checkpoint: Checkpoint): string {
  return createHash('sha256').update(checkpointBytes(checkpoint)).digest('hex');
}

/**
 * Whether the signature is the key's over the checkpoint. One path for both runtimes: KMS
 * (ECC_NIST_P256, ECDSA_SHA_256) and the local key file both produce DER-encoded ECDSA signatures
 * over SHA-256 of the same bytes.
 */
export function signatureHolds(signed: SignedCheckpoint, publicKeyPem: string): boolean {
  try {
    return verify(
      'sha256',
      checkpointBytes(signed.checkpoint),
      { key: publicKeyPem, dsaEncoding: 'der' },
      Buffer.from(signed.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The next checkpoint after `previous` (undefined: the first), over the heads changed since. */
export function nextCheckpoint(
  previous: Checkpoint | undefined,
  heads: readonly ChainHead[],
  at: string,
  keyId: string,
): Checkpoint {
  return {
    seq: (previous?.seq ?? 0) + 1,
    at,
    since: previous?.at ?? null,
    previous: previous ? checkpointHash(previous) : GENESIS_HASH,
    keyId,
    heads: [...heads].sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0)),
  };
}

/** A local key's id as checkpoints name it: `local:` and the SHA-256 (hex) of its public key's DER (SPKI). */
export function localKeyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return `local:${createHash('sha256').update(der).digest('hex')}`;
}
