import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local audit-signing key (ECDSA P-256), made on first start and kept in the data folder:
 * `audit-signing-key.pem` (private, PKCS#8) and beside it `audit-signing-key.pub.pem` (SPKI),
 * which is what `npm run audit:verify` checks local checkpoints with. Answers the private key's path.
 */
export function loadOrCreateAuditKey(dataDir: string): string {
  const privateFile = join(dataDir, 'audit-signing-key.pem');
  const publicFile = join(dataDir, 'audit-signing-key.pub.pem');
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
