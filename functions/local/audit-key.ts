import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local audit-signing key (ECDSA P-256), made on first start and kept in the data folder:
 * `audit-signing-key.pem` (private, PKCS#8) and beside it `audit-signing-key.pub.pem` (SPKI),
 * which is what `npm run audit:verify` checks local checkpoints with. Answers the private key's path.
 */
export function loadOrCreateAuditKey(dataDir: string): string {
  const { privateFile, publicFile } = auditKeyFiles(dataDir);
  if (!existsSync(privateFile)) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(publicFile, publicKey);
    writeFileSync(privateFile, privateKey, { mode: 0o600 });
  }
  return privateFile;
}

/** Where the local key pair is kept in the data folder. */
export const auditKeyFiles = (dataDir: string) => ({
  privateFile: join(dataDir, 'audit-signing-key.pem'),
  publicFile: join(dataDir, 'audit-signing-key.pub.pem'),
});
