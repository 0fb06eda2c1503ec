import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface LocalSecrets {
  signingSecret: string;
  jwtPrivateKey: JWK;
}

/** Made on first start and kept in the data folder, so tokens, cursors and links survive restarts. */
export async function loadOrCreateSecrets(dataDir: string): Promise<LocalSecrets> {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as LocalSecrets;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const secrets: LocalSecrets = {
    signingSecret: randomBytes(32).toString('base64url'),
    jwtPrivateKey: { ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'tollgate-local-1' },
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
