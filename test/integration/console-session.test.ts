import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSessionStore } from '../../functions/adapters/dynamodb/session-store';
import { sessionIdHash } from '../../functions/app/sessions';
import { ECHARTS_FILE } from '../../functions/handlers/pages/assets';
import { SESSION_COOKIE } from '../../functions/handlers/pages/session';
import { LOCAL_TABLE_NAME } from '../../functions/local/dynamodb';
import { deployedRoutes } from '../../functions/routes';
import { ConsoleSession } from '../support/console-session';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { withLocalTable } from '../support/table';

// One runtime for the file: the handlers build their deps once per process.
let tollgate: TestRuntime;

beforeAll(async () => {
  tollgate = await startTestRuntime();
});

afterAll(async () => {
  await tollgate?.close();
});

describe('console sessions through the local server and the local OpenID provider', () => {
  const signedIn = (identity: string) => ConsoleSession.signedIn(tollgate.url, identity);

  it('sends a browser without a session cookie to sign-in, and back to the page it asked for', async () => {
    // Prepare
    const browser = new ConsoleSession(tollgate.url);

    // Act
    const response = await browser.request(`${tollgate.url}/console/requests`);

    // Assess
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/signin?return=%2Fconsole%2Frequests');
  });

  it('opens a session as the identity chosen at the provider, in a __Host- cookie that is Secure, HttpOnly and SameSite=Lax', async () => {
    // Prepare
    const browser = new ConsoleSession(tollgate.url);
    let setCookie = '';
    const request = browser.request.bind(browser);
    browser.request = async (url, init) => {
      const response = await request(url, init);
      if (url.includes('/auth/callback')) setCookie = response.headers.getSetCookie().join('\n');
      return response;
    };

    // Act
    await browser.signIn('alex.dev@example.com');
    const home = await (await browser.request(`${tollgate.url}/`)).text();

    // Assess
    expect(setCookie).toMatch(/__Host-tollgate-session=[\w-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax/);
    expect(home).toContain('Hello, Alex Developer');
  });

  it('refuses a forged session id as no session at all', async () => {
    // Prepare
    const browser = new ConsoleSession(tollgate.url);
    browser.setCookie(SESSION_COOKIE, 'A'.repeat(43));

    // Act
    const response = await browser.request(`${tollgate.url}/`);

    // Assess
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/signin/);
  });

  it('refuses a session past its end, though the store still holds it', async () => {
    // Prepare
    const browser = await signedIn('alex.dev@example.com');
    const id = browser.cookie(SESSION_COOKIE) ?? '';
    const endpoints = tollgate.runtime.endpoints;
    await withLocalTable(endpoints.dynamodb, async (db) => {
      const store = new DynamoSessionStore(db, LOCAL_TABLE_NAME);
      const session = await store.get(sessionIdHash(id));
      if (!session) throw new Error('no session stored');
      await store.put(sessionIdHash(id), {
        ...session,
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      });
    });

    // Act
    const response = await browser.request(`${tollgate.url}/`);

    // Assess
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/signin/);
  });

  it('stores only the hash of the session id, never the id the cookie holds', async () => {
    // Prepare
    const browser = await signedIn('bo.dev@example.com');
    const id = browser.cookie(SESSION_COOKIE) ?? '';

    // Act
    const [byId, byHash] = await withLocalTable(tollgate.runtime.endpoints.dynamodb, async (db) => {
      const store = new DynamoSessionStore(db, LOCAL_TABLE_NAME);
      return Promise.all([store.get(id), store.get(sessionIdHash(id))]);
    });

    // Assess
    expect(byId).toBeUndefined();
    expect(byHash?.claims.sub).toBe('bo.dev@example.com');
  });

  it('refuses a form posted without its anti-forgery token with 403, and files nothing', async () => {
    // Prepare
    const browser = await signedIn('alex.dev@example.com');
    const form = new URLSearchParams({
      type: 'support',
      category: 'software',
      urgency: 'normal',
      description: 'My editor crashes on start',
    });

    // Act
    const refused = await browser.request(`${tollgate.url}/console/requests/new`, {
      method: 'POST',
      body: form,
    });
    const list = await (await browser.request(`${tollgate.url}/console/requests`)).text();

    // Assess
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('out of date or came from another site');
    expect(list).toContain('You have filed no requests yet');
  });

  it("refuses another session's anti-forgery token with 403", async () => {
    // Prepare
    const alex = await signedIn('alex.dev@example.com');
    const bo = await signedIn('bo.dev@example.com');
    const form = new URLSearchParams({ csrf: await bo.csrf(), text: 'Hello' });

    // Act
    const response = await alex.request(`${tollgate.url}/signout`, { method: 'POST', body: form });

    // Assess
    expect(response.status).toBe(403);
  });

  it('files a request from a form with its token, answering with the page that shows it', async () => {
    // Prepare
    const browser = await signedIn('felix.analyst@example.com');
    const form = new URLSearchParams({
      csrf: await browser.csrf('/console/requests/new'),
      type: 'access',
      target: 'payroll/payroll-read',
      justification: 'Monthly close needs the payroll totals',
    });

    // Act
    const response = await browser.request(`${tollgate.url}/console/requests/new`, {
      method: 'POST',
      body: form,
    });

    // Assess
    expect(response.status).toBe(303);
    const location = response.headers.get('location') ?? '';
    expect(location).toMatch(/^\/console\/requests\/\w{26}\?notice=filed$/);
    const page = await (await browser.request(`${tollgate.url}${location}`)).text();
    expect(page).toContain('<div class="notice" role="status">Your request was filed.');
  });

  it('shows no notice for a notice name it does not know, such as a property every object has', async () => {
    // Prepare
    const browser = await signedIn('erin.lead@example.com');

    // Act
    const pages = await Promise.all(
      ['constructor', 'toString', '__proto__', 'nonsense'].map(async (notice) => {
        const response = await browser.request(`${tollgate.url}/console/approvals?notice=${notice}`);
        return { status: response.status, html: await response.text() };
      }),
    );

    // Assess
    for (const { status, html } of pages) {
      expect(status).toBe(200);
      expect(html).not.toContain('class="notice"');
    }
  });

  it("shows the request form again with the API's own message for each field it refuses", async () => {
    // Prepare
    const browser = await signedIn('felix.analyst@example.com');
    const form = new URLSearchParams({
      csrf: await browser.csrf('/console/requests/new'),
      type: 'access',
      target: 'payroll/payroll-read',
      justification: 'short',
      duration: 'a week',
    });

    // Act
    const response = await browser.request(`${tollgate.url}/console/requests/new`, {
      method: 'POST',
      body: form,
    });
    const html = await response.text();

    // Assess
    expect(response.status).toBe(400);
    expect(html).toContain('must explain the business need in at least 10 characters');
    expect(html).toContain('must be an ISO 8601 duration such as P30D, PT8H or P1M');
  });

  it('refuses a suspended person the console though the provider signed them in', async () => {
    // Prepare
    const browser = await signedIn('sue.suspended@example.com');

    // Act
    const response = await browser.request(`${tollgate.url}/`);

    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('account is suspended');
  });

  it('ends the session at sign-out, so its cookie opens nothing afterwards', async () => {
    // Prepare
    const browser = await signedIn('alex.dev@example.com');
    const id = browser.cookie(SESSION_COOKIE) ?? '';
    const csrf = await browser.csrf();

    // Act
    const signOut = await browser.request(`${tollgate.url}/signout`, {
      method: 'POST',
      body: new URLSearchParams({ csrf }),
    });
    browser.setCookie(SESSION_COOKIE, id);
    const after = await browser.request(`${tollgate.url}/`);

    // Assess
    expect(signOut.status).toBe(200);
    expect(signOut.headers.get('refresh')).toMatch(
      new RegExp(
        `^0;url=${tollgate.runtime.endpoints.openid}/session/end\\?client_id=tollgate-console&post_logout_redirect_uri=`,
      ),
    );
    expect(after.status).toBe(303);
  });

  it.each([
    ['/console/approvals', 'alex.dev@example.com'],
    ['/console/delegations', 'alex.dev@example.com'],
    ['/console/fulfilments', 'alex.dev@example.com'],
    ['/console/support', 'bo.dev@example.com'],
  ])('refuses %s to %s, who does not work there, with 403', async (path, identity) => {
    // Prepare
    const browser = await signedIn(identity);

    // Act
    const response = await browser.request(`${tollgate.url}${path}`);

    // Assess
    expect(response.status).toBe(403);
  });
});

