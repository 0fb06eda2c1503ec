import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { AuditSigner } from '../app/ports';
import { localKeyId } from '../domain/audit/checkpoint';

/**
 * Signs with the KMS key (ECC_NIST_P256, SIGN_VERIFY): the digest is made here and KMS signs it
 * (MessageType DIGEST), so a checkpoint of any size is one call. KMS answers a DER signature, as
 * the local signer does.
 */
export class KmsAuditSigner implements AuditSigner {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyArn: string,
  ) {}

  async keyId(): Promise<string> {
    return this.keyArn;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const { Signature } = await this.kms.send(
      new SignCommand({
        KeyId: this.keyArn,
        Message: createHash('sha256').update(message).digest(),
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (!Signature) throw new Error(`KMS answered no signature for ${this.keyArn}`);
    return Signature;
  }
}

/** Signs with the local ECDSA P-256 key file (PKCS#8 PEM) that `npm start` made under `.tollgate/`. */
export class KeyFileAuditSigner implements AuditSigner {
  private readonly privateKey: KeyObject;
  private readonly id: string;

  constructor(keyFile: string) {
    this.privateKey = createPrivateKey(readFileSync(keyFile, 'utf8'));
    this.id = localKeyId(createPublicKey(this.privateKey).export({ type: 'spki', format: 'pem' }).toString());
  }

  async keyId(): Promise<string> {
    return this.id;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return sign('sha256', message, { key: this.privateKey, dsaEncoding: 'der' });
  }
}
