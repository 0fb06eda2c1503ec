import { randomBytes, timingSafeEqual } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { currentSession, type Session } from '../../app/sessions';
import { workplacesOf } from '../../app/workplaces';
import { type Deps, getDeps, logger } from '../deps';
import { HttpError, toErrorResponse } from '../http/http-errors';
import { callerFromClaims, type HttpEvent, type HttpResult, MAX_BODY_BYTES } from '../http/route';
import { type ConsoleDeps, withConsole } from './console-deps';
import { html } from './html';
import { consolePage, type Viewer } from './layout';

/**
 * `__Host-`: the browser keeps it only if it is Secure, has Path=/ and names no Domain, so no other
 * host (or plain-HTTP page) can set or shadow it. Browsers count http://127.0.0.1 and localhost as
 * secure origins, so it works under `npm start` as in AWS.
 */
export const SESSION_COOKIE = '__Host-tollgate-session';

export const cookie = (name: string, value: string, maxAgeSeconds: number): string =>
  `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`;

export const clearedCookie = (name: string): string => cookie(name, '', 0);

export const newSessionId = (): string => randomBytes(32).toString('base64url');

export function readCookie(event: HttpEvent, name: string): string | undefined {
  const all = event.cookies ?? event.headers?.cookie?.split(/;\s*/) ?? [];
  for (const entry of all) {
    const at = entry.indexOf('=');
    if (at > 0 && entry.slice(0, at).trim() === name) return entry.slice(at + 1).trim();
  }
  return undefined;
}

export interface PageRequest extends Viewer {
  session: Session;
  sessionId: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** A POST's fields, its anti-forgery token checked; empty for a GET. */
  form: URLSearchParams;
  method: 'GET' | 'POST';
}

class SignInNeeded extends Error {}

/**
 * Wraps a console page as a handler of an `auth: session` route: the session read from its cookie
 * (none, unknown or ended: off to sign-in), the caller resolved from its claims exactly as the JSON
 * API resolves a token's, a POST's anti-forgery token checked against the session's, and every
 * error shown as a page. What the page does, it does through the same use cases as the API.
 */
export function pageRoute<D extends Deps = Deps>(
  options: { deps?: () => D },
  page: (request: PageRequest, deps: D & ConsoleDeps) => Promise<HttpResult>,
) {
  return middy<HttpEvent, HttpResult, Error, Context>().handler(async (event) => {
    const correlationId = event.requestContext.requestId;
    let viewer: Viewer | undefined;
    try {
      const deps = withConsole((options.deps ?? getDeps)() as D);
      const sessionId = readCookie(event, SESSION_COOKIE);
      const session = sessionId
        ? await currentSession(deps.sessions, sessionId, deps.clock.now())
        : undefined;
      if (!sessionId || !session) throw new SignInNeeded();
      const caller = await callerFromClaims(session.claims, deps);
      viewer = { caller, csrf: session.csrf, workplaces: await workplacesOf(deps, caller) };
      const method = event.requestContext.http.method === 'POST' ? 'POST' : 'GET';
      const form = method === 'POST' ? readForm(event, session) : new URLSearchParams();
      return await page(
        {
          ...viewer,
          session,
          sessionId,
          path: event.rawPath,
          params: (event.pathParameters ?? {}) as Record<string, string>,
          query: (event.queryStringParameters ?? {}) as Record<string, string>,
          form,
          method,
        },
        deps,
      );
    } catch (error) {
      if (error instanceof SignInNeeded) return toSignIn(event);
      return errorPage(error, correlationId, viewer);
    }
  });
}

/** Back to sign-in, and then to the page asked for (a GET), or to the home page (after a POST). */
function toSignIn(event: HttpEvent): HttpResult {
  const wanted = event.requestContext.http.method === 'GET' ? event.rawPath : '/';
  return {
    statusCode: 303,
    headers: { location: `/signin?return=${encodeURIComponent(wanted)}`, 'cache-control': 'no-store' },
    cookies: [clearedCookie(SESSION_COOKIE)],
  };
}

function readForm(event: HttpEvent, session: Session): URLSearchParams {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES)
    throw new HttpError(413, 'payload_too_large', 'The form is too large.');
  const type = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new HttpError(415, 'unsupported_media_type', 'Submit the form from its page.');
  const form = new URLSearchParams(raw);
  const sent = Buffer.from(form.get('csrf') ?? '');
  const expected = Buffer.from(session.csrf);
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    throw new HttpError(
      403,
      'forbidden',
      'This form is out of date or came from another site: go back, reload the page and try again.',
    );
  }
  return form;
}

const titles: Record<number, string> = {
  400: 'That did not work',
  401: 'Please sign in again',
  403: 'Not for you',
  404: 'Not found',
  409: 'That changed meanwhile',
  410: 'Gone',
  413: 'Too large',
  415: 'Not a form',
};

export function errorPage(error: unknown, correlationId: string, viewer?: Viewer): HttpResult {
  const { status, body } = toErrorResponse(error, correlationId);
  if (status >= 500) logger.error('Page failed', { correlationId, error: error as Error });
  return consolePage(status, {
    title: titles[status] ?? 'Something went wrong',
    viewer,
    body: html`<div class="problem" role="alert"><p>${body.error.message}</p></div><p><a href="/">Back to the start</a></p>`,
  });
}
