import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type SignInAttempt, SignInFailed } from '../../adapters/openid-client';
import { SESSION_HOURS, sessionIdHash } from '../../app/sessions';
import { getDeps } from '../deps';
import { HttpError } from '../http/http-errors';
import type { HttpEvent, HttpResult } from '../http/route';
import { withConsole } from './console-deps';
import { html } from './html';
import { consolePage } from './layout';
import { clearedCookie, cookie, errorPage, newSessionId, readCookie, SESSION_COOKIE } from './session';

/** The sign-in under way: what the callback checks the provider's answer against. Ten minutes to sign in. */
const ATTEMPT_COOKIE = '__Host-tollgate-signin';
const ATTEMPT_SECONDS = 600;

interface Attempt extends SignInAttempt {
  returnTo: string;
}

/**
 * GET /signin starts the authorization-code flow with PKCE at the OpenID provider; GET /auth/callback
 * finishes it, opening a session whose id only the cookie holds; GET /signed-out is where the
 * provider sends the browser back after sign-out. The same code path runs against Cognito in AWS
 * and against the local provider under `npm start`.
 */
export const handler = middy<HttpEvent, HttpResult, Error, Context>().handler(async (event) => {
  try {
    const deps = withConsole(getDeps());
    const { openId } = deps;
    if (!openId)
      throw new HttpError(404, 'not_found', 'Sign-in is not set up here (OIDC_ISSUER and OIDC_CLIENT_ID).');
    const redirectUri = `${deps.config.publicBaseUrl}/auth/callback`;
    const secret = deps.config.signingSecret;
    if (event.rawPath === '/signed-out') {
      return consolePage(200, {
        title: 'Signed out',
        body: html`<div class="card"><p>You are signed out of Tollgate and of the sign-in page.</p><p><a class="button" href="/signin">Sign in again</a></p></div>`,
      });
    }
    if (event.rawPath === '/signin') {
      const attempt: Attempt = {
        ...openId.newAttempt(),
        returnTo: localPath(event.queryStringParameters?.return),
      };
      return {
        statusCode: 302,
        headers: {
          location: await openId.authorizationUrl(attempt, redirectUri),
          'cache-control': 'no-store',
        },
        cookies: [cookie(ATTEMPT_COOKIE, seal(secret, attempt), ATTEMPT_SECONDS)],
      };
    }
    const query = event.queryStringParameters ?? {};
    const attempt = unseal(secret, readCookie(event, ATTEMPT_COOKIE));
    if (!attempt || !query.state || !same(query.state, attempt.state))
      throw new HttpError(
        400,
        'invalid_request',
        'This sign-in was not started here, or took too long: sign in again.',
      );
    if (!query.code)
      throw new HttpError(
        403,
        'forbidden',
        `The sign-in page answered: ${query.error_description ?? query.error ?? 'no code'}.`,
      );
    const { claims, refreshToken } = await openId.complete(attempt, query.code, redirectUri);
    const now = deps.clock.now();
    const sessionId = newSessionId();
    await deps.sessions.put(sessionIdHash(sessionId), {
      claims,
      refreshToken,
      csrf: randomBytes(32).toString('base64url'),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString(),
    });
    return {
      statusCode: 303,
      headers: { location: attempt.returnTo, 'cache-control': 'no-store' },
      cookies: [cookie(SESSION_COOKIE, sessionId, SESSION_HOURS * 3600), clearedCookie(ATTEMPT_COOKIE)],
    };
  } catch (error) {
    const shown =
      error instanceof SignInFailed
        ? new HttpError(403, 'forbidden', `${error.message}: sign in again.`)
        : error;
    return errorPage(shown, event.requestContext.requestId);
  }
});

/** Only a path on this site: `//evil.example` or a full URL would make the sign-in an open redirect. */
function localPath(wanted: string | undefined): string {
  return wanted && /^\/(?![/\\])/.test(wanted) ? wanted : '/';
}

const mac = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(`signin:${payload}`).digest('base64url');

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function seal(secret: string, attempt: Attempt): string {
  const payload = Buffer.from(
    JSON.stringify({ ...attempt, exp: Date.now() + ATTEMPT_SECONDS * 1000 }),
  ).toString('base64url');
  return `${payload}.${mac(secret, payload)}`;
}

function unseal(secret: string, value: string | undefined): Attempt | undefined {
  const [payload, signature] = (value ?? '').split('.');
  if (!payload || !signature || !same(signature, mac(secret, payload))) return undefined;
  const attempt = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Attempt & { exp: number };
  return attempt.exp > Date.now() ? attempt : undefined;
}
