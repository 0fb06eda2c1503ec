import { createHash, createPublicKey, createVerify, verify } from 'node:crypto';
import canonicalize from 'canonicalize';
import { GENESIS_HASH } from '../timeline';

/**
 * A hash chain the trail anchors, named `{kind}:{id}`: a ticket's timeline (`ticket:{ulid}`), a
 * grant's events (`grant:{id}`), or an admin record's history of the admin actions that wrote it
 * (`admin:identity/{id}`, `admin:system/{id}`, `admin:policies`: domain/audit/admin-events.ts).
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

/** A checkpoint but its heads. */
export type CheckpointFields = Omit<Checkpoint, 'heads'>;

/**
 * A stored checkpoint as it is read, a part at a time and in this order: its fields, its heads in
 * batches (in their order), then its signature. The first checkpoint names every chain there is, so
 * a verification reads checkpoints this way rather than whole.
 */
export type CheckpointPart =
  | { part: 'fields'; fields: CheckpointFields }
  | { part: 'heads'; heads: ChainHead[] }
  | { part: 'signature'; signature: string };

/** A whole checkpoint in parts, as a store that reads one whole hands it on. */
export function* partsOf(signed: SignedCheckpoint, batch = 1000): Generator<CheckpointPart> {
  const { heads, ...fields } = signed.checkpoint;
  yield { part: 'fields', fields };
  for (let start = 0; start < heads.length; start += batch) {
    yield { part: 'heads', heads: heads.slice(start, start + batch) };
  }
  yield { part: 'signature', signature: signed.signature };
}

export { GENESIS_HASH };

/** The bytes that are signed and hashed: the checkpoint's RFC 8785 canonical JSON. */
export function checkpointBytes(checkpoint: Checkpoint): Buffer {
  return Buffer.from(canonical(checkpoint), 'utf8');
}

/**
 * `checkpointBytes` written a batch of heads at a time into the checkpoint's hash and into the check
 * of its signature, so that neither needs the whole checkpoint in memory. RFC 8785 sorts keys, so
 * the bytes are the fields before `heads` (`at`), the heads in their order, then the fields after:
 * the canonical JSON of the fields with no heads, opened where its `[]` is.
 */
export class CheckpointDigest {
  private readonly hash = createHash('sha256');
  private readonly verifier = createVerify('sha256');
  private readonly after: string;
  private first = true;

  constructor(fields: CheckpointFields) {
    const empty = canonical({ ...fields, heads: [] });
    // A string value is escaped in JSON, so the key is the only place `"heads":[]` can be.
    const split = empty.indexOf('"heads":[]') + '"heads":['.length;
    this.update(empty.slice(0, split));
    this.after = empty.slice(split);
  }

  heads(batch: readonly ChainHead[]): void {
    if (batch.length === 0) return;
    this.update((this.first ? '' : ',') + batch.map(canonical).join(','));
    this.first = false;
  }

  /** The checkpoint's hash (`checkpointHash`), and whether `signature` is the key's over its bytes. */
  finish(signature: string, publicKeyPem: string): { hash: string; signatureHolds: boolean } {
    this.update(this.after);
    let holds: boolean;
    try {
      holds = this.verifier.verify(
        { key: publicKeyPem, dsaEncoding: 'der' },
        Buffer.from(signature, 'base64'),
      );
    } catch {
      holds = false;
    }
    return { hash: this.hash.digest('hex'), signatureHolds: holds };
  }

  private update(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.hash.update(bytes);
    this.verifier.update(bytes);
  }
}

function canonical(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('Checkpoint is not serialisable');
  return text;
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
