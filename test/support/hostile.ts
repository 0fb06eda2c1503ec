import fc from 'fast-check';
import { expect } from 'vitest';
import { GATEWAY_MAX_REQUEST_LINE_AND_HEADER_BYTES as GATEWAY_LIMIT } from '../../functions/local/http-server';
import { deployedRoutes, type Route } from '../../functions/routes';
import type { ApiResponse } from './client';

/** Inputs that break naive code, and the checks every answer to them must pass. */

/** Text at the edges of Unicode and of JSON: each a string of its own. */
export const unicodeEdges = [
  '\ud800', // a high surrogate alone
  '\udfff', // a low surrogate alone
  '\udc00\ud800', // a pair in the wrong order
  '\u0000', // NUL
  '\u202e', // RIGHT-TO-LEFT OVERRIDE
  '\u200f', // RIGHT-TO-LEFT MARK
  '\u2028', // LINE SEPARATOR: valid JSON, a line break in JavaScript source
  '\u2029',
  '\ufeff', // BOM
  '\uffff',
  '😀',
  '👩🏽‍💻', // emoji with skin tone and zero-width joiner
  'e\u0301', // combining accent
  '<script>alert(1)</script>',
  '"},{"',
  '\\',
] as const;

export const loneSurrogates = ['\ud800', '\udbff', '\udc00', '\udfff'] as const;

/** Keys that are special on JavaScript objects. */
export const prototypeKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

/** Any string mixing Unicode edge cases with arbitrary code points. */
export const edgyString = (maxLength = 40) =>
  fc.string({
    unit: fc.oneof(
      fc.constantFrom(...unicodeEdges),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    maxLength,
  });

/** A string that is not well-formed Unicode: at least one lone surrogate somewhere in it. */
export const withLoneSurrogate = fc
  .tuple(edgyString(10), fc.constantFrom(...loneSurrogates), edgyString(10))
  .map(([before, lone, after]) => `${before}${lone}${after}`)
  // `edgyString` may put a surrogate of the other half right next to it and pair it up.
  .filter((text) => /\p{Cs}/u.test(text));

/** JSON text of arrays (or objects) nested `depth` levels deep. */
export const nestedJson = (depth: number, kind: 'array' | 'object') =>
  kind === 'array'
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** JSON values of every type, the key of every object being hostile too. */
export const hostileJson: fc.Arbitrary<unknown> = fc.jsonValue({
  maxDepth: 4,
  stringUnit: fc.oneof(
    fc.constantFrom(...unicodeEdges),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
});

export const jsonTypeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;

/** A JSON value whose type is none of `types`. */
export const jsonValueNotOf = (types: readonly string[]) =>
  fc
    .oneof(hostileJson, fc.constantFrom(0, -1, 1.5, 1e308, true, false, null, [], {}, [1], { a: 1 }, ''))
    .filter((value) => !types.includes(jsonTypeOf(value)));

/**
 * A path segment for an id: arbitrary text percent-encoded, or hand-made escapes that do not
 * decode (a truncated escape, an encoded lone surrogate, a bare %), or ids far longer than any key.
 * Never `.` or `..`, which a URL resolves away before it is sent.
 */
export const hostileSegment: fc.Arbitrary<string> = fc
  .oneof(
    edgyString(60)
      .filter((text) => text.length > 0 && !/\p{Cs}/u.test(text))
      .map(encodeURIComponent),
    fc.constantFrom('%E0%A4%A', '%ED%A0%80', '%ED%B0%80', '%', '%zz', '%00', '%C0%AF', '%FF%FE', '%2F..%2F'),
    fc.integer({ min: 2000, max: 6000 }).map((length) => 'A'.repeat(length)),
    fc.integer({ min: 200, max: 1000 }).map((length) => '%F0%9F%98%80'.repeat(length)),
    fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}(\.(approval\.\d|fulfilment))?$/),
  )
  .filter((segment) => !/^(\.|%2e){1,2}$/i.test(segment));

/** Printable ASCII: what a header value may carry through fetch. */
export const headerText = (maxLength = 60) =>
  fc.string({ unit: 'binary-ascii', maxLength }).map((text) => text.replace(/[^\x20-\x7e]/g, ''));

/** The route's path with every `{param}` replaced by `segment`. */
export const fillPath = (route: Route, segment: string) => route.path.replace(/\{\w+\}/g, segment);

export const pathParams = (route: Route) => [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name);

