import { importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { asGatewayClaims } from '../adapters/openid-client';

export const LOCAL_ISSUER = 'tollgate-local';
export const LOCAL_AUDIENCE = 'tollgate';

/**
 * Stands in for API Gateway's JWT authorizer: the same checks (signature, issuer, audience,
 * expiry) before a handler runs, and claims handed over as strings as the gateway does.
 */
export async function createLocalAuth(privateJwk: JWK) {
  const { d, ...publicJwk } = privateJwk;
  const privateKey = await importJWK(privateJwk, 'ES256');
  const publicKey = await importJWK(publicJwk, 'ES256');

  return {
    async issue(identity: string, expiresIn: number | string): Promise<string> {
      return new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: privateJwk.kid })
        .setSubject(identity)
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(typeof expiresIn === 'number' ? `${expiresIn}s` : expiresIn)
        .sign(privateKey);
    },

    /** The claims of a valid bearer token, or null: the caller then answers 401 as the gateway would. */
    async verify(authorization: string | undefined): Promise<Record<string, string> | null> {
      const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
      if (!token) return null;
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          issuer: LOCAL_ISSUER,
          audience: LOCAL_AUDIENCE,
          algorithms: ['ES256'],
        });
        return asGatewayClaims(payload);
      } catch {
        return null;
      }
    },
  };
}

export type LocalAuth = Awaited<ReturnType<typeof createLocalAuth>>;
