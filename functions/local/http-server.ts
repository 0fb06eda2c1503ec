import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { Route } from '../routes';
import type { LocalAuth } from './local-auth';

/**
 * API Gateway's HTTP API quotas, which no setting changes
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html):
 * "Payload size: 10 MB" (the handlers enforce the contract's 64 KiB themselves), and "Total combined
 * size of request line and header values: 10240 bytes". AWS documents no status for the second;
 * users of deployed APIs report 431 Request Header Fields Too Large with the text "HTTP header is
 * larger than 10240 bytes.", which is what the local gateway answers.
 */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const GATEWAY_MAX_REQUEST_LINE_AND_HEADER_BYTES = 10_240;

const HEADERS_TOO_LARGE: APIGatewayProxyStructuredResultV2 = {
  statusCode: 431,
  body: JSON.stringify({
    message: `HTTP header is larger than ${GATEWAY_MAX_REQUEST_LINE_AND_HEADER_BYTES} bytes.`,
  }),
};

/**
 * Node's own parser stops at 16 KiB by default, with a bare error of its own; it reads up to this
 * much so the gateway's limit above is the one that answers. Past it, `clientError` answers the
 * gateway's way all the same.
 */
const NODE_MAX_HEADER_BYTES = 64 * 1024;

export type HttpHandler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ServedRoute {
  route: Route;
  handler: HttpHandler;
}

interface CompiledRoute extends ServedRoute {
  pattern: RegExp;
  names: string[];
}

/**
 * A stand-in for API Gateway (HTTP API, payload format 2.0): matches the route table, verifies the
 * bearer token for `jwt` routes and answers a missing or bad one with the gateway's own 401, then
 * hands the very event Lambda would receive to the same handler.
 */
