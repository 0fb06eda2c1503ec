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
  prototypeKeys,
  sideOfGatewayLimit,
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

/** The host an Origin names, or null when it is not a URL. */
function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/**
 * What the contract says a post to a live approval link answers, checked in this order: a form
 * over 64 KiB 413, not a form 415, without the page's own csrf value or from another site 403,
 * an action the link is not for (a fulfilment result) 409, no action at all 400. A post that
 * would decide is never generated.
 */
function expectedStatus(post: Post, csrf: string, host: string): number | 'decides' {
  const body = new URLSearchParams(post.pairs).toString();
  if (Buffer.byteLength(body) > MAX_FORM_BYTES) return 413;
  if ((post.contentType ?? '').split(';')[0]?.trim().toLowerCase() !== FORM) return 415;
  const form = new URLSearchParams(body);
  const crossSite =
    (post.site ? post.site !== 'same-origin' && post.site !== 'none' : false) ||
    (post.origin ? post.origin !== 'null' && hostOf(post.origin) !== host : false);
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

  it('knows every deployed route as a JSON route or a link page, so each is fuzzed by one of the hostile tests', () => {
    // Prepare
    const routes = deployedRoutes();

    // Act
    const unknown = routes.filter((route) => route.auth !== 'jwt' && route.handler !== 'http/link-page');

    // Assess
    expect(
      linkRoutes()
        .map((route) => route.method)
        .sort(),
    ).toEqual(['GET', 'POST']);
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
    const host = new URL(tollgate.url).host;
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
      .filter((candidate) => expectedStatus(candidate, csrf, host) !== 'decides');

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
          expectLinkPage(response, expectedStatus(candidate, csrf, host) as number, context);
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
});
