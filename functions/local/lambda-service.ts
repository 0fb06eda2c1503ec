import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A function the local endpoint can invoke, by the name the handlers' settings give it. */
export type LocalInvocable = (event: unknown) => Promise<unknown>;

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** `name`, `arn:aws:lambda:region:account:function:name` or either with a `:qualifier`: the name. */
function functionNameOf(given: string): string {
  const parts = decodeURIComponent(given).split(':');
  return parts[0] === 'arn' ? (parts[6] ?? '') : (parts[0] ?? '');
}

/**
 * A local endpoint speaking Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`),
 * so the adapter that invokes a function asynchronously in AWS (adapters/dispatch-trigger.ts) does
 * the same here unchanged. `Event` answers 202 at once and runs the function in the background, as
 * Lambda queues it; `RequestResponse` (the default) answers the function's result, or its error
 * with `X-Amz-Function-Error: Unhandled`; `DryRun` answers 204. Only the functions named in
 * `functions` exist; every other operation is unknown.
 */
export async function startLocalLambda(opts: {
  server: Server;
  functions: ReadonlyMap<string, LocalInvocable>;
  region: string;
  account: string;
  log: (line: string) => void;
}): Promise<{ url: string; close(): Promise<void> }> {
  const running = new Set<Promise<unknown>>();
  const answer = (
    response: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    response.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      'x-amzn-requestid': crypto.randomUUID(),
      ...headers,
    });
    response.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const refuse = (response: ServerResponse, status: number, type: string, message: string) =>
    answer(response, status, { Type: 'User', message }, { 'x-amzn-errortype': type });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = INVOKE_PATH.exec(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (request.method !== 'POST' || !path?.[1]) {
      return refuse(response, 404, 'UnknownOperationException', 'Only Invoke is served locally');
    }
    const name = functionNameOf(path[1]);
    const run = opts.functions.get(name);
    if (!run) {
      const arn = `arn:aws:lambda:${opts.region}:${opts.account}:function:${name}`;
      return refuse(response, 404, 'ResourceNotFoundException', `Function not found: ${arn}`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let event: unknown;
    try {
      event = text === '' ? {} : JSON.parse(text);
    } catch {
      return refuse(
        response,
        400,
        'InvalidRequestContentException',
        'Could not parse request body into json',
      );
    }
    const kind = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (kind === 'DryRun') return answer(response, 204);
    if (kind === 'Event') {
      const invocation = run(event).catch((error: Error) =>
        opts.log(`lambda: ${name} failed: ${error.stack ?? error.message}`),
      );
      running.add(invocation);
      void invocation.finally(() => running.delete(invocation));
      return answer(response, 202, undefined, { 'x-amz-executed-version': '$LATEST' });
    }
    try {
      const result = await run(event);
      return answer(response, 200, result ?? null, { 'x-amz-executed-version': '$LATEST' });
    } catch (error) {
      return answer(
        response,
        200,
        { errorType: (error as Error).name, errorMessage: (error as Error).message },
        { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
      );
    }
  };
  opts.server.on('request', (request, response) => {
    handle(request, response).catch((error: Error) => {
      opts.log(`lambda: ${error.message}`);
      if (!response.headersSent) answer(response, 500, { Type: 'Service', message: 'Internal error' });
    });
  });
  const { port } = opts.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Waits for the invocations under way, so none writes to a store that closed under it. */
    close: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
