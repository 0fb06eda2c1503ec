import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import Provider from 'oidc-provider';
import type { Identity } from '../domain/directory';
import { escapeText } from '../handlers/pages/html';

/** The console's client at the local provider, as Cognito's public app client is in AWS. */
export const LOCAL_CONSOLE_CLIENT_ID = 'tollgate-console';

/**
 * A local OpenID provider (`oidc-provider`) on its own port, standing in for Cognito's hosted UI:
 * the console runs the very authorization-code flow with PKCE against it that it runs in AWS. Its
 * login page lists the demo identities instead of asking for a password; choosing one signs in as
 * that person, and its ID token names them by `sub` (and `email`), the directory id the JSON API's
 * tokens name too. No consent screen: the console is the provider's only, first-party client.
 */
export function startLocalOpenIdProvider(options: {
  server: Server;
  issuer: string;
  consoleUrl: string;
  signingKey: JWK;
  cookieSecret: string;
  identities: () => Promise<Identity[]>;
}): void {
  const { server, issuer, consoleUrl } = options;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: LOCAL_CONSOLE_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: [`${consoleUrl}/auth/callback`],
        post_logout_redirect_uris: [`${consoleUrl}/signed-out`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...options.signingKey, use: 'sig' }] },
    cookies: { keys: [options.cookieSecret] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The ID token carries the scopes' claims, as Cognito's does, not only the userinfo endpoint.
    conformIdTokenClaims: false,
    findAccount: async (_context: unknown, id: string) => {
      const identity = (await options.identities()).find((candidate) => candidate.id === id);
      return identity
        ? {
            accountId: id,
            claims: async () => ({ sub: id, email: id, email_verified: true, name: identity.name }),
          }
        : undefined;
    },
    interactions: {
      url: (_context: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource },
    },
    loadExistingGrant,
    // As Cognito does for the code flow: a refresh token with every sign-in.
    issueRefreshToken: async (_context: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: 3600,
      IdToken: 3600,
      RefreshToken: 8 * 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
  });
  const callback = provider.callback();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    interact(consoleUrl, provider, options.identities, request, response, callback).catch(
      (error: unknown) => {
        if (response.headersSent) return;
        response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`Sign-in failed: ${(error as Error).message}. Start again from ${consoleUrl}/`);
      },
    );
  });
}

async function interact(
  consoleUrl: string,
  provider: Provider,
  identities: () => Promise<Identity[]>,
  request: IncomingMessage,
  response: ServerResponse,
  callback: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<void> {
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(new URL(request.url ?? '/', 'http://x').pathname);
  if (!match) return callback(request, response);
  const interaction = await provider.interactionDetails(request, response);
  if (match[2] && request.method === 'POST') {
    const form = new URLSearchParams(await readText(request));
    const accountId = form.get('identity') ?? '';
    if (!(await identities()).some((identity) => identity.id === accountId))
      throw new Error('no such identity');
    return provider.interactionFinished(
      request,
      response,
      { login: { accountId } },
      { mergeWithLastSubmission: false },
    );
  }
  response.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // Browsers hold a form's redirects to form-action too: the sign-in ends at the console's callback.
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${consoleUrl}; frame-ancestors 'none'`,
  });
  response.end(loginPage(interaction.uid, await identities()));
}

function loginPage(uid: string, identities: Identity[]): string {
  const people = identities
    .filter((identity) => identity.kind === 'human')
    .map((identity) => {
      const roles = identity.roles.length ? `, ${identity.roles.join(', ')}` : '';
      const status = identity.status === 'active' ? '' : ` (${identity.status})`;
      return `<li><button type="submit" name="identity" value="${escapeText(identity.id)}"><strong>${escapeText(identity.name)}</strong> <span>${escapeText(identity.id)} · ${escapeText(identity.title ?? '')}${escapeText(roles)}${escapeText(status)}</span></button></li>`;
    })
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Sign in · local OpenID provider</title>
<style>body{font-family:system-ui,Arial,sans-serif;background:#f0f4f8;margin:0;padding:1rem;color:#102a43}main{max-width:34rem;margin:auto;background:#fff;border-radius:8px;padding:1rem 1.2rem}ul{list-style:none;padding:0}li{margin:.4rem 0}button{width:100%;text-align:left;font:inherit;padding:.55rem .8rem;border:1px solid #9fb3c8;border-radius:6px;background:#fff;cursor:pointer}button span{display:block;color:#486581;font-size:.9rem;overflow-wrap:anywhere}p{color:#334e68}</style></head>
<body><main><h1>Sign in to Tollgate</h1><p>The local stand-in for the sign-in page (Cognito's hosted UI in AWS). Demo identities from seed/directory.json: choose who you are.</p>
<form method="post" action="/interaction/${escapeText(uid)}/login"><ul>${people}</ul></form></main></body></html>`;
}

async function logoutSource(context: { body: string }, form: string): Promise<void> {
  context.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Sign out · local OpenID provider</title></head>
<body><main><h1>Sign out of the local sign-in page?</h1>${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></main></body></html>`;
}

/** The console is first party: every sign-in is granted its scopes without a consent screen. */
async function loadExistingGrant(context: {
  oidc: {
    provider: Provider;
    client: { clientId: string };
    session: { accountId: string; grantIdFor(clientId: string, grantId?: string): string | undefined };
    result?: { consent?: { grantId?: string } };
  };
}) {
  const { oidc } = context;
  const existing = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
  if (existing) return oidc.provider.Grant.find(existing);
  const grant = new oidc.provider.Grant({
    clientId: oidc.client.clientId,
    accountId: oidc.session.accountId,
  });
  grant.addOIDCScope('openid email profile');
  const grantId = await grant.save();
  oidc.session.grantIdFor(oidc.client.clientId, grantId);
  return grant;
}

function readText(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 10_000) request.destroy(new Error('form too large'));
    });
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}
