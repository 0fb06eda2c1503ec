import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An error answered in the AWS JSON shape. `type` is the service's error code, which the AWS SDK turns into the
 * exception class of that name and the AWS CLI prints.
 */
export abstract class AwsJsonApiError extends Error {
  abstract readonly type: string;
}

export abstract class StepFunctionsApiError extends AwsJsonApiError {}

export class ExecutionAlreadyExists extends StepFunctionsApiError {
  readonly type = 'ExecutionAlreadyExists';
}
export class ExecutionDoesNotExist extends StepFunctionsApiError {
  readonly type = 'ExecutionDoesNotExist';
}
export class StateMachineDoesNotExist extends StepFunctionsApiError {
  readonly type = 'StateMachineDoesNotExist';
}
export class InvalidArn extends StepFunctionsApiError {
  readonly type = 'InvalidArn';
}
export class InvalidName extends StepFunctionsApiError {
  readonly type = 'InvalidName';
}
export class InvalidExecutionInput extends StepFunctionsApiError {
  readonly type = 'InvalidExecutionInput';
}
export class InvalidOutput extends StepFunctionsApiError {
  readonly type = 'InvalidOutput';
}
export class InvalidToken extends StepFunctionsApiError {
  readonly type = 'InvalidToken';
}
export class TaskDoesNotExist extends StepFunctionsApiError {
  readonly type = 'TaskDoesNotExist';
}
export class TaskTimedOut extends StepFunctionsApiError {
  readonly type = 'TaskTimedOut';
}
export class ValidationException extends StepFunctionsApiError {
  readonly type = 'ValidationException';
}
export class UnknownOperation extends AwsJsonApiError {
  readonly type = 'UnknownOperationException';
}
export class SerializationException extends AwsJsonApiError {
  readonly type = 'SerializationException';
}

export type ApiRequest = Record<string, unknown>;
export type Action = (request: ApiRequest) => Promise<object>;

/** What tells one AWS JSON service from another: its target prefix, error namespace and protocol version. */
export interface AwsJsonProtocol {
  targetPrefix: string;
  namespace: string;
  contentType: string;
}

const stepFunctionsProtocol: AwsJsonProtocol = {
  targetPrefix: 'AWSStepFunctions.',
  namespace: 'com.amazonaws.stepfunctions',
  contentType: 'application/x-amz-json-1.0',
};

/**
 * Serves `actions` over the AWS JSON protocol (`X-Amz-Target: AWSStepFunctions.<Action>`, or another
 * service's prefix) on loopback: on `listen`, a port, or a server listening already (see functions/local/ports.ts).
 */
export async function serveJson10(
  listen: number | Server,
  actions: Record<string, Action>,
  log: (line: string) => void,
  protocol: AwsJsonProtocol = stepFunctionsProtocol,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = typeof listen === 'number' ? createServer() : listen;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const send = (status: number, body: object) => {
      response.writeHead(status, { 'content-type': protocol.contentType, 'x-amzn-requestid': randomUUID() });
      response.end(JSON.stringify(body));
    };
    answer(request, actions, protocol.targetPrefix)
      .then((body) => send(200, body))
      .catch((error: unknown) => {
        if (error instanceof AwsJsonApiError) {
          send(400, { __type: `${protocol.namespace}#${error.type}`, message: error.message });
          return;
        }
        log(
          `${protocol.targetPrefix} ${request.headers['x-amz-target']} failed: ${(error as Error).stack ?? error}`,
        );
        send(500, { __type: `${protocol.namespace}#InternalFailure`, message: 'Internal failure' });
      });
  });
  if (typeof listen === 'number') {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen, '127.0.0.1', () => resolve());
    });
  }
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function answer(
  request: IncomingMessage,
  actions: Record<string, Action>,
  prefix: string,
): Promise<object> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const action = target.startsWith(prefix) ? actions[target.slice(prefix.length)] : undefined;
  const text = await readBody(request);
  if (request.method !== 'POST' || !action) {
    throw new UnknownOperation(`Unknown operation ${JSON.stringify(target)}`);
  }
  let body: unknown;
  try {
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new SerializationException('The request body is not valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SerializationException('The request body must be a JSON object');
  }
  return action(body as ApiRequest);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
