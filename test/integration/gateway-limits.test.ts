import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_MAX_REQUEST_LINE_AND_HEADER_BYTES as LIMIT } from '../../functions/local/http-server';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `text` as it is on one connection and reads the answer until the server closes it. */
function sendRaw(url: string, text: string): Promise<RawAnswer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = answer.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.end(text);
  });
}

/**
 * A GET of the local endpoints list (no token needed) whose request line and header values add up to exactly
 * `bytes`, padded in the query string (which the route ignores).
 */
function requestOf(bytes: number): string {
  const host = '127.0.0.1';
  const connection = 'close';
  const line = (pad: string) => `GET /dev/endpoints?pad=${pad} HTTP/1.1`;
  const padding = bytes - line('').length - host.length - connection.length;
  return `${line('x'.repeat(padding))}\r\nHost: ${host}\r\nConnection: ${connection}\r\n\r\n`;
}

describe("the local gateway's limits on request line and headers, as API Gateway's HTTP API", () => {
  let tollgate: TestRuntime;

  beforeAll(async () => {
    tollgate = await startTestRuntime();
  });

  afterAll(async () => {
    await tollgate?.close();
  });

  it('serves a request whose request line and header values are exactly 10,240 bytes', async () => {
    // Act
    const answer = await sendRaw(tollgate.url, requestOf(LIMIT));

    // Assess
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ dynamodb: expect.stringMatching(/^http:/) });
  });

  it.each([
    ['one byte over', LIMIT + 1],
    ["past Node's own 16 KiB limit", 20_000],
    ["past the most Node's parser is allowed to read", 100_000],
  ])('answers 431 in JSON, the way the gateway does, %s', async (_, bytes) => {
    // Act
    const answer = await sendRaw(tollgate.url, requestOf(bytes));

    // Assess
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({ message: 'HTTP header is larger than 10240 bytes.' });
  });

  it('counts header values against the limit, not only the request line', async () => {
    // Prepare
    const request = requestOf(200).replace('\r\n\r\n', `\r\nX-Padding: ${'y'.repeat(LIMIT)}\r\n\r\n`);

    // Act
    const answer = await sendRaw(tollgate.url, request);

    // Assess
    expect(answer.status).toBe(431);
  });

  it('answers a request Node cannot parse with a JSON 400, never a bare status line', async () => {
    // Act
    const answer = await sendRaw(tollgate.url, 'NOT A REQUEST\r\n\r\n');

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({ message: 'Bad Request' });
  });
});
