import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { z } from 'zod';
import type { Identity } from '../../domain/directory';
import { ValidationError } from '../../domain/errors';
import { parseOrThrow } from '../../domain/validation';
import { type Deps, getDeps, logger } from '../deps';
import { HttpError, toErrorResponse } from './http-errors';

export const MAX_BODY_BYTES = 64 * 1024;

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface HttpRequest<Q> {
  caller: Identity;
  body: unknown;
  params: Record<string, string>;
  query: Q;
  headers: Record<string, string | undefined>;
  correlationId: string;
}

interface RouteOptions<Q extends z.ZodType, D extends Deps> {
  /** The deps the use case needs, when more than the common ones (policy-deps.ts: only some functions carry Cedar). */
  deps?: () => D;
  /** Parsed from the query string; failures are 400s naming the parameter. */
  query?: Q;
  /**
   * Whether the route reads a JSON body (413 past 64 KiB, 415 for another media type); `optional`:
   * a request without one (no bytes at all) reads as `{}`.
   */
  jsonBody?: boolean | 'optional';
  /** A larger body limit than the contract's 64 KiB, for the routes that take one (PUT /policies). */
  maxBodyBytes?: number;
}

/**
 * Wraps a use case as an API Gateway (HTTP API, payload 2.0) handler: the caller resolved from the
 * verified JWT claims and the directory, the body and query parsed, and every error mapped to the
 * contract's envelope. The same function runs in Lambda and behind the local server.
 */
export function httpRoute<Q extends z.ZodType = z.ZodType<Record<string, never>>, D extends Deps = Deps>(
  options: RouteOptions<Q, D>,
  useCase: (request: HttpRequest<z.output<Q>>, deps: D) => Promise<HttpResult>,
) {
  return middy<HttpEvent, HttpResult, Error, Context>().handler(async (event) => {
    const correlationId = event.requestContext.requestId;
    try {
      const deps = (options.deps ?? getDeps)() as D;
      const caller = await resolveCaller(event, deps);
      const request: HttpRequest<z.output<Q>> = {
        caller,
        body: readBody(event, options),
        params: (event.pathParameters ?? {}) as Record<string, string>,
        query: options.query
          ? parseOrThrow(options.query, event.queryStringParameters ?? {}, 'query')
          : ({} as z.output<Q>),
        headers: event.headers ?? {},
        correlationId,
      };
      return await useCase(request, deps);
    } catch (error) {
      const response = toErrorResponse(error, correlationId);
      if (response.status >= 500) logger.error('Request failed', { correlationId, error: error as Error });
      return json(response.status, response.body);
    }
  });
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** An answer without a body (a DELETE done). */
export function noContent(): HttpResult {
  return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
}

const resolveCaller = (event: HttpEvent, deps: Deps): Promise<Identity> =>
  callerFromClaims(event.requestContext.authorizer?.jwt?.claims ?? {}, deps);

/**
 * The directory identity that verified claims name: the gateway's, or a console session's (which
 * keeps the ID token's claims as the gateway hands them over), so both resolve a caller alike.
 */
export async function callerFromClaims(
  claims: Record<string, string | number | boolean | string[]>,
  deps: Pick<Deps, 'config' | 'directory'>,
): Promise<Identity> {
  const claim = claims[deps.config.callerClaim];
  // API Gateway hands claims over as strings: "true", not true.
  const verified = deps.config.callerClaim !== 'email' || String(claims.email_verified) === 'true';
  if (typeof claim !== 'string' || claim === '' || !verified) {
    throw new HttpError(401, 'unauthenticated', 'The token does not name a verified caller');
  }
  const caller = await deps.directory.identity(claim.toLowerCase());
  if (!caller) throw new HttpError(403, 'forbidden', 'The caller is not in the directory');
  if (caller.status !== 'active')
    throw new HttpError(403, 'forbidden', `The caller's account is ${caller.status}`);
  return caller;
}

function readBody(
  event: HttpEvent,
  options: { jsonBody?: boolean | 'optional'; maxBodyBytes?: number },
): unknown {
  if (!options.jsonBody) return undefined;
  if (options.jsonBody === 'optional' && !event.body) return {};
  return parseJsonBody(event, options.maxBodyBytes ?? MAX_BODY_BYTES);
}

/** The bytes of a JSON body, as text: 413 past `maxBytes`, 415 for another media type. */
export function jsonBodyText(
  event: Pick<HttpEvent, 'body' | 'isBase64Encoded' | 'headers'>,
  maxBytes: number,
): string {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) {
    const limit = maxBytes >= 1024 * 1024 ? `${maxBytes / 1024 / 1024} MiB` : `${maxBytes / 1024} KiB`;
    throw new HttpError(413, 'payload_too_large', `The body is over ${limit}`);
  }
  const contentType = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json');
  }
  return bytes.toString('utf8');
}

function parseJsonBody(event: HttpEvent, maxBytes: number): unknown {
  const text = jsonBodyText(event, maxBytes);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid JSON');
  }
  const broken = pathOfLoneSurrogate(body);
  if (broken !== null) {
    throw new ValidationError('The body is not valid Unicode text', {
      [broken || '(body)']: 'contains a lone surrogate: text must be valid Unicode',
    });
  }
  return body;
}

/** A surrogate code point on its own: JSON can escape one, UTF-8 (and so the store) cannot hold it. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The dot path of the first key or string holding a lone surrogate, or null. Walks without
 * recursion, so a body nested thousands of levels deep is checked like any other.
 */
function pathOfLoneSurrogate(root: unknown): string | null {
  type Entry = { value: unknown; key: string | null; parent: Entry | null };
  const pathOf = (entry: Entry): string => {
    const keys: string[] = [];
    for (let at: Entry | null = entry; at?.key != null; at = at.parent) keys.unshift(at.key);
    return keys.join('.');
  };
  const stack: Entry[] = [{ value: root, key: null, parent: null }];
  for (let entry = stack.pop(); entry; entry = stack.pop()) {
    const { value } = entry;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return pathOf(entry);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        const childEntry = { value: child, key, parent: entry };
        if (LONE_SURROGATE.test(key)) return pathOf(childEntry);
        stack.push(childEntry);
      }
    }
  }
  return null;
}
