import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetPublicKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { AuditPublicKey } from '../../app/ports';

/** A public key that cannot verify checkpoints: a missing or unreadable file, a key of another kind. */
export class PublicKeyError extends Error {
  override readonly name = 'PublicKeyError';
}

/** SPKI (DER or PEM) as PEM, refusing anything but an EC P-256 public key. */
function p256Pem(key: Parameters<typeof createPublicKey>[0], source: string): string {
  let parsed: ReturnType<typeof createPublicKey>;
  try {
    parsed = createPublicKey(key);
  } catch (error) {
    throw new PublicKeyError(`${source} is not a public key: ${(error as Error).message}`);
  }
  if (parsed.asymmetricKeyType !== 'ec' || parsed.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new PublicKeyError(`${source} is not an ECDSA P-256 public key`);
  }
  return parsed.export({ type: 'spki', format: 'pem' }).toString();
}

/** The KMS key's public half (GetPublicKey), read once: what an auditor's read-only role may fetch. */
export class KmsPublicKey implements AuditPublicKey {
  private cached: Promise<string> | undefined;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  pem(): Promise<string> {
    this.cached ??= this.kms.send(new GetPublicKeyCommand({ KeyId: this.keyId })).then(({ PublicKey }) => {
      if (!PublicKey) throw new PublicKeyError(`KMS key ${this.keyId} answered no public key`);
      return p256Pem({ key: Buffer.from(PublicKey), format: 'der', type: 'spki' }, `KMS key ${this.keyId}`);
    });
    return this.cached;
  }
}

/** A PEM public key file: the local signing key's public half, or one an auditor was handed. */
export class FilePublicKey implements AuditPublicKey {
  constructor(private readonly path: string) {}

  async pem(): Promise<string> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw new PublicKeyError(`Cannot read the public key ${this.path}: ${(error as Error).message}`);
    }
    return p256Pem(text, this.path);
  }
}