/** The deployed routes a client reaches with a bearer token: JSON in and out. */
export const jsonRoutes = () => deployedRoutes().filter((route) => route.auth === 'jwt');

/** The deployed routes integrations post signed webhooks to (hostile cases: webhooks-in.test.ts). */
export const webhookRoutes = () => deployedRoutes().filter((route) => route.auth === 'signature');

/** The deployed pages behind emailed links: HTML, the token in the path. */
export const linkRoutes = () => deployedRoutes().filter((route) => route.handler === 'http/link-page');

const STACK_TRACE = /\n\s+at\s|\bat\s+\S+\s+\(|node_modules|[\w-]+\.[cm]?[jt]s:\d+:\d+/;

/** No stack frame, source path or module path in a body: an unexpected failure names only its correlation id. */
export function expectNoStackTrace(text: string, echoed = ''): void {
  const withoutEcho = echoed ? text.split(echoed).join('') : text;
  expect(withoutEcho, 'a stack trace in the body').not.toMatch(STACK_TRACE);
}

/**
 * The contract's error envelope with `status`: `{"error": {"code", "message", "fields"?}}`, JSON,
 * never a stack trace, and, for a 400 naming `field`, `fields` saying what is wrong with it.
 */
export function expectErrorEnvelope(
  response: ApiResponse,
  status: number,
  context: string,
  options: { field?: string; echoed?: string } = {},
): void {
  expect(response.status, `${context} → ${response.status} ${response.text.slice(0, 500)}`).toBe(status);
  expect(response.headers.get('content-type'), context).toMatch(/^application\/json/);
  const body = response.body as { error?: Record<string, unknown> };
  expect(body, context).toEqual({ error: expect.any(Object) });
  const { code, message, fields, ...rest } = body.error ?? {};
  expect(typeof code, context).toBe('string');
  expect(typeof message, context).toBe('string');
  expect(rest, context).toEqual({});
  if (fields !== undefined) {
    expect(fields, context).toBeTypeOf('object');
    for (const value of Object.values(fields as object)) expect(typeof value, context).toBe('string');
  }
  if (options.field !== undefined) {
    expect(
      Object.hasOwn((fields ?? {}) as object, options.field),
      `${context}: fields name ${options.field}`,
    ).toBe(true);
  }
  expectNoStackTrace(response.text, options.echoed);
}

/** The gateway's own 401, as API Gateway's JWT authorizer answers it. */
export function expectGatewayUnauthorized(response: ApiResponse, context: string): void {
  expect(response.status, `${context} → ${response.text.slice(0, 300)}`).toBe(401);
  expect(response.body, context).toEqual({ message: 'Unauthorized' });
}

/** A link page: HTML with the security headers, and no stack trace. */
export function expectLinkPage(
  response: { status: number; headers: Headers; text: string },
  status: number,
  context: string,
): void {
  expect(response.status, `${context} → ${response.status} ${response.text.slice(-400)}`).toBe(status);
  expect(response.headers.get('content-type'), context).toMatch(/^text\/html/);
  expect(response.headers.get('content-security-policy'), context).toContain("frame-ancestors 'none'");
  expect(response.headers.get('referrer-policy'), context).toBe('no-referrer');
  expect(response.headers.get('x-frame-options'), context).toBe('DENY');
  expect(response.text, context).not.toMatch(/<script/i);
  expectNoStackTrace(response.text);
}

/**
 * Which side of the gateway's limit on request line and header values a request lands on. Besides
 * the request line, a client sends header values the gateway counts too: the bearer token and
 * fetch's own few headers, given room to spare here. A request within that room of the limit could
 * land on either side, so properties skip it (`fc.pre`) rather than guess; the exact boundary is
 * tested byte for byte in gateway-limits.test.ts.
 */
export function sideOfGatewayLimit(pathAndQuery: string, token?: string): 'below' | 'above' | null {
  const requestLine = `POST ${pathAndQuery} HTTP/1.1`.length;
  if (requestLine > GATEWAY_LIMIT) return 'above';
  return requestLine + (token?.length ?? 0) + 512 <= GATEWAY_LIMIT ? 'below' : null;
}

/** The gateway's own answer to a request line and headers over its limit. */
export function expectHeadersTooLarge(response: { status: number; text: string }, context: string): void {
  expect(response.status, `${context.slice(0, 300)} → ${response.text.slice(0, 200)}`).toBe(431);
  expect(JSON.parse(response.text)).toEqual({
    message: `HTTP header is larger than ${GATEWAY_LIMIT} bytes.`,
  });
}