describe('every console route, fuzzed without a session or with a forged one', () => {
  const consoleRoutes = deployedRoutes().filter((route) => route.handler.startsWith('pages/'));
  const fill = (path: string, segment: string) => path.replace(/\{\w+\}/g, encodeURIComponent(segment));

  it.each(
    consoleRoutes
      .filter((route) => route.auth === 'session')
      .map((route) => [`${route.method} ${route.path}`, route]),
  )('%s sends any browser without a valid session to sign-in, and changes nothing', async (_name, route) => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
        async (segment, forged) => {
          // Prepare
          const browser = new ConsoleSession(tollgate.url);
          if (forged !== undefined) browser.setCookie(SESSION_COOKIE, encodeURIComponent(forged));

          // Act
          const response = await browser.request(`${tollgate.url}${fill(route.path, segment)}`, {
            method: route.method,
            ...(route.method === 'POST'
              ? { body: new URLSearchParams({ csrf: forged ?? '', text: segment }) }
              : {}),
          });

          // Assess
          expect(response.status).toBe(303);
          expect(response.headers.get('location')).toMatch(/^\/signin\?return=/);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('answers a callback it did not start with 400, whatever its state and code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), async (state, code) => {
        // Act
        const response = await fetch(
          `${tollgate.url}/auth/callback?${new URLSearchParams({ state, code })}`,
          { redirect: 'manual' },
        );

        // Assess
        expect(response.status).toBe(400);
      }),
      { numRuns: 20 },
    );
  });

  it('comes back from sign-in only to a path on this site, never to another one', async () => {
    // Prepare
    const browser = new ConsoleSession(tollgate.url);

    // Act
    const responses = await Promise.all(
      ['//evil.example/', 'https://evil.example/', '/\\evil.example'].map(async (target) => {
        const start = await browser.request(`${tollgate.url}/signin?return=${encodeURIComponent(target)}`);
        const attempt = JSON.parse(
          Buffer.from(
            (browser.cookie('__Host-tollgate-signin') ?? '').split('.')[0] ?? '',
            'base64url',
          ).toString(),
        ) as { returnTo: string };
        return { status: start.status, returnTo: attempt.returnTo };
      }),
    );

    // Assess
    for (const { status, returnTo } of responses) {
      expect(status).toBe(302);
      expect(returnTo).toBe('/');
    }
  });

  it('serves only its own stylesheet and scripts as assets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), async (name) => {
        fc.pre(!['console.css', 'console.js', 'charts.js', ECHARTS_FILE].includes(name));

        // Act
        const response = await fetch(`${tollgate.url}/console/assets/${encodeURIComponent(name)}`);

        // Assess
        expect(response.status).toBe(404);
      }),
      // Besides random names, always every name an object inherits (a lookup in an object finds those).
      { numRuns: 20, examples: Object.getOwnPropertyNames(Object.prototype).map((name) => [name]) },
    );
  });
});
