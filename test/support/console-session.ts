/**
 * A browser's part of the console's sign-in, done with fetch: redirects followed by hand, cookies
 * kept per origin, and the local OpenID provider's login page answered by choosing an identity.
 * Integration tests use it where a real browser would only be slower (the e2e tests use one).
 */
export class ConsoleSession {
  private readonly jars = new Map<string, Map<string, string>>();

  constructor(readonly url: string) {}

  /** A browser of its own, signed in as `identity`. */
  static async signedIn(url: string, identity: string): Promise<ConsoleSession> {
    const session = new ConsoleSession(url);
    await session.signIn(identity);
    return session;
  }

  /** A page of the console (`path` from the root), as its status, text and any redirect. */
  async page(path: string): Promise<{ status: number; text: string; location: string }> {
    const response = await this.request(`${this.url}${path}`);
    return {
      status: response.status,
      text: await response.text(),
      location: response.headers.get('location') ?? '',
    };
  }

  /** A form posted as the page at `formPath` posts it: its anti-forgery token and `fields`. */
  async submit(
    path: string,
    fields: Record<string, string>,
    formPath: string,
  ): Promise<{ status: number; text: string; location: string }> {
    const csrf = await this.csrf(formPath);
    const response = await this.request(`${this.url}${path}`, {
      method: 'POST',
      body: new URLSearchParams({ csrf, ...fields }),
    });
    return {
      status: response.status,
      text: await response.text(),
      location: response.headers.get('location') ?? '',
    };
  }

  /** Runs the authorization-code flow from GET /signin to the console's callback, as `identity`. */
  async signIn(identity: string): Promise<void> {
    let response = await this.request(`${this.url}/signin`);
    for (let hops = 0; hops < 12; hops++) {
      const location = response.headers.get('location');
      if (response.status === 200 && /\/interaction\//.test(response.url)) {
        const action = /action="([^"]+)"/.exec(await response.text())?.[1] ?? '';
        response = await this.request(new URL(action, response.url).href, {
          method: 'POST',
          body: new URLSearchParams({ identity }),
        });
        continue;
      }
      if (!location) break;
      const next = new URL(location, response.url).href;
      if (next.startsWith(this.url) && !next.includes('/auth/callback')) return;
      response = await this.request(next);
    }
    throw new Error(`The sign-in did not come back to the console (HTTP ${response.status})`);
  }

  cookie(name: string): string | undefined {
    return this.jars.get(new URL(this.url).origin)?.get(name);
  }

  setCookie(name: string, value: string): void {
    this.jarFor(this.url).set(name, value);
  }

  /** A console request with the session cookie, redirects not followed. */
  async request(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Response> {
    const jar = this.jarFor(url);
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: init.body,
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const gone = value === '' || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
    Object.defineProperty(response, 'url', { value: url });
    return response;
  }

  /** The anti-forgery token the page's forms carry. */
  async csrf(path = '/'): Promise<string> {
    const html = await (await this.request(`${this.url}${path}`)).text();
    const token = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`No form token on ${path}`);
    return token;
  }

  private jarFor(url: string): Map<string, string> {
    const origin = new URL(url).origin;
    let jar = this.jars.get(origin);
    if (!jar) {
      jar = new Map();
      this.jars.set(origin, jar);
    }
    return jar;
  }
}
