import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

/** node:http, since fetch sets the Host header itself. */
function postWithHost(url: string, path: string, host: string, body: unknown) {
  const text = JSON.stringify(body);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const outgoing = request(
      `${url}${path}`,
      {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (response) => {
        let received = '';
        response.setEncoding('utf8').on('data', (chunk: string) => {
          received += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: received }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(text);
  });
}

describe('the /dev/* routes and the Host header', () => {
  let system: TestRuntime;
  let port: string;

  beforeAll(async () => {
    system = await startTestRuntime();
    port = new URL(system.url).port;
  });

  afterAll(async () => {
    await system?.close();
  });

  it('refuses POST /dev/token addressed to another host name, with a JSON error and no token', async () => {
    // Prepare
    const identity = { identity: 'alex.dev@example.com' };

    // Act
    const answer = await postWithHost(system.url, '/dev/token', `evil.example:${port}`, identity);

    // Assess
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: 'forbidden_host', message: expect.stringContaining('loopback') },
    });
    expect(answer.body).not.toContain('token"');
  });

  it('refuses a loopback name with another port than the server listens on', async () => {
    // Prepare
    const identity = { identity: 'alex.dev@example.com' };

    // Act
    const answer = await postWithHost(system.url, '/dev/token', `localhost:${Number(port) + 1}`, identity);

    // Assess
    expect(answer.status).toBe(403);
  });

  it.each(['127.0.0.1:PORT', 'localhost:PORT', 'LOCALHOST:PORT', '[::1]:PORT', 'localhost'])(
    'mints a token when the Host is %s',
    async (host) => {
      // Prepare
      const identity = { identity: 'alex.dev@example.com' };

      // Act
      const answer = await postWithHost(system.url, '/dev/token', host.replace('PORT', port), identity);

      // Assess
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ token: expect.any(String) });
    },
  );
});
