import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedRoutes } from '../../functions/routes';
import { accessBody } from '../support/bodies';
import type { ApiClient } from '../support/client';
import {
  edgyString,
  expectHeadersTooLarge,
  expectLinkPage,
  fillPath,
  headerText,
  hostileSegment,
  linkRoutes,
  pathParams,
  prototypeKeys,
  sideOfGatewayLimit,
  webhookRoutes,
} from '../support/hostile';
import { listAll } from '../support/lists';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { people } from '../support/seed';
import { TollgateClient } from '../support/workflow-client';

const RUNS = 100;
const MAX_FORM_BYTES = 64 * 1024;
const FORM = 'application/x-www-form-urlencoded';

interface Post {
  pairs: [string, string][];
  contentType: string | null;
  origin?: string;
  site?: string;
}

/** The origin an Origin header names, or null when it is not a URL. */
function originOf(origin: string): string | null {
  try {
    return new URL(origin).origin;
  } catch {
    return null;
  }
}

/** A POST through node:http, which (unlike fetch) sends the Host header it is given, as a proxy would. */
function postThroughProxy(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * What the contract says a post to a live approval link answers, checked in this order: a form
 * over 64 KiB 413, not a form 415, without the page's own csrf value or from another site 403,
 * an action the link is not for (a fulfilment result) 409, no action at all 400. A post that
 * would decide is never generated.
 */
function expectedStatus(post: Post, csrf: string, publicOrigin: string): number | 'decides' {
  const body = new URLSearchParams(post.pairs).toString();
  if (Buffer.byteLength(body) > MAX_FORM_BYTES) return 413;
  if ((post.contentType ?? '').split(';')[0]?.trim().toLowerCase() !== FORM) return 415;
  const form = new URLSearchParams(body);
  const crossSite =
    (post.site ? post.site !== 'same-origin' && post.site !== 'none' : false) ||
    (post.origin ? post.origin !== 'null' && originOf(post.origin) !== publicOrigin : false);
  if (crossSite || form.get('csrf') !== csrf) return 403;
  const decision = form.get('decision');
  if (decision === 'approve' || decision === 'deny') return 'decides';
  const result = form.get('result');
  return result === 'done' || result === 'failed' ? 409 : 400;
}

describe('hostile requests to the pages behind emailed links', () => {
  let tollgate: TestRuntime;
  let client: TollgateClient;
  let auditor: ApiClient;
  let ticketId: string;
  let link: string;
  let csrf: string;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
    client = new TollgateClient(tollgate.url);
    auditor = await tollgate.as(people.aude);
    const created = await (await tollgate.as(people.alex)).post<{ id: string }>('/requests', accessBody());
    ticketId = created.body.id;
    link = await client.linkFor(people.erin, ticketId, 'Approval needed');
    csrf = (await client.openLink(link)).csrf ?? '';
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  /** Runs `work` and checks that no ticket appeared and the waiting ticket did not change. */
  async function changesNothing(work: () => Promise<void>) {
    const before = (await listAll(auditor)).ids;
    const ticket = (await auditor.get(`/requests/${ticketId}`)).body;
    await work();
    expect((await listAll(auditor)).ids).toEqual(before);
    expect((await auditor.get(`/requests/${ticketId}`)).body).toEqual(ticket);
  }

  const page = async (url: string, init?: RequestInit) => {
    const response = await fetch(url, init);
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  it("knows every deployed route as a JSON route, a link page, a signed webhook route or the console's, so each is fuzzed by one of the hostile tests (the console's by console-session.test.ts)", () => {
    // Prepare
    const routes = deployedRoutes();

    // Act: a public route that takes nothing (no path parameter, query or body) has nothing to fuzz
    const takesNothing = (route: (typeof routes)[number]) =>
      pathParams(route).length === 0 && route.query === undefined && route.body === undefined;
    const unknown = routes.filter(
      (route) =>
        route.auth !== 'jwt' &&
        route.auth !== 'signature' &&
        route.handler !== 'http/link-page' &&
        !route.handler.startsWith('pages/') &&
        !takesNothing(route),
    );

    // Assess
    expect(
      linkRoutes()
        .map((route) => route.method)
        .sort(),
    ).toEqual(['GET', 'POST']);
    expect(webhookRoutes().map((route) => `${route.method} ${route.path}`)).toEqual([
      'POST /webhooks/{integration}',
    ]);
    expect(unknown.map((route) => `${route.method} ${route.path}`)).toEqual([]);
  });

  describe.each(linkRoutes().map((route) => ({ route, name: `${route.method} ${route.path}` })))(
    '$name with a random token',
    ({ route }) => {
      it('is the not-found page, whatever the token and the form', async () => {
        await changesNothing(async () => {
          await fc.assert(
            fc.asyncProperty(
              hostileSegment,
              fc.array(fc.tuple(edgyString(10), edgyString(30)), { maxLength: 4 }),
              fc.constantFrom(FORM, 'application/json', 'text/plain'),
              async (segment, pairs, contentType) => {
                const side = sideOfGatewayLimit(fillPath(route, segment));
                fc.pre(side !== null);

                // Act
                const response = await page(`${tollgate.url}${fillPath(route, segment)}`, {
                  method: route.method,
                  ...(route.method === 'POST'
                    ? {
                        headers: { 'content-type': contentType },
                        body: new URLSearchParams([
                          ['csrf', csrf],
                          ...pairs,
                          ['decision', 'approve'],
                        ]).toString(),
                      }
                    : {}),
                });

                // Assess
                if (side === 'above') return expectHeadersTooLarge(response, `${route.method} /a/${segment}`);
                expectLinkPage(response, 404, `${route.method} /a/${segment.slice(0, 100)}`);
              },
            ),
            { numRuns: RUNS },
          );
        });
      });
    },
  );

  it('answers hostile forms posted to a live link with 413, 415, 403, 409 or 400 in that order, and never decides', async () => {
    // Prepare
    // The local runtime's PUBLIC_BASE_URL is its own URL.
    const publicOrigin = new URL(tollgate.url).origin;
    const value = fc.oneof(
      edgyString(30),
      fc.constantFrom('approve', 'deny', 'done', 'failed', 'APPROVE', ' approve', ''),
      fc.constant(csrf),
    );
    const key = fc.oneof(
      fc.constantFrom('csrf', 'decision', 'result', 'comment', 'note', ...prototypeKeys),
      edgyString(10),
    );
    const post: fc.Arbitrary<Post> = fc
      .record(
        {
          pairs: fc.tuple(
            fc.boolean(),
            fc.array(fc.tuple(key, value), { maxLength: 5 }),
            fc.option(fc.integer({ min: MAX_FORM_BYTES - 1500, max: MAX_FORM_BYTES + 1500 }), { freq: 4 }),
          ),
          contentType: fc.oneof(
            { arbitrary: fc.constant(FORM), weight: 4 },
            fc.constantFrom(
              `${FORM}; charset=utf-8`,
              FORM.toUpperCase(),
              'multipart/form-data; boundary=x',
              'application/json',
              'text/plain',
              null,
            ),
            headerText(),
          ),
          origin: fc.oneof(
            fc.constantFrom(
              tollgate.url,
              'null',
              'http://evil.example',
              'http://127.0.0.1',
              'garbage',
              'http://',
              '',
            ),
            headerText(),
          ),
          site: fc.oneof(
            fc.constantFrom('same-origin', 'none', 'cross-site', 'same-site', ''),
            headerText(20),
          ),
        },
        { requiredKeys: ['pairs', 'contentType'] },
      )
      .map(({ pairs: [withCsrf, pairs, padding], ...rest }) => ({
        ...rest,
        pairs: [
          ...(withCsrf ? ([['csrf', csrf]] as [string, string][]) : []),
          ...pairs,
          ...(padding ? ([['pad', 'x'.repeat(padding)]] as [string, string][]) : []),
        ],
      }))
      .filter((candidate) => expectedStatus(candidate, csrf, publicOrigin) !== 'decides');

    await changesNothing(async () => {
      await fc.assert(
        fc.asyncProperty(post, async (candidate) => {
          const headers: Record<string, string> = {
            ...(candidate.contentType === null ? {} : { 'content-type': candidate.contentType }),
            ...(candidate.origin === undefined ? {} : { origin: candidate.origin }),
            ...(candidate.site === undefined ? {} : { 'sec-fetch-site': candidate.site }),
          };
          const body = new URLSearchParams(candidate.pairs).toString();

          // Act: a body without a content type goes as bytes, which fetch does not label.
          const response = await page(link, {
            method: 'POST',
            headers,
            body: candidate.contentType === null ? Buffer.from(body) : body,
          });

          // Assess
          const context = `${JSON.stringify(headers)} ${body.slice(0, 200)}`;
          expectLinkPage(response, expectedStatus(candidate, csrf, publicOrigin) as number, context);
        }),
        {
          numRuns: RUNS,
          // Always tried: a fulfilment result on an approval link (409), a made-up decision (400), and
          // a proper decision from an Origin that is not a URL, or from another site (403).
          examples: [
            [
              {
                pairs: [
                  ['csrf', csrf],
                  ['result', 'done'],
                ],
                contentType: FORM,
                site: 'same-origin',
              },
            ],
            [
              {
                pairs: [
                  ['csrf', csrf],
                  ['decision', 'maybe'],
                ],
                contentType: FORM,
                origin: tollgate.url,
              },
            ],
            ...['garbage', 'http://', '::::', 'http://evil.example'].map((origin): [Post] => [
              {
                pairs: [
                  ['csrf', csrf],
                  ['decision', 'approve'],
                ],
                contentType: FORM,
                origin,
              },
            ]),
          ],
        },
      );
    });

    // Assess: the link was not spent by any of it.
    const decided = await client.submitLink(link, { decision: 'approve' });
    expect(decided.status).toBe(200);
  });
  describe('behind a proxy that rewrites Host, as CloudFront does', () => {
    const rewrittenHost = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';

    /** A fresh ticket's approval link and its page's csrf value, for a decision of its own. */
    async function freshLink() {
      const created = await (await tollgate.as(people.alex)).post<{ id: string }>('/requests', accessBody());
      const fresh = await client.linkFor(people.erin, created.body.id, 'Approval needed');
      return { ticketId: created.body.id, link: fresh, csrf: (await client.openLink(fresh)).csrf ?? '' };
    }

    const decision = async (ticketId: string) =>
      (await auditor.get<{ approvals: { decision: string | null }[] }>(`/requests/${ticketId}`)).body
        .approvals[0]?.decision;

    it("accepts a decision posted from PUBLIC_BASE_URL's origin whatever Host reaches the server", async () => {
      // Prepare
      const { ticketId, link: fresh, csrf: token } = await freshLink();

      // Act
      const response = await postThroughProxy(
        fresh,
        {
          host: rewrittenHost,
          origin: tollgate.url,
          'sec-fetch-site': 'same-origin',
          'content-type': FORM,
        },
        new URLSearchParams({ csrf: token, decision: 'approve' }).toString(),
      );

      // Assess
      expect(response.status, response.text.slice(-400)).toBe(200);
      expect(await decision(ticketId)).toBe('approve');
    });

    it('refuses a decision posted from another site, even when the Host it sends names that site', async () => {
      // Prepare
      const { ticketId, link: fresh, csrf: token } = await freshLink();

      // Act
      const response = await postThroughProxy(
        fresh,
        { host: 'evil.example', origin: 'http://evil.example', 'content-type': FORM },
        new URLSearchParams({ csrf: token, decision: 'approve' }).toString(),
      );

      // Assess
      expect(response.status, response.text.slice(-400)).toBe(403);
      expect(await decision(ticketId)).toBeNull();
    });
  });
});