export async function startHttpServer(options: {
  /** Listening already (see openHttpPort), created with `gatewayServerOptions`. */
  server: Server;
  routes: ServedRoute[];
  auth: LocalAuth;
  log: (line: string) => void;
}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const compiled = options.routes.map(compile);
  const { server } = options;
  const { port } = server.address() as AddressInfo;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    serve(request, response, compiled, { auth: options.auth, port }).catch((error: unknown) => {
      options.log(`local gateway error: ${(error as Error).stack ?? error}`);
      if (!response.headersSent)
        send(response, { statusCode: 500, body: '{"message":"Internal Server Error"}' });
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerUnparsable(error, socket));
  server.keepAliveTimeout = 5_000;
  const url = `http://127.0.0.1:${port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** How the gateway's server is created: Node's header limit above API Gateway's, so the gateway answers it. */
export const gatewayServerOptions = { maxHeaderSize: NODE_MAX_HEADER_BYTES };

function compile(served: ServedRoute): CompiledRoute {
  const names: string[] = [];
  const source = served.route.path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{(\w+)\\?\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
  return { ...served, pattern: new RegExp(`^${source}$`), names };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  routes: CompiledRoute[],
  options: { auth: LocalAuth; port: number },
): Promise<void> {
  if (requestLineAndHeaderBytes(request) > GATEWAY_MAX_REQUEST_LINE_AND_HEADER_BYTES) {
    request.resume();
    return send(response, HEADERS_TOO_LARGE, request.method === 'HEAD');
  }
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method === 'HEAD' ? 'GET' : (request.method ?? 'GET');
  const candidates = routes.filter((route) => route.pattern.test(url.pathname));
  const match = candidates.find((route) => route.route.method === method);
  if (!match) {
    const status = candidates.length > 0 ? 405 : 404;
    return send(response, {
      statusCode: status,
      body: JSON.stringify({ message: status === 404 ? 'Not Found' : 'Method Not Allowed' }),
    });
  }
  if (match.route.localOnly && !isLoopbackHost(request.headers.host, options.port)) {
    request.resume();
    return send(response, FOREIGN_HOST);
  }
  const body = await readBody(request);
  if (body === null)
    return send(response, { statusCode: 413, body: '{"message":"Request Entity Too Large"}' });

  let claims: Record<string, string> | null = null;
  if (match.route.auth === 'jwt') {
    claims = await options.auth.verify(request.headers.authorization);
    if (!claims) return send(response, { statusCode: 401, body: '{"message":"Unauthorized"}' });
  }
  const values = match.pattern.exec(url.pathname)?.slice(1) ?? [];
  const pathParameters = Object.fromEntries(
    match.names.map((name, index) => [name, decodePathSegment(values[index] ?? '')]),
  );
  const event = toEvent(request, url, match.route, pathParameters, body, claims);
  const result = await match.handler(event, lambdaContext(event.requestContext.requestId));
  send(response, result, request.method === 'HEAD');
}

/**
 * The `/dev/*` routes mint tokens and show the outbox. Listening on loopback keeps other machines
 * out, but not a web page whose name the attacker re-points at 127.0.0.1 (DNS rebinding): the
 * browser then sends that name as the Host. Only a loopback name passes, with this server's port
 * or none (a browser sends none only for port 80, which it would not connect here for).
 */
const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLoopbackHost(host: string | undefined, port: number): boolean {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host?.trim().toLowerCase() ?? '');
  if (!match || !LOOPBACK_HOSTNAMES.has(match[1] ?? '')) return false;
  return match[2] === undefined || Number(match[2]) === port;
}

const FOREIGN_HOST: APIGatewayProxyStructuredResultV2 = {
  statusCode: 403,
  body: JSON.stringify({
    error: {
      code: 'forbidden_host',
      message:
        'The /dev/* routes answer only requests addressed to a loopback name (127.0.0.1, localhost or [::1]) with this port in the Host header',
    },
  }),
};

/** What API Gateway counts against its limit: `METHOD target HTTP/x.y` and every header's value, in bytes. */
export function requestLineAndHeaderBytes(request: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${request.method} ${request.url} HTTP/${request.httpVersion}`, 'latin1');
  for (let index = 1; index < request.rawHeaders.length; index += 2)
    bytes += Buffer.byteLength(request.rawHeaders[index] ?? '', 'latin1');
  return bytes;
}

/**
 * A request Node could not parse (headers past its own limit, a malformed request line) gets the
 * gateway's JSON answer and a closed connection, never Node's bare status line.
 */
function answerUnparsable(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) return void socket.destroy();
  const [status, reason, body] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', HEADERS_TOO_LARGE.body ?? '']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', '{"message":"Request Timeout"}']
        : [400, 'Bad Request', '{"message":"Bad Request"}'];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** A segment that is not valid percent-encoded UTF-8 reaches the handler as it came, which finds nothing by it. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= GATEWAY_MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > GATEWAY_MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

const TEXTUAL = /^(text\/|application\/(json|x-www-form-urlencoded|xml)|[^;]*\+json)/i;

function toEvent(
  request: IncomingMessage,
  url: URL,
  route: Route,
  pathParameters: Record<string, string>,
  body: Buffer,
  claims: Record<string, string> | null,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // Without a prototype, `__proto__` or `constructor` in a query string is a parameter like any other, as in API Gateway.
  const query: Record<string, string> = Object.create(null);
  for (const [name, value] of url.searchParams)
    query[name] = Object.hasOwn(query, name) ? `${query[name]},${value}` : value;
  const textual = TEXTUAL.test(headers['content-type'] ?? '');
  const now = Date.now();
  const requestId = randomUUID();
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: headers.cookie?.split(/;\s*/),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    body: body.length > 0 ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !textual,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims ?? {}, scopes: [] } },
    },
  };
}

function lambdaContext(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'tollgate-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:tollgate-local',
    memoryLimitInMB: '1024',
    logGroupName: 'local',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(response: ServerResponse, result: APIGatewayProxyStructuredResultV2, headOnly = false): void {
  const headers: Record<string, string | string[]> = {
    'content-type': 'application/json',
    ...Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)])),
  };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = String(body.length);
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(headOnly ? undefined : body);
}
