import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyFileAuditSigner, KmsAuditSigner } from '../../../functions/adapters/audit-signer';
import {
  checkpointBytes,
  localKeyId,
  nextCheckpoint,
  signatureHolds,
} from '../../../functions/domain/audit/checkpoint';
import { loadOrCreateAuditKey } from '../../../functions/local/audit-key';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const checkpoint = nextCheckpoint(
  undefined,
  [{ chain: 'ticket:T1', seq: 2, hash: 'a'.repeat(64) }],
  '2026-12-05T10:00:00.000Z',
  KEY_ARN,
);

describe('the audit signers', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('sign with the local key file so that its public key beside it verifies the checkpoint', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-audit-key-'));
    dirs.push(dataDir);
    const signer = new KeyFileAuditSigner(loadOrCreateAuditKey(dataDir));
    const publicPem = readFileSync(join(dataDir, 'audit-signing-key.pub.pem'), 'utf8');

    // Act
    const signature = await signer.sign(checkpointBytes(checkpoint));

    // Assess
    expect(
      signatureHolds({ checkpoint, signature: Buffer.from(signature).toString('base64') }, publicPem),
    ).toBe(true);
    expect(await signer.keyId()).toBe(localKeyId(publicPem));
  });

  it('keep the local key made on first start across later starts', () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-audit-key-'));
    dirs.push(dataDir);
    const first = readFileSync(loadOrCreateAuditKey(dataDir), 'utf8');

    // Act
    const again = readFileSync(loadOrCreateAuditKey(dataDir), 'utf8');

    // Assess
    expect(again).toBe(first);
  });

  it('ask KMS to sign the SHA-256 digest with ECDSA_SHA_256, and answer its DER signature', async () => {
    // Prepare
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const message = checkpointBytes(checkpoint);
    const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
    const kms = mockClient(KMSClient);
    kms.on(SignCommand).resolves({ Signature: der, KeyId: KEY_ARN, SigningAlgorithm: 'ECDSA_SHA_256' });
    const signer = new KmsAuditSigner(new KMSClient({}), KEY_ARN);

    // Act
    const signature = await signer.sign(message);

    // Assess
    expect(kms.commandCalls(SignCommand)[0]?.args[0].input).toEqual({
      KeyId: KEY_ARN,
      Message: createHash('sha256').update(message).digest(),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(
      signatureHolds({ checkpoint, signature: Buffer.from(signature).toString('base64') }, publicPem),
    ).toBe(true);
    expect(await signer.keyId()).toBe(KEY_ARN);
  });
});
