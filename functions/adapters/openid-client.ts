import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { z } from 'zod';

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  end_session_endpoint: z.url().optional(),
});

const tokenResponseSchema = z.object({
  id_token: z.string(),
  refresh_token: z.string().optional(),
});

/** What the browser carries from the sign-in's start to its callback (in a signed, short-lived cookie). */
export interface SignInAttempt {
  state: string;
  nonce: string;
  verifier: string;
}

export class SignInFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

const random = () => randomBytes(32).toString('base64url');

/**
 * The console as an OpenID Connect relying party: the authorization-code flow with PKCE (S256), for
 * a public client, with `jose` verifying the ID token against the provider's published keys. The
 * same code runs against Cognito in AWS and against the local provider under `npm start`.
 */
export class OpenIdClient {
  private discovery?: Promise<z.output<typeof discoverySchema>>;
  private keys?: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly settings: { issuer: string; clientId: string; logoutUrl?: string },
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  newAttempt(): SignInAttempt {
    return { state: random(), nonce: random(), verifier: random() };
  }

  async authorizationUrl(attempt: SignInAttempt, redirectUri: string): Promise<string> {
    const { authorization_endpoint } = await this.metadata();
    const url = new URL(authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.settings.clientId,
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      state: attempt.state,
      nonce: attempt.nonce,
      code_challenge: createHash('sha256').update(attempt.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return url.href;
  }

  /** Trades the code for tokens and returns the verified ID token's claims and the refresh token. */
  async complete(
    attempt: SignInAttempt,
    code: string,
    redirectUri: string,
  ): Promise<{ claims: Record<string, string>; refreshToken: string | null }> {
    const metadata = await this.metadata();
    const response = await this.fetcher(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: this.settings.clientId,
        code_verifier: attempt.verifier,
      }),
    });
    if (!response.ok) throw new SignInFailed(`The provider refused the code (HTTP ${response.status})`);
    const tokens = tokenResponseSchema.safeParse(await response.json());
    if (!tokens.success) throw new SignInFailed('The provider answered without an ID token');
    this.keys ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
    const { payload } = await jwtVerify(tokens.data.id_token, this.keys, {
      issuer: metadata.issuer,
      audience: this.settings.clientId,
    }).catch(() => {
      throw new SignInFailed('The ID token did not verify');
    });
    if (payload.nonce !== attempt.nonce) throw new SignInFailed('The ID token answers another sign-in');
    return { claims: asGatewayClaims(payload), refreshToken: tokens.data.refresh_token ?? null };
  }

  /** Where the browser goes to end its session at the provider, coming back to `returnTo`. */
  async logoutUrl(returnTo: string): Promise<string> {
    const { end_session_endpoint } = await this.metadata();
    // Cognito publishes no end_session_endpoint; its /logout takes these two parameters.
    const url = new URL(end_session_endpoint ?? this.settings.logoutUrl ?? returnTo);
    if (end_session_endpoint) {
      url.searchParams.set('client_id', this.settings.clientId);
      url.searchParams.set('post_logout_redirect_uri', returnTo);
    } else if (this.settings.logoutUrl) {
      url.searchParams.set('client_id', this.settings.clientId);
      url.searchParams.set('logout_uri', returnTo);
    }
    return url.href;
  }

  private metadata() {
    this.discovery ??= this.fetcher(
      `${this.settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
    )
      .then(async (response) => {
        if (!response.ok) throw new SignInFailed(`Provider discovery failed (HTTP ${response.status})`);
        return discoverySchema.parse(await response.json());
      })
      .catch((error: unknown) => {
        // A failed discovery is tried again at the next sign-in rather than remembered.
        this.discovery = undefined;
        throw error;
      });
    return this.discovery;
  }
}

/** Claims as API Gateway's JWT authorizer hands them to a function: every value a string. */
export function asGatewayClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : Array.isArray(value) ? `[${value.join(' ')}]` : String(value),
    ]),
  );
}
