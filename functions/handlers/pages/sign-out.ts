import { sessionIdHash } from '../../app/sessions';
import { html } from './html';
import { consolePage } from './layout';
import { clearedCookie, pageRoute, SESSION_COOKIE } from './session';

/**
 * Ends the session here, then sends the browser to the provider's end-session page so the next
 * sign-in asks again. An ID token already issued stays valid until it expires: none leaves the
 * server, but the README says so. A meta refresh rather than a redirect: the CSP's form-action
 * allows only this site, and browsers apply it to a form's redirects too.
 */
export const handler = pageRoute({}, async ({ sessionId }, deps) => {
  await deps.sessions.delete(sessionIdHash(sessionId));
  const next = deps.openId
    ? await deps.openId.logoutUrl(`${deps.config.publicBaseUrl}/signed-out`)
    : `${deps.config.publicBaseUrl}/signed-out`;
  return {
    ...consolePage(200, {
      title: 'Signing out',
      headers: { refresh: `0;url=${next}` },
      body: html`<div class="card"><p>Your Tollgate session has ended. <a href="${next}">Continue to sign out of the sign-in page</a>.</p></div>`,
    }),
    cookies: [clearedCookie(SESSION_COOKIE)],
  };
});
